// Page text: zh-CN first, English second. Alarm type names come from the catalogue the API
// serves (protocol/catalogue.ts), so the page and exports never disagree.
/* global document */  // browser module (eslint.config.js lints with node globals)
const KEY = 'liftwatch.lang'

const TEXT = {
  title: { zh: 'LiftWatch 电梯安全监测', en: 'LiftWatch elevator monitoring' },
  fleet: { zh: '电梯', en: 'Elevators' },
  alarms: { zh: '实时报警', en: 'Live alarms' },
  noAlarms: { zh: '当前无报警', en: 'No active alarms' },
  filter: { zh: '搜索 注册代码 / 楼栋 / 地址', en: 'Search code / building / address' },
  onlyAlarms: { zh: '只看报警', en: 'Alarms only' },
  langSwitch: { zh: 'English', en: '中文' },
  soundOff: { zh: '启用声音', en: 'Enable sound' },
  soundOn: { zh: '声音已开启', en: 'Sound on' },
  soundHint: { zh: '浏览器需点击后才能播放报警音', en: 'Browsers play alarm sounds only after a click' },
  connecting: { zh: '正在连接…', en: 'Connecting…' },
  live: { zh: '实时', en: 'Live' },
  reconnecting: { zh: '正在重连…', en: 'Reconnecting…' },
  disconnected: { zh: '已断开，{s} 秒后重试', en: 'Disconnected, retrying in {s} s' },
  loading: { zh: '正在加载…', en: 'Loading…' },
  total: { zh: '总数', en: 'Total' },
  online: { zh: '在线', en: 'Online' },
  offline: { zh: '离线', en: 'Offline' },
  unknown: { zh: '未知', en: 'Unknown' },
  trapped: { zh: '困人', en: 'Trapped' },
  alarmed: { zh: '报警电梯', en: 'With alarms' },
  raisedAt: { zh: '发生', en: 'Raised' },
  lasted: { zh: '持续', en: 'Lasting' },
  cleared: { zh: '已恢复', en: 'Cleared' },
  ack: { zh: '确认', en: 'Acknowledge' },
  acking: { zh: '确认中…', en: 'Acknowledging…' },
  ackedBy: { zh: '{by} {at} 确认', en: 'by {by} at {at}' },
  ackFailed: { zh: '确认失败：{m}', en: 'Acknowledgement failed: {m}' },
  operator: { zh: '值班员：{name}', en: 'Operator: {name}' },
  operatorUnset: { zh: '未登录', en: 'Not logged in' },
  logout: { zh: '退出登录', en: 'Log out' },
  loginTitle: { zh: '登录', en: 'Log in' },
  username: { zh: '用户名', en: 'Username' },
  password: { zh: '密码', en: 'Password' },
  loginButton: { zh: '登录', en: 'Log in' },
  loggingIn: { zh: '正在登录…', en: 'Logging in…' },
  loginFailed: { zh: '用户名或密码错误', en: 'Wrong username or password' },
  loginLocked: { zh: '失败次数过多，请 {s} 秒后再试', en: 'Too many failures; try again in {s} s' },
  loginError: { zh: '登录失败：{m}', en: 'Login failed: {m}' },
  loginHint: { zh: '每次报警确认都以登录用户的名义记录', en: 'Every acknowledgement is recorded under the logged-in user' },
  drill: { zh: '演练', en: 'Drill' },
  flapping: { zh: '反复触发', en: 'Flapping' },
  late: { zh: '补报', en: 'Late' },
  lateOngoing: { zh: '补报 · 仍在持续', en: 'Late · still on' },
  lateOver: { zh: '补报 · 已解除', en: 'Late · already over' },
  gatewayElevators: { zh: '影响 {n} 部电梯', en: '{n} elevators affected' },
  floor: { zh: '层', en: 'Floor' },
  more: { zh: '等 {n} 项', en: '+{n} more' },
  rescueCode: { zh: '救援码', en: 'Rescue code' },
  regCode: { zh: '注册代码', en: 'Registration code' },
  gateway: { zh: '网关', en: 'Gateway' },
  lastUpdate: { zh: '更新于', en: 'Updated' },
  noMatch: { zh: '没有符合条件的电梯', en: 'No elevator matches' },
  // the desk (incidents.js, incident-panel.js) and the KPI page (kpi.js)
  incidents: { zh: '困人事件', en: 'Entrapments' },
  noIncidents: { zh: '当前无未结事件', en: 'No open incidents' },
  allTownships: { zh: '全部乡镇', en: 'All townships' },
  trappedFor: { zh: '被困 {t}', en: 'Trapped {t}' },
  escalateIn: { zh: '距升级 {t}', en: 'Escalates in {t}' },
  escalateOverdue: { zh: '升级已到 {t}', en: 'Escalation due {t}' },
  drillTag: { zh: '【演练】', en: '[Drill]' },
  phoneCall: { zh: '电话报警', en: 'Phone call' },
  history: { zh: '历史查询', en: 'History' },
  drillStart: { zh: '演练', en: 'Drill' },
  drillConfirm: { zh: '对 {name} 发起演练？全部通知都将标注【演练】', en: 'Start a drill on {name}? Every message is marked [Drill]' },
  byRescueCode: { zh: '救援码', en: 'Rescue code' },
  byRegCode: { zh: '注册代码', en: 'Registration code' },
  code: { zh: '识别码', en: 'Code' },
  caller: { zh: '来电人', en: 'Caller' },
  note: { zh: '备注', en: 'Note' },
  submit: { zh: '提交', en: 'Submit' },
  cancel: { zh: '取消', en: 'Cancel' },
  close: { zh: '关闭', en: 'Close' },
  search: { zh: '查询', en: 'Search' },
  from: { zh: '从', en: 'From' },
  to: { zh: '到', en: 'To' },
  elevator: { zh: '电梯', en: 'Elevator' },
  elevatorHint: { zh: '注册代码 / 救援码', en: 'Registration / rescue code' },
  noHistory: { zh: '没有符合条件的事件', en: 'No incident matches' },
  parties: { zh: '通知对象', en: 'Parties told' },
  noParties: { zh: '尚无通知', en: 'Nobody told yet' },
  call: { zh: '拨打', en: 'Call' },
  responded: { zh: '已响应', en: 'Responded' },
  notResponded: { zh: '未响应', en: 'No response' },
  attempts: { zh: '{n} 次', en: '{n} tries' },
  actions: { zh: '处置', en: 'Actions' },
  respondFor: { zh: '代为响应', en: 'Respond on behalf' },
  dispatchOrg: { zh: '派遣其他救援单位', en: 'Dispatch another unit' },
  orgName: { zh: '单位名称', en: 'Organisation' },
  arrive: { zh: '已到达', en: 'Arrived' },
  release: { zh: '已解救 {n} 人', en: 'Released {n}' },
  persons: { zh: '人数', en: 'Persons' },
  cause: { zh: '原因', en: 'Cause' },
  falseAlarm: { zh: '误报', en: 'False alarm' },
  falseConfirm: { zh: '确认此事件为误报并关闭？', en: 'Close this incident as a false alarm?' },
  addNote: { zh: '备注', en: 'Add note' },
  timeline: { zh: '时间线', en: 'Timeline' },
  actFailed: { zh: '操作失败：{m}', en: 'Failed: {m}' },
  kpiLink: { zh: '考核指标', en: 'KPIs' },
  hazardsLink: { zh: '隐患台账', en: 'Hazards' },
  patrolLink: { zh: '网格巡查', en: 'Patrols' },
  riskLink: { zh: '风险评估', en: 'Risk' },
  reportLink: { zh: '月度报告', en: 'Reports' },
  liveLink: { zh: '实时监测', en: 'Live' },
  kpiTitle: { zh: '应急处置考核指标', en: 'Emergency response KPIs' },
  byTownship: { zh: '按乡镇', en: 'By township' },
  byMaintenance: { zh: '按维保单位', en: 'By maintenance unit' },
  byMonth: { zh: '按月份', en: 'By month' },
  kIncidents: { zh: '事件数', en: 'Incidents' },
  kResponse: { zh: '3 分钟响应率', en: '3-min response rate' },
  kArrival: { zh: '到达及时率', en: 'Arrival in limit' },
  kMeanArrival: { zh: '平均到达用时', en: 'Mean arrival' },
  kMeanRescue: { zh: '平均救援用时', en: 'Mean rescue' },
  kpiNote: {
    zh: '公开报道的平均到达用时约为 14–15 分钟（杭州、深圳、淮安）。演练与误报不计入。',
    en: 'Published mean arrival times elsewhere are about 14–15 min (Hangzhou, Shenzhen, Huai’an). Drills and false alarms are not counted.',
  },
  print: { zh: '打印', en: 'Print' },
  noRows: { zh: '无数据', en: 'No data' },
}

