// The demo's outside services, played on 127.0.0.1 (simulators/notify/receivers.ts): a WeCom robot
// per maintenance unit, a signed DingTalk robot per township's group, the 96333 desk's signed
// webhook and one SMS account. What each group or phone would show is printed, compactly; each
// maintenance unit's technician (bin/demo-technician.ts) reads its unit's messages and answers
// through the responder link.
import { randomBytes } from 'node:crypto'
import { Receivers, type Received } from '../simulators/notify/receivers.ts'
import { MAINTENANCE_ORGS, TOWNSHIPS } from './demo-files.ts'
import { endpointIds, technicianPhone, type DemoEndpoints } from './demo-parties.ts'
import { DemoTechnician, type TechnicianTimes } from './demo-technician.ts'

export interface DemoNotify {
  readonly receivers: Receivers
  readonly endpoints: DemoEndpoints
  /** http://127.0.0.1:PORT */
  readonly url: string
  readonly technicians: readonly DemoTechnician[]
  stop(): Promise<void>
}

const ORG_ZH: Record<string, string> = { 'zs-lift-service': '舟山某电梯维保', 'sx-elevator-maint': '嵊泗某电梯工程' }
const LABEL: Record<Received['kind'], string> = { wecom: '企业微信', dingtalk: '钉钉', sms: '短信', webhook: 'Webhook' }

/** `[企业微信 维保群 …] 10:02:03` then the message, indented. */
export function formatReceived(r: Received, names: ReadonlyMap<string, string>): string {
  const who = r.kind === 'sms' ? `短信 ${r.mobiles.join(' ')}` : `${LABEL[r.kind]} ${names.get(r.endpointId) ?? r.endpointId}`
  const at = r.mobiles.length && r.kind !== 'sms' ? `  @${r.mobiles.join(' @')}` : ''
  const text = r.kind === 'sms' ? r.text.replace(/ (?=link=)/, '\n') : compact(r.text)
  const when = new Date(r.at).toLocaleTimeString('zh-CN')
  return `[${who}] ${when}${at}${r.duplicate ? ' (重复 / duplicate)' : ''}\n${text.split('\n').map((l) => `    ${l}`).join('\n')}\n`
}

/** Without what every message repeats: the address (the title has it) and the 96333 line. */
function compact(text: string): string {
  const [title = '', ...rest] = text.split('\n')
  return [title, ...rest.filter((l) => !(l.startsWith('地址：') && title.includes(l.slice(3))) && l !== '应急救援电话：96333')].join('\n')
}

export async function startDemoNotify(opts: { print: (text: string) => void; times?: TechnicianTimes; port?: number }): Promise<DemoNotify> {
  const technicians: DemoTechnician[] = []
  const receivers = new Receivers({
    onMessage: (r) => {
      opts.print(formatReceived(r, names))
      for (const t of technicians) t.onMessage(r)
    },
  })
  await receivers.start(opts.port ?? 0)
  const names = new Map<string, string>()
  const add = (kind: Received['kind'], id: string, name: string, secret?: string) => {
    names.set(id, name)
    const { url, ...rest } = receivers.add(kind, id, secret)
    return { url, ...(rest.secret !== undefined ? { secret: rest.secret } : {}), ...(rest.keyId !== undefined ? { keyId: rest.keyId } : {}) }
  }
  const secret = () => randomBytes(24).toString('base64url')
  const endpoints: DemoEndpoints = {
    wecom: Object.fromEntries(MAINTENANCE_ORGS.map((o) => [o, add('wecom', endpointIds.wecom(o), `维保群 ${ORG_ZH[o] ?? o}`)])),
    dingtalk: Object.fromEntries(TOWNSHIPS.map((t) => [t.code, add('dingtalk', endpointIds.dingtalk(t.code), `${t.name}网格群`, `SEC${secret()}`)])),
    desk: add('webhook', endpointIds.desk, '96333 平台', secret()),
    sms: add('sms', endpointIds.sms, '短信'),
  }
  MAINTENANCE_ORGS.forEach((o, k) => technicians.push(new DemoTechnician({
    name: `维保技师${k + 1}`, endpoints: new Set([endpointIds.wecom(o)]), mobile: technicianPhone(k), print: (l) => opts.print(`${l}\n`),
    ...(opts.times ? { times: opts.times } : {}),
  })))
  return {
    receivers, endpoints, technicians, url: `http://127.0.0.1:${await receivers.start()}`,
    stop: async () => {
      for (const t of technicians) t.stop()
      await receivers.stop()
    },
  }
}
