// The public page of a car (/p/<code>) and a party's page for a resident's report (/c/<token>),
// rendered on the server: zh-CN first, English second, 360 px wide, no cookies, no inline script
// (broker/ui/public.js posts the forms, public.css styles them). Pure.
import { CATEGORY_EN, CATEGORY_ZH, cstMinute } from '../records/complaint-messages.ts'
import { SERVICE_ZH, type PublicFacts } from '../records/public-facts.ts'
import { COMPLAINT_CATEGORIES, type Complaint } from '../records/types.ts'

const ESC: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!)

const tel = (phone: string | undefined): string =>
  phone ? `<a class="tel" href="tel:${esc(phone)}">${esc(phone)}</a>` : '<span class="muted">未登记 / not on file</span>'

function shell(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)}</title>
<link rel="icon" href="/ui/icon.svg">
<link rel="stylesheet" href="/ui/public.css">
<script type="module" src="/ui/public.js"></script>
</head>
<body>
${body}
</body>
</html>
`
}

function lastSeen(f: PublicFacts): string {
  const m = f.lastMaintenance
  switch (m.kind) {
    case 'visit': return `${esc(cstMinute(m.at).slice(0, 10))}`
    case 'now': return '维保中 / being serviced now'
    case 'overdue': return '<span class="warn">维保超期 / maintenance overdue</span>'
    case 'unknown': return '<span class="muted">未知 / unknown</span>'
  }
}

const row = (zh: string, en: string, value: string): string => `<div class="row"><dt>${zh}<small>${en}</small></dt><dd>${value}</dd></div>`

export function publicPage(code: string, f: PublicFacts): string {
  const s = SERVICE_ZH[f.service]
  const where = [f.address, f.building].filter(Boolean).join(' ')
  const options = COMPLAINT_CATEGORIES.map((c) => `<option value="${c}">${CATEGORY_ZH[c]} / ${CATEGORY_EN[c]}</option>`).join('')
  return shell(`电梯信息公示 ${f.registrationCode}`, `<main class="public">
<header><h1>电梯信息公示<small>Lift information</small></h1><p class="where" id="where">${esc(where)}</p></header>
<section class="status ${f.service}" id="service"><b>${s.zh}</b><span>${s.en}</span></section>
<a class="sos" href="tel:96333" id="call-96333"><b>96333</b><span>电梯应急救援电话 / Lift emergency line</span></a>
<dl class="facts">
${row('电梯注册代码', 'Registration code', `<span id="registration-code">${esc(f.registrationCode)}</span>`)}
${row('应急救援识别码', 'Rescue code', `<b class="rescue" id="rescue-code">${esc(f.rescueCode)}</b>`)}
${row('使用单位', 'Use unit', `<span id="use-unit">${esc(f.useUnit?.name ?? '未登记 / not on file')}</span>`)}
${row('使用单位电话', 'Use unit phone', tel(f.useUnit?.dutyPhone))}
${row('维保单位', 'Maintenance unit', `<span id="maintenance-unit">${esc(f.maintenance?.name ?? '未登记 / not on file')}</span>`)}
${row('维保 24 小时电话', 'Maintenance 24-h phone', tel(f.maintenance?.dutyPhone))}
${row('最近一次维保', 'Last maintenance seen', `<span id="last-maintenance">${lastSeen(f)}</span>`)}
${row('下次定期检验', 'Next inspection due', `<span id="next-inspection">${f.nextInspection ? esc(f.nextInspection) : '<span class="muted">未知 / unknown</span>'}</span>`)}
</dl>
<section class="report">
<h2>我要反映问题<small>Report a problem</small></h2>
<p class="muted">有人被困请立即拨打 96333。/ Someone trapped? Call 96333 now.</p>
<form id="report" data-post="/p/${esc(code)}/reports" novalidate>
<label for="category">类别 / Category</label>
<select id="category" name="category" required>${options}</select>
<label for="text">情况说明 / What is wrong (≤ 500 字)</label>
<textarea id="text" name="text" maxlength="500" rows="4" required></textarea>
<label for="phone">手机号（选填，仅物业和楼道长可见）/ Mobile (optional, seen only by the use unit and steward)</label>
<input id="phone" name="phone" type="tel" inputmode="numeric" maxlength="11" autocomplete="off" pattern="1[3-9][0-9]{9}">
<button type="submit" id="send">提交 / Send</button>
<p class="result" id="result" role="status" aria-live="polite"></p>
</form>
</section>
<footer class="muted">本页不记录您的身份。/ This page does not record who you are.</footer>
</main>`)
}

const STATE_ZH: Readonly<Record<Complaint['state'], string>> = { new: '待受理 / New', acknowledged: '已受理 / Acknowledged', resolved: '已处理 / Resolved' }

/** The page a use unit, steward, grid or township opens from the message's link. */
export function complaintLinkPage(token: string, c: Complaint, partyName: string, where: string): string {
  const open = c.state !== 'resolved'
  return shell('群众投诉处理 / Resident report', `<main class="public">
<header><h1>群众投诉处理<small>Resident report</small></h1><p class="where">${esc(where)}</p></header>
<section class="status ${c.state === 'resolved' ? 'in_service' : 'unknown'}" id="state"><b>${STATE_ZH[c.state]}</b><span>${esc(partyName)}</span></section>
<dl class="facts">
${row('类别', 'Category', `${CATEGORY_ZH[c.category]} / ${CATEGORY_EN[c.category]}`)}
${row('内容', 'Text', `<span id="complaint-text">${esc(c.text)}</span>`)}
${row('投诉人电话', 'Resident phone', c.phone ? tel(c.phone) : '<span class="muted">未留 / not given</span>')}
${row('提交时间', 'Filed', esc(cstMinute(c.createdAt)))}
${row('受理时限', 'Acknowledge by', esc(cstMinute(c.ackDueAt)))}
${row('办结时限', 'Resolve by', esc(cstMinute(c.resolveDueAt)))}
${c.resolution ? row('处理结果', 'Resolution', esc(c.resolution)) : ''}
</dl>
${open ? `<form id="act" data-post="/c/${esc(token)}/actions" novalidate>
<label for="note">说明 / Note</label>
<textarea id="note" name="note" maxlength="500" rows="3"></textarea>
<div class="buttons">
${c.state === 'new' ? '<button type="submit" name="kind" value="acknowledge" id="acknowledge">已受理 / Acknowledge</button>' : ''}
<button type="submit" name="kind" value="resolve" id="resolve">已处理 / Resolved</button>
</div>
<p class="result" id="result" role="status" aria-live="polite"></p>
</form>` : ''}
</main>`)
}

export function refusedLinkPage(): string {
  return shell('链接无效 / Link invalid', `<main class="public">
<header><h1>链接无效或已过期<small>This link is invalid or has expired</small></h1></header>
<p>请联系 96333。/ Please call 96333.</p>
</main>`)
}
