// `liftwatch import`: the county's spreadsheet of elevators and parties (docs/import.md) turned into
// registry.yaml and parties.yaml. Every error names its sheet, row and column (`人员!C7: …`); when
// any row fails nothing is written.
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import ExcelJS from 'exceljs'
import { stringify } from 'yaml'
import { checkSection } from '../../core/config.ts'
import type { Problem } from '../../protocol/index.ts'
import { ElevatorRecordSchema, parseRegistry, type RegistryFile } from '../registry/registry.ts'
import { crossCheck, PartiesDirectory, warnings as directoryWarnings } from './directory.ts'
import { ElevatorPartiesSchema, EndpointSchema, OrganisationSchema, PartiesFileSchema, PersonSchema, type PartiesFile } from './schema.ts'
import { ELEVATORS, ENDPOINTS, ORGANISATIONS, PATTERN_HINTS, PEOPLE, SHEETS, type Sheet } from './import-columns.ts'

// `bad`: a cell of the row already failed; its schema check would only repeat it as `is required`
interface Row { row: number; cols: Record<string, string>; texts: Record<string, string>; value: Record<string, unknown>; bad?: boolean }
type Tables = Map<Sheet, Row[]>

export interface ImportResult { errors: string[]; warnings: string[]; registry?: RegistryFile; parties?: PartiesFile }

const cellRef = (sheet: Sheet, col: string | undefined, row: number) => `${sheet.name}!${col ?? ''}${row}`

function cellText(v: ExcelJS.CellValue): string | number {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number') return v
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('')
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue)
    if ('text' in v) return String(v.text)
    if ('error' in v) return ''
  }
  return String(v)
}

function sheetOf(name: string): Sheet | undefined {
  const n = name.trim().toLowerCase()
  return SHEETS.find((s) => s.name === name.trim() || s.en.includes(n))
}

/** The rows of one worksheet as field → value, each bad cell an error. */
function readSheet(sheet: Sheet, ws: ExcelJS.Worksheet, errors: string[]): Row[] {
  const byCol = new Map<number, (typeof sheet.columns)[number]>()
  const header = ws.getRow(1)
  header.eachCell((cell, c) => {
    const h = String(cellText(cell.value)).trim()
    if (!h) return
    const col = sheet.columns.find((k) => k.zh === h || k.en.some((e) => e.toLowerCase() === h.toLowerCase()))
    if (col) byCol.set(c, col)
    else errors.push(`${cellRef(sheet, cell.address.replace(/[0-9]+$/, ''), 1)}: unknown column "${h}" (${sheet.columns.map((k) => k.zh).join(', ')})`)
  })
  const present = new Set([...byCol.values()].map((c) => c.field))
  for (const c of sheet.columns) if (c.required && !present.has(c.field)) errors.push(`${sheet.name}!1: column ${c.zh} (${c.en[0]}) is missing`)
  const rows: Row[] = []
  ws.eachRow((r, n) => {
    if (n === 1) return
    const row: Row = { row: n, cols: {}, texts: {}, value: {} }
    for (const [c, col] of byCol) {
      const cell = r.getCell(c)
      const raw = cellText(cell.value)
      const letter = cell.address.replace(/[0-9]+$/, '')
      row.cols[col.field] = letter
      if (typeof raw === 'number' && !col.parse && !Number.isSafeInteger(raw)) {
        errors.push(`${cellRef(sheet, letter, n)}: ${col.zh} ${raw} was stored as a number and has lost digits; format the column as text`)
        row.bad = true
        continue
      }
      const text = String(raw).trim()
      if (!text) continue
      row.texts[col.field] = text
      try {
        row.value[col.field] = col.parse ? col.parse(text) : text
      } catch (err) {
        errors.push(`${cellRef(sheet, letter, n)}: ${col.zh} "${text}" ${(err as Error).message}`)
        row.bad = true
      }
    }
    if (Object.keys(row.texts).length || row.bad) rows.push(row)
  })
  return rows
}

