// Which Host headers the HTTP API answers, and whether a listen address is loopback. A request
// naming another origin is refused (DNS rebinding: a page of another site resolved to this
// address must not reach the API with the victim's network position).
import { hostname, networkInterfaces } from 'node:os'

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1']
const WILDCARD = ['0.0.0.0', '::', '']

/** A listen address or client IP on this machine only: 127/8, ::1, ::ffff:127/104, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(h)
}

/** The host name of a Host header without its port: `[::1]:8080` → `::1`. */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'))
  const colon = h.indexOf(':')
  return colon >= 0 && colon === h.lastIndexOf(':') ? h.slice(0, colon) : h
}

/**
 * With a public origin (https://lifts.example.gov.cn) its host and port are answered, as the
 * browser sends them. Without one: the listen address at any port; on a wildcard address, every
 * address of this machine's interfaces and its host name too. Loopback names always (a health
 * check or a scraper on the host itself; a rebinding page sends its own name, never these).
 */
export function hostCheck(opts: { publicOrigin?: string | undefined; listenHost?: string | undefined }): (header: string | undefined) => boolean {
  if (opts.publicOrigin) {
    const want = new URL(opts.publicOrigin).host.toLowerCase()
    return (header) => header !== undefined && (header.trim().toLowerCase() === want || LOOPBACK_NAMES.includes(hostOf(header)))
  }
  const names = new Set(LOOPBACK_NAMES)
  const listen = (opts.listenHost ?? '').toLowerCase()
  if (WILDCARD.includes(listen)) {
    names.add(hostname().toLowerCase())
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address.toLowerCase())
  } else {
    names.add(listen)
  }
  return (header) => header !== undefined && names.has(hostOf(header))
}

/**
 * Why the broker must not serve logins on this address, or null. Auto-login only on loopback. Passwords and session cookies
 * must not cross a network in clear text: a non-loopback address needs TLS (http.tls) or the
 * operator's explicit `http.insecureHttp` / `--insecure-http` (a TLS proxy in front, a lab).
 */
export function plainHttpRefusal(http: { host: string; tls?: unknown; insecureHttp?: boolean | undefined; autoLogin?: unknown }): string | null {
  if (http.autoLogin && !isLoopback(http.host)) {
    return `http.autoLogin is for the demo on this machine only: http.host ${http.host} is not a loopback address`
  }
  if (http.tls || http.insecureHttp || isLoopback(http.host)) return null
  return `http.host ${http.host} is not a loopback address and http.tls is not set: logins and session cookies would travel in clear text. ` +
    'Set http.tls { cert, key } (docs/deploy.md), or put a TLS proxy in front and set http.insecureHttp: true or pass --insecure-http'
}
