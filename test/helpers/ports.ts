import { createServer } from 'node:net'

/** A port the OS picked: bind :0, read it, close it (docs/architecture.md#conventions, rule 13). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}