/** incident states as provincial platforms code them (response/types.ts INCIDENT_STATES) */
const STATE = {
  '01': { zh: '已发生', en: 'Occurred' },
  '02': { zh: '已响应', en: 'Responded' },
  '04': { zh: '已到达', en: 'Arrived' },
  '00': { zh: '已完成', en: 'Completed' },
  '05': { zh: '误报', en: 'False alarm' },
}

const ROLE = {
  maintenance: { zh: '维保单位', en: 'Maintenance' },
  property: { zh: '使用单位', en: 'Property' },
  steward: { zh: '楼道长', en: 'Steward' },
  grid: { zh: '网格员', en: 'Grid worker' },
  township: { zh: '乡镇', en: 'Township' },
  desk: { zh: '96333', en: '96333 desk' },
  rescuer: { zh: '救援单位', en: 'Rescuer' },
  bureau: { zh: '市场监管局', en: 'Bureau' },
  police: { zh: '110/119', en: 'Police/fire' },
}

const DELIVERY = {
  pending: { zh: '发送中', en: 'Pending' },
  delivered: { zh: '已送达', en: 'Delivered' },
  failed: { zh: '失败', en: 'Failed' },
}

// acknowledgement is apart from clearing: four states (ISA-18.2)
const ACK = {
  'active-unacked': { zh: '未确认', en: 'Unacknowledged' },
  'active-acked': { zh: '已确认', en: 'Acknowledged' },
  'cleared-unacked': { zh: '已恢复未确认', en: 'Cleared, unacknowledged' },
  'cleared-acked': { zh: '已恢复已确认', en: 'Cleared, acknowledged' },
}

