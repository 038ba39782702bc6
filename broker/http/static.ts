// The live page's static files: GET / is index.html, GET /login login.html, GET /ui/<file> the
// rest. No bundler, no
// CDN; the Content-Security-Policy keeps the page from fetching anything off this host.
import { readFile, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { errorBody, HttpErrorCode } from './errors.ts'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
}

// also what @fastify/helmet sends on every other answer (broker/http/auth.ts)
export const CSP_DIRECTIVES: Readonly<Record<string, string[]>> = Object.freeze({
  'default-src': ["'self'"], 'script-src': ["'self'"], 'style-src': ["'self'"], 'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"], 'base-uri': ["'none'"], 'form-action': ["'none'"], 'frame-ancestors': ["'none'"],
})
const CSP = Object.entries(CSP_DIRECTIVES).map(([k, v]) => `${k} ${v.join(' ')}`).join('; ')

export function registerStatic(app: FastifyInstance, uiDir: string): void {
  const root = resolve(uiDir)

  async function send(reply: FastifyReply, rel: string, ifNoneMatch: string | undefined) {
    const file = resolve(root, rel)
    const type = TYPES[extname(file)]
    // only known file types strictly inside uiDir: no traversal, no dotfiles served by accident
    if (!type || !file.startsWith(root + sep) || rel.split('/').some((p) => p.startsWith('.'))) return notFound(reply, rel)
    let st
    try { st = await stat(file) } catch { return notFound(reply, rel) }
    if (!st.isFile()) return notFound(reply, rel)
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`
    reply.header('etag', etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff')
    if (type.startsWith('text/html')) reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer')
    if (ifNoneMatch === etag) return reply.code(304).send()
    return reply.type(type).send(await readFile(file))
  }

  function notFound(reply: FastifyReply, rel: string) {
    return reply.code(404).send(errorBody(404, HttpErrorCode.NotFound, `no such file: /ui/${rel}`))
  }

  app.get('/', (req, reply) => send(reply, 'index.html', req.headers['if-none-match']))
  app.get('/login', (req, reply) => send(reply, 'login.html', req.headers['if-none-match']))
  app.get<{ Params: { '*': string } }>('/ui/*', (req, reply) => send(reply, req.params['*'], req.headers['if-none-match']))
}
