// `liftwatch probe --scan`: a progress bar over the unit ids, then the list of responders.
import { Presets, SingleBar } from 'cli-progress'
import { protocolAddress, type Profile } from '../../../protocol/index.ts'
import type { ModbusLink } from '../../modbus/link.ts'
import { tr, type Lang } from '../i18n.ts'
import { scanUnits, type Responder } from '../scan.ts'
import { hex2 } from '../snapshot.ts'
import { fail } from './common.ts'

interface ScanArgs {
  profile: Profile; lang: Lang; json: boolean
  scan?: { from: number; to: number; timeoutMs: number }
}

const STATUS = {
  answered: { zh: '应答', en: 'answered' },
  exception: { zh: '异常应答（设备在线）', en: 'exception answer (unit present)' },
  garbled: { zh: '应答无法解析（设备在线？检查波特率/校验）', en: 'unreadable answer (present? check baud/parity)' },
}

function describe(lang: Lang, r: Responder): string {
  const what = tr(lang, STATUS[r.status])
  const code = r.exceptionCode === undefined ? '' : ` ${hex2(r.exceptionCode)}`
  return `  ${String(r.unitId).padStart(3)}  ${what}${code}${r.detail ? ` — ${r.detail}` : ''} (${r.latencyMs} ms)`
}

export async function runScan(link: ModbusLink, a: ScanArgs, where: string): Promise<void> {
  const { from, to, timeoutMs } = a.scan!
  // the profile's first point: a unit with another map still answers (exception 02 = present)
  const [name, first] = Object.entries(a.profile.points)[0] ?? []
  const target = first ? { area: first.area, address: protocolAddress(a.profile, first) } : { area: 'holding' as const, address: 0 }
  const bar = new SingleBar({
    format: `${tr(a.lang, { zh: '扫描', en: 'scanning' })} |{bar}| {value}/{total} · unit {unit} · ${tr(a.lang, { zh: '找到', en: 'found' })} {found}`,
    hideCursor: true, clearOnComplete: true,
  }, Presets.shades_classic)
  const interactive = process.stderr.isTTY && !a.json
  let found = 0
  if (interactive) bar.start(to - from + 1, 0, { unit: from, found })
  const stop = new AbortController()
  const onSignal = () => stop.abort()
  process.once('SIGINT', onSignal)
  let result
  try {
    result = await scanUnits(link, { from, to, timeoutMs, ...target }, (unitId, r) => {
      if (r) found++
      if (interactive) bar.increment(1, { unit: unitId, found })
    }, stop.signal)
  } catch (err) {
    if (interactive) bar.stop()
    fail('probe', { zh: `扫描中断：${(err as Error).message}`, en: `scan stopped: ${(err as Error).message}` }, 1)
    return
  } finally {
    process.off('SIGINT', onSignal)
  }
  if (interactive) bar.stop()
  if (a.json) {
    process.stdout.write(`${JSON.stringify({
      v: 1, link: where, from, to, scanned: result.scanned, read: { ...target, point: name ?? null },
      responders: result.responders, gatewayAnswered: result.gatewayAnswered,
    }, null, 2)}\n`)
  } else {
    const head = tr(a.lang, {
      zh: `${where} 上 ${from}…${to} 中有 ${result.responders.length} 个从站应答`,
      en: `${result.responders.length} unit(s) answered on ${where}, ids ${from}…${to}`,
    })
    if (result.responders.length) process.stdout.write(`${head}:\n${result.responders.map((r) => describe(a.lang, r)).join('\n')}\n`)
    if (result.gatewayAnswered.length) {
      process.stdout.write(`${tr(a.lang, { zh: '网关代答 0A/0B（无设备）', en: 'gateway answered 0A/0B (nobody there)' })}: ${result.gatewayAnswered.length} ids\n`)
    }
  }
  if (stop.signal.aborted) process.exitCode = 130
  else if (result.responders.length === 0) {
    fail('probe', { zh: `${from}…${to} 中没有从站应答`, en: `no unit answered in ${from}…${to}` }, 1)
  }
}
