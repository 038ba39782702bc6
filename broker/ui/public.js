// The forms of the public page (/p/<code>: a resident's report) and of a party's report page
// (/c/<token>: acknowledge, resolve). The page's CSP forbids form posts, so they go as JSON here.
/* global document, location */  // browser module (eslint.config.js lints with node globals)

function say(el, text, ok) {
  el.textContent = text
  el.className = `result ${ok ? 'ok' : 'err'}`
}

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit' })
  let json = null
  try { json = await res.json() } catch { /* an empty or non-JSON answer */ }
  return { status: res.status, json }
}

// control characters are refused by the server: a textarea's line breaks become spaces
const clean = (s) => [...s].map((ch) => (ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127 ? ' ' : ch)).join('').trim()

function reportForm(form) {
  const result = form.querySelector('#result')
  const send = form.querySelector('#send')
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    const text = clean(form.elements.text.value)
    const phone = form.elements.phone.value.trim()
    if (!text) return say(result, '请填写情况说明 / Please say what is wrong', false)
    if (phone && !/^1[3-9][0-9]{9}$/.test(phone)) return say(result, '手机号应为 11 位 / A mobile number has 11 digits', false)
    send.disabled = true
    try {
      const r = await post(form.dataset.post, { category: form.elements.category.value, text, ...(phone ? { phone } : {}) })
      if (r.status === 201) {
        say(result, '已提交，物业和楼道长会尽快处理。/ Sent: the use unit and the steward have been told.', true)
        form.elements.text.value = ''
        form.elements.phone.value = ''
      } else if (r.status === 429) {
        say(result, `提交过于频繁，请 ${r.json?.retryAfter ?? 60} 秒后再试 / Too many reports, retry later`, false)
      } else {
        say(result, `提交失败 / Not sent (${r.status})`, false)
      }
    } catch {
      say(result, '网络错误，请重试 / Network error, please retry', false)
    } finally {
      send.disabled = false
    }
  })
}

function actForm(form) {
  const result = form.querySelector('#result')
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault()
    const kind = ev.submitter?.value ?? 'acknowledge'
    const note = clean(form.elements.note.value)
    if (kind === 'resolve' && !note) return say(result, '请填写处理结果 / Please say what was done', false)
    for (const b of form.querySelectorAll('button')) b.disabled = true
    try {
      const r = await post(form.dataset.post, { kind, ...(note ? { note } : {}) })
      if (r.status === 200) {
        say(result, kind === 'resolve' ? '已记录：已处理 / Recorded: resolved' : '已记录：已受理 / Recorded: acknowledged', true)
        setTimeout(() => location.reload(), 800)
        return
      }
      say(result, `未能记录 / Not recorded (${r.json?.message ?? r.status})`, false)
    } catch {
      say(result, '网络错误，请重试 / Network error, please retry', false)
    }
    for (const b of form.querySelectorAll('button')) b.disabled = false
  })
}

const report = document.getElementById('report')
if (report) reportForm(report)
const act = document.getElementById('act')
if (act) actForm(act)
