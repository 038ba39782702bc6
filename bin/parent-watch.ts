// A part started by `liftwatch demo` stops when the demo goes away, however it went (SIGKILL
// included): the demo holds the write end of the part's stdin, and the kernel closes it when the
// demo dies. The part then gets SIGTERM, so its own orderly stop runs.
export const STOP_WITH_PARENT_ENV = 'LIFTWATCH_STOP_WITH_PARENT'

export function stopWhenStdinCloses(): void {
  const stdin = process.stdin
  const parentGone = () => {
    // stdout went with the parent: the logger's flush at exit would retry its EPIPE write forever
    // (sonic-boom's flushSync), so once the orderly stop has run, nothing is left to write
    process.prependListener('exit', () => process.kill(process.pid, 'SIGKILL'))
    process.kill(process.pid, 'SIGTERM')
  }
  stdin.once('end', parentGone)
  stdin.once('error', parentGone)
  stdin.resume()
  // reading stdin must not keep a part alive that has finished (a failed start sets exitCode and returns)
  ;(stdin as { unref?: () => void }).unref?.()
}
