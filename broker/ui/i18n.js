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
