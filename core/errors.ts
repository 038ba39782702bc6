// One way to make a module's error class from its code table: every error carries a code, a
// message, data to find the failing thing by, and the cause it wraps. Each module keeps one table
// (its errors.ts) and derives its class with `class XError extends errorClass('XError', XCode) {}`,
// so `instanceof XError` and `err.code` mean the same thing everywhere.

export type ErrorData = Readonly<Record<string, unknown>>
export type ErrorCode = `LW_ERR_${string}`

export interface CodedError<C extends string = string> extends Error {
  readonly code: C
  readonly data: ErrorData
}

export type CodedErrorClass<C extends string> = new (code: C, message: string, data?: ErrorData, cause?: unknown) => CodedError<C>

export type CodeOf<T extends Record<string, string>> = T[keyof T]

/** The error class of one module's table; `name` is what pino prints as the error's type. */
export function errorClass<const T extends Record<string, ErrorCode>>(name: string, _codes: T): CodedErrorClass<CodeOf<T>> {
  const cls = class extends Error {
    constructor(readonly code: CodeOf<T>, message: string, readonly data: ErrorData = {}, cause?: unknown) {
      super(message, cause === undefined ? undefined : { cause })
    }
  }
  Object.defineProperty(cls, 'name', { value: name })
  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true })
  return cls
}


// core's own table: the failures every runnable part shares
export const CoreErrorCode = {
  Config: 'LW_ERR_CONFIG',   // a configuration file is unreadable, not YAML, or invalid (data: file, problems)
  Usage: 'LW_ERR_USAGE',     // bad command-line arguments (data: problems)
  Sqlite: 'LW_ERR_SQLITE',   // a SQLite file could not be opened or migrated (data: path)
} as const
export type CoreErrorCode = CodeOf<typeof CoreErrorCode>

export class CoreError extends errorClass('CoreError', CoreErrorCode) {}