/** Reads .xlsx workbooks (sheets by name) and .csv files (one sheet each, named by the file). */
export async function readTables(files: readonly string[], errors: string[], warnings: string[]): Promise<Tables> {
  const tables: Tables = new Map()
  for (const file of files) {
    const wb = new ExcelJS.Workbook()
    const ext = extname(file).toLowerCase()
    const sheets: [string, ExcelJS.Worksheet][] = []
    try {
      // every CSV cell as the text it is: exceljs would turn a 20-digit code into a rounded number
      if (ext === '.csv') sheets.push([basename(file, extname(file)), await wb.csv.readFile(file, { map: (cell: string) => cell })])
      else if (ext === '.xlsx') { await wb.xlsx.readFile(file); wb.eachSheet((ws) => sheets.push([ws.name, ws])) }
      else { errors.push(`${file}: not an .xlsx or .csv file`); continue }
    } catch (err) {
      errors.push(`${file}: ${(err as Error).message}`)
      continue
    }
    for (const [name, ws] of sheets) {
      // a lone CSV named otherwise (export.csv) is the elevators sheet
      const sheet = sheetOf(name) ?? (ext === '.csv' && files.length === 1 ? ELEVATORS : undefined)
      if (!sheet) { warnings.push(`${file}: sheet "${name}" ignored (sheets: ${SHEETS.map((s) => s.name).join(', ')})`); continue }
      if (tables.has(sheet)) { errors.push(`${file}: sheet ${sheet.name} given twice`); continue }
      tables.set(sheet, readSheet(sheet, ws, errors))
    }
  }
  if (!tables.has(ELEVATORS)) errors.push(`sheet ${ELEVATORS.name} (elevators) is missing`)
  return tables
}

/** An id, or the name of exactly one organisation/person in its sheet, as its id. */
function resolver(rows: readonly Row[]): (text: string) => string | { error: string } {
  const ids = new Set(rows.map((r) => r.value.id))
  return (text) => {
    if (ids.has(text)) return text
    const named = rows.filter((r) => r.value.name === text)
    if (named.length === 1) return String(named[0]!.value.id)
    return named.length ? { error: `"${text}" names ${named.length} entries; use the id` } : text
  }
}

function hint(field: string, text: string | undefined, p: Problem): string {
  const message = p.message.startsWith('must match pattern') && PATTERN_HINTS[field] ? PATTERN_HINTS[field] : p.message
  return text === undefined ? `${field} ${message}` : `${field} "${text}" ${message}`
}

