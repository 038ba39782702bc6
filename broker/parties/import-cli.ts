// `liftwatch import FILE.xlsx|FILE.csv… --out DIR`: the county spreadsheet into registry.yaml and
// parties.yaml (docs/import.md). Exit 0 written, 1 the spreadsheet has errors (all listed, nothing
// written), 2 bad arguments.
import { parseArgs } from 'node:util'
import { importSpreadsheet } from './import.ts'

const HELP = `usage: liftwatch import FILE.xlsx|FILE.csv… --out DIR
把电梯与相关单位、人员台账（.xlsx 工作表 电梯/单位/人员/通道，或每表一个 .csv）转换为
registry.yaml 与 parties.yaml；任何一行有错则全部列出、不写任何文件。格式见 docs/import.md。
The county spreadsheet of elevators and parties into registry.yaml and parties.yaml; any error
(sheet!cell: message) and nothing is written.

  --out DIR       where registry.yaml and parties.yaml go (required)
  -h, --help      this text
`

export async function main(argv: string[]): Promise<void> {
  let values: { out?: string | undefined; help?: boolean | undefined }
  let files: string[]
  try {
    ({ values, positionals: files } = parseArgs({
      args: argv, strict: true, allowPositionals: true,
      options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }))
  } catch (err) {
    process.stderr.write(`liftwatch import: ${(err as Error).message}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  if (values.help) { process.stdout.write(HELP); return }
  if (!files.length || !values.out) {
    process.stderr.write(`liftwatch import: ${files.length ? '--out DIR is required' : 'a spreadsheet file is required'}\n\n${HELP}`)
    process.exitCode = 2
    return
  }
  const r = await importSpreadsheet(files, values.out)
  for (const w of r.warnings) process.stderr.write(`警告 warning: ${w}\n`)
  if (r.errors.length) {
    process.stderr.write(`liftwatch import: ${r.errors.length} 处错误，未写入任何文件 / errors, nothing written\n${r.errors.map((e) => `  ${e}\n`).join('')}`)
    process.exitCode = 1
    return
  }
  process.stdout.write(`已写入 written: ${r.written.join(', ')} (${r.registry!.elevators.length} 台电梯 elevators, ${r.parties!.organisations.length} 个单位 organisations, ${r.parties!.people.length} 人 people)\n`)
}
