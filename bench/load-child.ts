// A bench/broker-load.ts child process driven over IPC: one request at a time or several, each
// answered by id. Forked through bin/run-ts.js so that the load never shares a thread with the
// process under test.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { stopProcess } from './proc.ts'
import type { LoadRequest } from './broker-load.ts'

const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url))
const LOAD = fileURLToPath(new URL('./broker-load.ts', import.meta.url))

export class LoadChild {
  private nextId = 0
  private readonly waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>()

  private constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
      if (m.id === undefined) return
      const w = this.waiting.get(m.id)
      this.waiting.delete(m.id)
      if (m.error) w?.reject(new Error(m.error))
      else w?.resolve(m.result)
    })
    proc.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load child exited ${code}`))
      this.waiting.clear()
    })
  }

  static async fork(): Promise<LoadChild> {
    const proc = fork(RUN_TS, [LOAD], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    await new Promise<void>((resolve, reject) => {
      proc.once('message', () => resolve())
      proc.once('error', reject)
      proc.once('exit', (code) => reject(new Error(`load child exited ${code} before it was ready`)))
    })
    return new LoadChild(proc)
  }

  get pid(): number { return this.proc.pid! }

  request<T>(r: LoadRequest): Promise<T> {
    const id = ++this.nextId
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject })
      this.proc.send({ ...r, id })
    })
  }

  async kill(): Promise<void> { await stopProcess(this.proc) }
}