/** The spreadsheet's rows as the two files, or every error by sheet, row and column. */
export function convert(tables: Tables, errors: string[] = [], warnings: string[] = []): ImportResult {
  const rowsOf = (s: Sheet) => tables.get(s) ?? []
  const orgId = resolver(rowsOf(ORGANISATIONS))
  const personId = resolver(rowsOf(PEOPLE))
  // problems at `<list>.<i>.<field>…` back to the sheet row and column they came from
  const origin: Record<string, [Sheet, Row[]]> = {}
  const report = (sheet: Sheet, row: Row, problems: readonly Problem[]) => {
    for (const p of problems) {
      const field = p.path.split('.')[0]!
      // a required column missing from the sheet is one error at row 1, not one per row
      if (row.cols[field] === undefined && sheet.columns.some((c) => c.field === field && c.required)) continue
      errors.push(`${cellRef(sheet, row.cols[field], row.row)}: ${hint(field, row.texts[field], p)}`)
    }
  }
  const items = <T>(sheet: Sheet, list: string, schema: Parameters<typeof checkSection>[0], make: (r: Row) => Record<string, unknown>): T[] => {
    const rows = rowsOf(sheet)
    origin[list] = [sheet, rows]
    return rows.map((r) => {
      const v = make(r)
      const checked = checkSection(schema, v)
      if (!checked.ok && !r.bad) report(sheet, r, checked.problems)
      return v as T
    })
  }
  const ref = (r: Row, field: string, resolve: typeof orgId): string | undefined => {
    const t = r.value[field]
    if (typeof t !== 'string') return undefined
    const id = resolve(t)
    if (typeof id === 'string') return id
    errors.push(`${cellRef(ELEVATORS, r.cols[field], r.row)}: ${id.error}`)
    return undefined
  }
  const v = (r: Row) => r.value
  const registry: RegistryFile = {
    elevators: items(ELEVATORS, 'elevators', ElevatorRecordSchema, (r) => strip({
      id: v(r).id ?? v(r).registrationCode, registrationCode: v(r).registrationCode, rescueCode: v(r).rescueCode,
      region: v(r).region ?? (typeof v(r).township === 'string' ? (v(r).township as string).slice(0, 6) : undefined),
      address: v(r).address, building: v(r).building, landings: v(r).landings, ratedSpeed: v(r).ratedSpeed, travel: v(r).travel,
      gatewayId: v(r).gatewayId, township: v(r).township, village: v(r).village,
      maintenance: ref(r, 'maintenance', orgId), property: ref(r, 'property', orgId),
    })),
  }
  const parties: PartiesFile = {
    organisations: items(ORGANISATIONS, 'organisations', OrganisationSchema, (r) => strip({ ...v(r) })),
    people: items(PEOPLE, 'people', PersonSchema, (r) => strip({ channels: [], ...v(r), org: v(r).org === undefined ? undefined : ref(r, 'org', orgId) })),
    endpoints: items(ENDPOINTS, 'endpoints', EndpointSchema, (r) => strip({ ...v(r) })),
    elevators: items(ELEVATORS, 'elevators', ElevatorPartiesSchema, (r) => strip({
      elevatorId: v(r).id ?? v(r).registrationCode, maintenance: ref(r, 'maintenance', orgId), property: ref(r, 'property', orgId),
      steward: ref(r, 'steward', personId), grid: ref(r, 'grid', personId), rescuer: ref(r, 'rescuer', personId),
      village: v(r).village, township: v(r).township,
    })),
  }
  // each elevator row was checked twice (registry, parties): one message per cell is enough
  const unique = () => [...new Set(errors)]
  if (errors.length) return { errors: unique(), warnings }
  const back = (p: Problem) => {
    const [list, i, ...rest] = p.path.split('.')
    const o = origin[list ?? '']
    const row = o && i !== undefined ? o[1][Number(i)] : undefined
    if (!o || !row) return `${p.path}: ${p.message}`
    const field = rest[0] ?? ''
    return `${cellRef(o[0], row.cols[field], row.row)}: ${field ? hint(field, row.texts[field], { path: field, message: p.message }) : p.message}`
  }
  let reg
  try {
    reg = parseRegistry(registry, 'registry')
  } catch (err) {
    errors.push(...((err as { problems?: Problem[] }).problems ?? []).map(back))
  }
  const checked = checkSection(PartiesFileSchema, parties, crossCheck)
  if (!checked.ok) errors.push(...checked.problems.map(back))
  if (errors.length || !reg || !checked.ok) return { errors: unique(), warnings }
  warnings.push(...directoryWarnings(new PartiesDirectory(checked.value), reg).map(back))
  return { errors: [], warnings, registry, parties }
}

function strip(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined))
}

/** Reads, converts and, when nothing failed, writes `registry.yaml` and `parties.yaml` into `outDir`. */
export async function importSpreadsheet(files: readonly string[], outDir: string): Promise<ImportResult & { written: string[] }> {
  const errors: string[] = []
  const warnings: string[] = []
  const tables = await readTables(files, errors, warnings)
  const result = convert(tables, errors, warnings)
  if (result.errors.length || !result.registry || !result.parties) return { ...result, written: [] }
  await mkdir(outDir, { recursive: true })
  const out = [[join(outDir, 'registry.yaml'), result.registry], [join(outDir, 'parties.yaml'), result.parties]] as const
  const head = '# liftwatch import: generated from the county spreadsheet (docs/import.md) / 由台账导入生成\n'
  for (const [file, data] of out) await writeFile(`${file}.tmp`, head + stringify(data), 'utf8')
  // both or neither: renamed only once both are on disk
  for (const [file] of out) await rename(`${file}.tmp`, file)
  return { ...result, written: out.map(([f]) => f) }
}
