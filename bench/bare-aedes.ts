// Bare aedes (no hooks, no subscriber) in a process of its own, to check that a load can be
// offered at all: forked through bin/run-ts.js, it sends { port } over IPC once listening.
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Aedes } from 'aedes'

const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url))

export async function forkBareAedes(): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(RUN_TS, [fileURLToPath(import.meta.url)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('message', (m) => resolve((m as { port: number }).port))
    proc.once('error', reject)
    proc.once('exit', (code) => reject(new Error(`aedes exited ${code} before listening`)))
  })
  return { proc, port }
}

const isEntry = process.argv[1] !== undefined && pathToFileURL(process.argv[1]).href === import.meta.url
if (isEntry) {
  const broker = await Aedes.createBroker()
  const server = createServer((socket) => broker.handle(socket))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  process.once('disconnect', () => process.exit(0))
  process.send?.({ port: (server.address() as AddressInfo).port })
}
