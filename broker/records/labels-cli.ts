// `liftwatch labels --building TEXT --out FILE.html`: the QR labels of a building's cars (labels.ts),
// their public page codes fetched from the running broker (GET /api/public-codes, an API token of
// an admin, bureau or township user in LIFTWATCH_TOKEN). Exit 0 written, 1 no car matched, 2 bad
// arguments or the broker refused.
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { labelsSheet, type LabelCar } from './labels.ts'

const HELP = `usage: liftwatch labels --building TEXT --out FILE.html [--url URL] [--base URL]
打印电梯二维码标签：楼栋（或地址）包含 TEXT 的每台电梯一张，二维码指向该电梯的公示页面，
并印有应急救援识别码、96333 和注册代码。公示页面的代码由运行中的服务端生成并保存，因此本命令
通过其 API 获取（GET /api/public-codes），需要管理员、市场监管局或乡镇用户的 API 令牌
（liftwatch user token add USER --name labels），放在环境变量 LIFTWATCH_TOKEN 中。
A printable A4 sheet of QR labels, one per car whose building or address contains TEXT: the QR
of the car's public page, its rescue code, 96333 and its registration code. The page codes are
made and kept by the running broker, so they are fetched through its API with an API token of
an admin, bureau or township user in LIFTWATCH_TOKEN.

  --building TEXT  part of the building or address, e.g. "沙河路 18 号"
  --out FILE       the HTML sheet to write (open it in a browser and print on A4)
  --url URL        the broker's HTTP address (default http://127.0.0.1:8080)
  --base URL       the public URL base printed in the QRs (default: the broker's response.linkBase)
  -h, --help       this text
`

interface CodesAnswer { base: string; cars: (LabelCar & { code: string })[] }

export interface LabelsRun { url: string; token: string; building: string; base?: string | undefined }

/** The cars' labels, from the broker. Throws with the broker's message when refused. */
export async function fetchLabels(o: LabelsRun): Promise<LabelCar[]> {
  const res = await fetch(`${o.url.replace(/\/+$/, '')}/api/public-codes?building=${encodeURIComponent(o.building)}`, {
    headers: { authorization: `Bearer ${o.token}` },
  })
  const body = await res.json().catch(() => null) as (CodesAnswer & { message?: string }) | null
  if (!res.ok || !body) throw new Error(`the broker answered ${res.status}${body?.message ? `: ${body.message}` : ''}`)
  const base = o.base?.replace(/\/+$/, '')
  return body.cars.map((c) => ({ ...c, url: base ? `${base}/p/${c.code}` : c.url }))
}

export async function main(argv: string[]): Promise<void> {
  let values: { building?: string | undefined; out?: string | undefined; url?: string | undefined; base?: string | undefined; help?: boolean | undefined }
  try {
    ({ values } = parseArgs({
      args: argv, strict: true,
      options: { building: { type: 'string' }, out: { type: 'string' }, url: { type: 'string' }, base: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (err) {
    process.stderr.write(`liftwatch labels: ${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (values.help) { process.stdout.write(HELP); return }
  const token = process.env.LIFTWATCH_TOKEN
  const problem = !values.building ? '--building TEXT is required' : !values.out ? '--out FILE.html is required'
    : !token ? 'set LIFTWATCH_TOKEN to an API token (liftwatch user token add)'
      : values.base !== undefined && !/^https?:\/\/\S+$/.test(values.base) ? `--base ${values.base}: an http(s) URL` : null
  if (problem) {
    process.stderr.write(`liftwatch labels: ${problem}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  try {
    const cars = await fetchLabels({ url: values.url ?? 'http://127.0.0.1:8080', token: token!, building: values.building!, base: values.base })
    if (!cars.length) {
      process.stderr.write(`liftwatch labels: no car in your scope has a building or address containing "${values.building}"\n`)
      process.exitCode = 1
      return
    }
    writeFileSync(values.out!, await labelsSheet(cars, `电梯二维码标签 / Lift QR labels — ${values.building}`))
    process.stdout.write(`${cars.length} labels written to ${values.out}\n`)
  } catch (err) {
    process.stderr.write(`liftwatch labels: ${(err as Error).message}\n`)
    process.exitCode = 2
  }
}
