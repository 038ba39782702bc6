// What every route behind a signed link shares (the responder's /r/, the grid administrator's /g/):
// nothing cached or passed on as a referrer, and a failure logged without the URL and with the
// token cut out of the message — the token is the permission, so it never reaches a log.
import type { FastifyError, FastifyInstance } from 'fastify'
import { errorBody, HttpErrorCode } from './errors.ts'

export function guardLinkScope(scope: FastifyInstance, what: string): void {
  scope.addHook('onSend', async (_req, reply) => {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer')
  })
  // validation and other 4xx go on to the app's handler (it logs nothing for them)
  scope.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.validation || (err.statusCode !== undefined && err.statusCode < 500)) throw err
    const token = (req.params as { token?: string }).token ?? ''
    const message = token ? String(err.message).replaceAll(token, '<token>') : String(err.message)
    req.log.error({ route: req.routeOptions.url, link: what, err: { type: err.name, message } }, 'link request failed')
    return reply.code(500).send(errorBody(500, HttpErrorCode.Internal, 'internal error; see the broker log'))
  })
}
