// The HTTP API's error table (STYLE rule 9). Every error body is
// { statusCode, code, error, message, problems? } so clients can switch on `code`.
import type { FastifySchemaValidationError } from 'fastify'

export const HttpErrorCode = {
  BadQuery: 'LW_ERR_HTTP_BAD_QUERY',          // query string failed validation (problems lists each)
  NotFound: 'LW_ERR_HTTP_NOT_FOUND',          // no such route or static file
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

const REASON: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' }

export function errorBody(statusCode: number, code: HttpErrorCode, message: string, problems?: string[]): ErrorBody {
  return { statusCode, code, error: REASON[statusCode] ?? 'Error', message, ...(problems ? { problems } : {}) }
}

/** One line per ajv error, named by parameter: "limit: must be <= 5000". */
export function describeProblems(errors: FastifySchemaValidationError[], allowed: string[]): string[] {
  return errors.map((e) => {
    const field = e.instancePath.replace(/^\//, '')
    const params = e.params as Record<string, unknown>
    switch (e.keyword) {
      case 'additionalProperties':
        return `unknown parameter '${String(params.additionalProperty)}' (allowed: ${allowed.join(', ') || 'none'})`
      case 'enum':
        return `${field}: must be one of ${(params.allowedValues as unknown[]).join(', ')}`
      case 'pattern':
        return `${field}: not a valid ${field === 'elevator' ? 'elevator id' : 'value'} (must match ${String(params.pattern)})`
      default:
        return `${field || 'query'}: ${e.message ?? 'invalid'}`
    }
  })
}
