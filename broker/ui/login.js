// The login page: POST /api/login, then the live page. The session cookie is HttpOnly, so the
// page never sees it; a refusal names the wait when the username is in backoff.
/* global document, window */  // browser module (eslint.config.js lints with node globals)
import { getLang, onLang, other, setLang, t } from './i18n.js'

const $ = (id) => document.getElementById(id)
let shown = null // [key, vars] of the error on screen, re-worded on a language switch

function show(key, vars) {
  shown = key ? [key, vars] : null
  $('error').hidden = !key
  $('error').textContent = key ? t(key, vars) : ''
}

async function submit(ev) {
  ev.preventDefault()
  const username = $('username').value.trim()
  const password = $('password').value
  if (!username || !password) return show('loginFailed')
  $('submit').disabled = true
  $('submit').textContent = t('loggingIn')
  try {
    const res = await fetch('/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    })
    let body = {}
    try { body = await res.json() } catch { /* not JSON: the status says enough */ }
    if (res.ok) return window.location.replace('/')
    $('password').value = ''
    if (res.status === 401) show('loginFailed')
    else if (res.status === 429) show('loginLocked', { s: body.retryAfter ?? res.headers.get('retry-after') ?? '' })
    else show('loginError', { m: body.message ?? `HTTP ${res.status}` })
  } catch (err) {
    show('loginError', { m: err.message })
  } finally {
    $('submit').disabled = false
    $('submit').textContent = t('loginButton')
  }
  return undefined
}

function relabel() {
  for (const n of document.querySelectorAll('[data-t]')) n.textContent = t(n.dataset.t)
  $('lang').textContent = t('langSwitch')
  $('lang').lang = other() === 'zh' ? 'zh-CN' : 'en'
  document.title = `${t('loginTitle')} · ${t('title')}`
  if (shown) show(...shown)
}

$('login').addEventListener('submit', submit)
$('lang').addEventListener('click', () => setLang(other()))
onLang(relabel)
setLang(getLang())