const DOOR = {
  open: { zh: '门开', en: 'Open' },
  opening: { zh: '开门中', en: 'Opening' },
  closing: { zh: '关门中', en: 'Closing' },
  closed: { zh: '门关', en: 'Closed' },
  unknown: { zh: '门?', en: 'Door ?' },
}

const MODE = {
  inspection: { zh: '检修', en: 'Inspection' },
  maintenance: { zh: '维保', en: 'Maintenance' },
  fire: { zh: '消防返回', en: 'Fire recall' },
  fireman: { zh: '消防员', en: 'Firefighter' },
  emergency_power: { zh: '应急电源', en: 'Emergency power' },
  earthquake: { zh: '地震', en: 'Earthquake' },
  out_of_service: { zh: '停用', en: 'Out of service' },
  unknown: { zh: '模式未知', en: 'Mode unknown' },
}

let lang = readLang()
let catalogue = new Map()
const listeners = []

function readLang() {
  try { return localStorage.getItem(KEY) === 'en' ? 'en' : 'zh' } catch { return 'zh' }
}

export const getLang = () => lang
export const other = () => (lang === 'zh' ? 'en' : 'zh')

export function setLang(l) {
  lang = l === 'en' ? 'en' : 'zh'
  try { localStorage.setItem(KEY, lang) } catch { /* private mode: the switch still works for this tab */ }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  for (const fn of listeners) fn(lang)
}

export const onLang = (fn) => listeners.push(fn)

export function t(key, vars, l = lang) {
  const s = TEXT[key]?.[l] ?? key
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? '')) : s
}

export const ackText = (state) => ACK[state]?.[lang] ?? state
export const doorText = (door) => (DOOR[door] ?? DOOR.unknown)[lang]
export const stateText = (s) => STATE[s]?.[lang] ?? s
export const roleText = (r) => ROLE[r]?.[lang] ?? r
export const roles = () => Object.keys(ROLE)
export const deliveryText = (s) => DELIVERY[s]?.[lang] ?? s
export const modeText = (mode) => (mode && mode !== 'normal' ? (MODE[mode] ?? MODE.unknown)[lang] : '')

export function setCatalogue(types) {
  catalogue = new Map(types.map((e) => [e.type, e]))
}

/** Alarm type name in the given language; falls back to the type id. */
export function alarmName(type, l = lang) {
  const e = catalogue.get(type)
  return e ? e[l] : type
}

export const alarmCode = (type) => catalogue.get(type)?.code ?? null

const pad = (n) => String(n).padStart(2, '0')

/** 14:03:22, with the date in front when not today. */
export function clock(ms) {
  const d = new Date(ms)
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  const today = new Date()
  if (d.toDateString() === today.toDateString()) return time
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`
}

/** 2:05, 1:02:05, 3d 4:00:00 */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const core = h || d ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`
  return d ? `${d}${lang === 'zh' ? '天' : 'd'} ${core}` : core
}

/** 14:03:22 always, for a timeline */
export function hms(ms) {
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** 05:07, 75:03: minutes and seconds, minutes unbounded */
export function mmss(ms) {
  const s = Math.max(0, Math.floor(ms / 1000))
  return `${pad(Math.floor(s / 60))}:${pad(s % 60)}`
}
