// `liftwatch drill --elevator ID`: see drill.ts. Exit 0 the drill completed (已解救), 1 it did not
// within --wait, 2 bad arguments or the broker refused.
import { parseArgs } from 'node:util'
import { runDrill } from './drill.ts'

const HELP = `usage: liftwatch drill --elevator ID [--url URL] [--wait MINUTES]
应急演练：通过运行中的服务端，以一次模拟困人走完整个联动链（所有消息标注【演练】），并打印
每一步到达的时间。需要 API 令牌（liftwatch user token add USER --name drill），放在环境变量
LIFTWATCH_TOKEN 中。
An emergency drill through the running broker's real chain (every message marked 【演练】),
printing the time each step is reached. Needs an API token in LIFTWATCH_TOKEN.

  --elevator ID   the elevator (its registry id)
  --url URL       the broker's HTTP address (default http://127.0.0.1:8080)
  --wait MINUTES  how long to follow the drill (default 60); the desk closes it
  -h, --help      this text
`

export async function main(argv: string[]): Promise<void> {
  let values: { elevator?: string | undefined; url?: string | undefined; wait?: string | undefined; help?: boolean | undefined }
  try {
    ({ values } = parseArgs({
      args: argv, strict: true,
      options: { elevator: { type: 'string' }, url: { type: 'string' }, wait: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (err) {
    process.stderr.write(`liftwatch drill: ${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (values.help) { process.stdout.write(HELP); return }
  const token = process.env.LIFTWATCH_TOKEN
  const wait = Number(values.wait ?? 60)
  const problem = !values.elevator ? '--elevator ID is required' : !token ? 'set LIFTWATCH_TOKEN to an API token (liftwatch user token add)'
    : !(wait > 0) ? `--wait ${values.wait}: minutes, a number above 0` : null
  if (problem) {
    process.stderr.write(`liftwatch drill: ${problem}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  try {
    const r = await runDrill({
      url: values.url ?? 'http://127.0.0.1:8080', token: token!, elevatorId: values.elevator!, timeoutMs: wait * 60_000,
      out: (line) => process.stdout.write(`${line}\n`),
    })
    process.exitCode = r.completed ? 0 : 1
  } catch (err) {
    process.stderr.write(`liftwatch drill: ${(err as Error).message}\n`)
    process.exitCode = 2
  }
}
