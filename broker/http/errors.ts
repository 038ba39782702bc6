// The HTTP API's error table (docs/architecture.md#conventions, rule 9). Every error body is
// { statusCode, code, error, message, problems? } so clients can switch on `code`.
import type { FastifyReply, FastifySchemaValidationError } from 'fastify'

export const HttpErrorCode = {
  BadQuery: 'LW_ERR_HTTP_BAD_QUERY',          // query string failed validation (problems lists each)
  BadRequest: 'LW_ERR_HTTP_BAD_REQUEST',      // body or path failed validation, or the body is not JSON
  NotFound: 'LW_ERR_HTTP_NOT_FOUND',          // no such route or static file
  UnknownAlarm: 'LW_ERR_HTTP_UNKNOWN_ALARM',  // no alarm with the id in the path
  TooManyStreams: 'LW_ERR_HTTP_TOO_MANY_STREAMS', // /api/events already serves sse.maxClients clients
  Unhealthy: 'LW_ERR_HTTP_UNHEALTHY',         // /healthz: a check failed (body still lists the checks)
  Internal: 'LW_ERR_HTTP_INTERNAL',           // a bug or a failing view; details only in the log
  Unauthenticated: 'LW_ERR_HTTP_UNAUTHENTICATED', // no valid session cookie or API token (log in at /login)
  LoginFailed: 'LW_ERR_HTTP_LOGIN_FAILED',    // wrong username or password (which one is not said)
  LoginLocked: 'LW_ERR_HTTP_LOGIN_LOCKED',    // too many failures for the username: retry after `retryAfter` s
  TooManyRequests: 'LW_ERR_HTTP_TOO_MANY_REQUESTS', // per-address rate limit (POST /api/login)
  Csrf: 'LW_ERR_HTTP_CSRF',                   // a cookie-authenticated write without the session's x-csrf-token
  Forbidden: 'LW_ERR_HTTP_FORBIDDEN',         // the role may not do this, or the Origin is another site's
  BadHost: 'LW_ERR_HTTP_BAD_HOST',            // the Host header names another origin than http.publicOrigin
  TooManyUserStreams: 'LW_ERR_HTTP_TOO_MANY_USER_STREAMS', // the user already holds sse.maxPerUser event streams
  UnknownIncident: 'LW_ERR_HTTP_UNKNOWN_INCIDENT', // no incident with the id, or one outside the caller's scope
  UnknownElevator: 'LW_ERR_HTTP_UNKNOWN_ELEVATOR', // a desk call's code or a drill's elevator is not in the registry (or not in scope)
  IncidentConflict: 'LW_ERR_HTTP_INCIDENT_CONFLICT', // the response engine refused the action (closed, already arrived…)
  LinkInvalid: 'LW_ERR_HTTP_LINK_INVALID',    // a responder link that is malformed or whose signature does not match
  LinkExpired: 'LW_ERR_HTTP_LINK_EXPIRED',    // a responder link past its expiry, or for an incident the store no longer holds
  UnknownHazard: 'LW_ERR_HTTP_UNKNOWN_HAZARD', // no hazard with the id, or one outside the caller's scope
  HazardConflict: 'LW_ERR_HTTP_HAZARD_CONFLICT', // the hazard cannot make that change (a bad state transition, closed)
  UnknownPhoto: 'LW_ERR_HTTP_UNKNOWN_PHOTO',  // no photo with the id, or none the caller may see
  PhotoRefused: 'LW_ERR_HTTP_PHOTO_REFUSED',  // an uploaded photo is not JPEG/PNG/WebP by its bytes, not its declared type, or too small/large (problems: the reason)
} as const
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode]

export interface ErrorBody {
  statusCode: number
  code: HttpErrorCode
  error: string
  message: string
  problems?: string[]
}

const REASON: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 421: 'Misdirected Request', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
}

// a pattern failure in words, for fields whose pattern would mean nothing to the reader
const PATTERN_MEANS: Record<string, string> = {
  note: 'must contain a visible character and no control characters',
  text: 'must contain a visible character and no control characters',
  cause: 'must contain a visible character and no control characters',
  caller: 'must contain a visible character and no control characters',
  org: 'must contain a visible character and no control characters',
}

export function errorBody(statusCode: number, code: HttpErrorCode, message: string, problems?: string[]): ErrorBody {
  return { statusCode, code, error: REASON[statusCode] ?? 'Error', message, ...(problems ? { problems } : {}) }
}

/**
 * One line per ajv error, named by parameter: "limit: must be <= 5000". `part` names the whole
 * input (query, body) when the error is about it rather than one field.
 */
export function describeProblems(errors: FastifySchemaValidationError[], allowed: string[], part = 'query'): string[] {
  return errors.map((e) => {
    const field = e.instancePath.replace(/^\//, '')
    const params = e.params as Record<string, unknown>
    switch (e.keyword) {
      case 'additionalProperties':
        return `unknown ${part === 'query' ? 'parameter' : 'field'} '${String(params.additionalProperty)}' (allowed: ${allowed.join(', ') || 'none'})`
      case 'enum':
        return `${field}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`
      case 'pattern':
        return `${field}: ${PATTERN_MEANS[field] ?? `not a valid ${field === 'elevator' ? 'elevator id' : 'value'} (must match ${String(params.pattern)})`}`
      default:
        return `${field || part}: ${e.message ?? 'invalid'}`
    }
  })
}

/** 400 for a body the route's own checks refused, naming each problem. */
export const badBody = (reply: FastifyReply, problems: string[]) =>
  reply.code(400).send(errorBody(400, HttpErrorCode.BadRequest, `bad body: ${problems.join('; ')}`, problems))
