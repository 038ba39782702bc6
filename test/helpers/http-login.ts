// A logged-in HTTP client of the broker, as the page is one: POST /api/login with a user's
// password, then the session cookie on every request and the CSRF token on every write
// (broker/http/auth.ts). For `fetch` against a listening broker and for fastify's `inject`.
import type { FastifyInstance } from 'fastify'
import type { Page } from 'playwright-core'

export const SESSION_COOKIE = 'lw_session'

export interface HttpSession {
  base: string
  /** `lw_session=…`, for a Cookie header */
  cookie: string
  csrf: string
  user: { username: string; name: string; role: string; scope: unknown }
  get(path: string, headers?: Record<string, string>): Promise<Response>
  json<T = Record<string, unknown>>(path: string): Promise<T>
  /** a JSON write with the cookie and the CSRF token */
  post(path: string, body?: unknown): Promise<Response>
}

/** The `lw_session=value` pair from a response's Set-Cookie headers, or null. */
export function sessionCookie(setCookies: string[]): string | null {
  for (const c of setCookies) {
    const pair = c.split(';')[0]!.trim()
    if (pair.startsWith(`${SESSION_COOKIE}=`) && pair.length > SESSION_COOKIE.length + 1) return pair
  }
  return null
}

export async function login(base: string, username: string, password: string): Promise<HttpSession> {
  const res = await fetch(`${base}/api/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  })
  if (res.status !== 200) throw new Error(`login as ${username} answered ${res.status}: ${await res.text()}`)
  const cookie = sessionCookie(res.headers.getSetCookie())
  if (!cookie) throw new Error(`login as ${username} set no ${SESSION_COOKIE} cookie`)
  const { user, csrf } = await res.json() as { user: HttpSession['user']; csrf: string }
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers: { cookie, ...headers } })
  return {
    base, cookie, csrf, user, get,
    async json<T>(path: string) {
      const r = await get(path)
      if (r.status !== 200) throw new Error(`GET ${path} as ${username} answered ${r.status}: ${await r.text()}`)
      return await r.json() as T
    },
    post: (path, body = {}) => fetch(`${base}${path}`, {
      method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify(body),
    }),
  }
}

/** The same through fastify's inject: headers for reads and for writes. */
export async function injectLogin(app: FastifyInstance, username: string, password: string): Promise<{ read: Record<string, string>; write: Record<string, string> }> {
  const res = await app.inject({ method: 'POST', url: '/api/login', payload: { username, password } })
  if (res.statusCode !== 200) throw new Error(`login as ${username} answered ${res.statusCode}: ${res.body}`)
  const raw = res.headers['set-cookie']
  const cookie = sessionCookie(Array.isArray(raw) ? raw : raw ? [raw] : [])
  if (!cookie) throw new Error(`login as ${username} set no ${SESSION_COOKIE} cookie`)
  const { csrf } = res.json() as { csrf: string }
  return { read: { cookie }, write: { cookie, 'x-csrf-token': csrf } }
}

/** Through the zh-CN login page in a browser: `/` sends an anonymous visitor there; back on the live page, connected. */
export async function loginInPage(page: Page, base: string, username: string, password: string, screenshot?: string): Promise<void> {
  await page.goto(`${base}/`)
  await page.waitForURL(/\/login/)
  await page.locator('input[name="username"]').fill(username)
  await page.locator('input[name="password"]').fill(password)
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true })
  await page.locator('button[type="submit"], input[type="submit"]').first().click()
  await page.waitForURL((url) => !url.pathname.startsWith('/login'))
  await page.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-state') === 'live', undefined, { timeout: 15_000 })
}
