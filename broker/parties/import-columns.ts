// The county spreadsheet's sheets and columns (docs/import.md): zh-CN headers, English accepted,
// each mapped to a field of the registry or the parties file, with the words the sheet may use for
// kinds and roles.
import type { OrgKind, PersonRole } from './schema.ts'

export interface Column {
  field: string
  zh: string
  en: string[]
  required?: boolean
  /** how the cell's text becomes the field's value; a thrown message is the cell's error */
  parse?: (text: string) => unknown
}
export interface Sheet { name: string; en: string[]; columns: Column[] }

const number = (text: string): number => {
  const n = Number(text)
  if (!Number.isFinite(n)) throw new Error('is not a number')
  return n
}
const list = (text: string) => text.split(/[,，;；、\s]+/).filter(Boolean)
// `wecom:robot-1; sms:sms-main`
const channels = (text: string) => list(text).map((c) => {
  const [kind, ref, extra] = c.split(/[:：]/)
  if (!kind || !ref || extra !== undefined) throw new Error(`channel "${c}" is not kind:endpoint (e.g. wecom:robot-1)`)
  return { kind, ref }
})
const landings = (text: string) => (/^[0-9]+$/.test(text) ? Number(text) : list(text))
const wordOf = <T extends string>(words: Record<string, T>, what: string) => (text: string): T => {
  const v = words[text] ?? words[text.toLowerCase()]
  if (!v) throw new Error(`is not a ${what} (${[...new Set(Object.keys(words))].join('/')})`)
  return v
}

export const ORG_KIND_WORDS: Record<string, OrgKind> = {
  维保单位: 'maintenance', 维保: 'maintenance', maintenance: 'maintenance',
  使用单位: 'property', 物业: 'property', 物业公司: 'property', property: 'property',
  救援: 'rescue', 救援队: 'rescue', rescue: 'rescue',
  96333: 'desk', 坐席: 'desk', desk: 'desk',
  乡镇: 'township', 街道: 'township', township: 'township',
  监管局: 'bureau', 市场监管局: 'bureau', bureau: 'bureau',
}
export const ROLE_WORDS: Record<string, PersonRole> = {
  维保: 'maintenance', 维保人员: 'maintenance', maintenance: 'maintenance',
  物业: 'property', 安全管理员: 'property', property: 'property',
  楼道长: 'steward', steward: 'steward',
  网格员: 'grid', grid: 'grid',
  乡镇: 'township', 乡镇干部: 'township', township: 'township',
  坐席: 'desk', desk: 'desk',
  救援员: 'rescuer', rescuer: 'rescuer',
  监管局: 'bureau', bureau: 'bureau',
}

export const ELEVATORS: Sheet = {
  name: '电梯', en: ['elevators'],
  columns: [
    { field: 'registrationCode', zh: '注册代码', en: ['registrationCode', 'registration code'], required: true },
    { field: 'id', zh: '电梯编号', en: ['id', 'elevatorId'] },
    { field: 'rescueCode', zh: '救援码', en: ['rescueCode', 'rescue code'], required: true },
    { field: 'address', zh: '地址', en: ['address'], required: true },
    { field: 'building', zh: '楼栋', en: ['building'] },
    { field: 'region', zh: '区划代码', en: ['region'] },
    { field: 'township', zh: '乡镇代码', en: ['township'], required: true },
    { field: 'village', zh: '村社区代码', en: ['village'], required: true },
    { field: 'maintenance', zh: '维保单位', en: ['maintenance'], required: true },
    { field: 'property', zh: '使用单位', en: ['property'], required: true },
    { field: 'steward', zh: '楼道长', en: ['steward'] },
    { field: 'grid', zh: '网格员', en: ['grid'] },
    { field: 'rescuer', zh: '救援员', en: ['rescuer'] },
    { field: 'ratedSpeed', zh: '额定速度', en: ['ratedSpeed', 'rated speed'], required: true, parse: number },
    { field: 'landings', zh: '层站', en: ['landings'], required: true, parse: landings },
    { field: 'travel', zh: '提升高度', en: ['travel'], parse: number },
    { field: 'gatewayId', zh: '网关', en: ['gatewayId', 'gateway'], required: true },
  ],
}

export const ORGANISATIONS: Sheet = {
  name: '单位', en: ['organisations', 'organizations'],
  columns: [
    { field: 'id', zh: '编号', en: ['id'], required: true },
    { field: 'kind', zh: '类型', en: ['kind'], required: true, parse: wordOf(ORG_KIND_WORDS, 'kind of organisation') },
    { field: 'name', zh: '名称', en: ['name'], required: true },
    { field: 'dutyPhone', zh: '值班电话', en: ['dutyPhone', 'duty phone'] },
    { field: 'township', zh: '乡镇代码', en: ['township'] },
    { field: 'channels', zh: '通知渠道', en: ['channels'], parse: channels },
  ],
}

export const PEOPLE: Sheet = {
  name: '人员', en: ['people'],
  columns: [
    { field: 'id', zh: '编号', en: ['id'], required: true },
    { field: 'name', zh: '姓名', en: ['name'], required: true },
    { field: 'phone', zh: '手机', en: ['phone', 'mobile'], required: true },
    { field: 'role', zh: '角色', en: ['role'], required: true, parse: wordOf(ROLE_WORDS, 'role') },
    { field: 'org', zh: '单位', en: ['org', 'organisation'] },
    { field: 'region', zh: '区划代码', en: ['region'] },
    { field: 'channels', zh: '通知渠道', en: ['channels'], parse: channels },
  ],
}

// secrets never go in a spreadsheet that is mailed around: only the environment variable's name
export const ENDPOINTS: Sheet = {
  name: '通道', en: ['endpoints'],
  columns: [
    { field: 'id', zh: '编号', en: ['id'], required: true },
    { field: 'kind', zh: '类型', en: ['kind'], required: true },
    { field: 'url', zh: '地址', en: ['url'] },
    { field: 'keyId', zh: '密钥ID', en: ['keyId', 'AccessKey id'] },
    { field: 'secretEnv', zh: '密钥变量', en: ['secretEnv'] },
    { field: 'template', zh: '短信模板', en: ['template'] },
    { field: 'signName', zh: '短信签名', en: ['signName'] },
  ],
}

export const SHEETS = [ELEVATORS, ORGANISATIONS, PEOPLE, ENDPOINTS]

/** Why a field's value failed its pattern, in words a clerk understands. */
export const PATTERN_HINTS: Record<string, string> = {
  phone: 'is not a mobile number',
  dutyPhone: 'is not a phone number',
  registrationCode: 'is not a 20-digit registration code',
  rescueCode: 'is not a 5- or 6-digit rescue code',
  township: 'is not a 9-digit township code',
  village: 'is not a 12-digit village code',
  region: 'is not a region code',
}
