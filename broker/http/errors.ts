// The HTTP API's error table (docs/architecture.md#conventions, rule 9). Every error body is
// { statusCode, code, error, message, problems? } so clients can switch on `code`.
import type { FastifySchemaValidationError } from 'fastify'

export const HttpErrorCode = {
  BadQuery: 'LW_ERR_HTTP_BAD_QUERY',          // query string failed validation (problems lists each)
  BadRequest: 'LW_ERR_HTTP_BAD_REQUEST',      // body or path failed validation, or the body is not JSON
  NotFound: 'LW_ERR_HTTP_NOT_FOUND',          // no such route or static file
  UnknownAlarm: 'LW_ERR_HTTP_UNKNOWN_ALARM',  // no alarm with the id in the path
  TooManyStreams: 'LW_ERR_HTTP_TOO_MANY_STREAMS', // /api/events already serves sse.maxClients clients
  Unhealthy: 'LW_ERR_HTTP_UNHEALTHY',         // /healthz: a check failed (body still lists the checks)
  Internal: 'LW_ERR_HTTP_INTERNAL',           // a bug or a failing view; details only in the log
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
  400: 'Bad Request', 404: 'Not Found', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 500: 'Internal Server Error', 503: 'Service Unavailable',
}

// a pattern failure in words, for fields whose pattern would mean nothing to the reader
const PATTERN_MEANS: Record<string, string> = {
  by: 'must contain a visible character and no control characters',
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
