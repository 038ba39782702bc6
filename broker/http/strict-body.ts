// Request bodies validated without type coercion. Fastify's default ajv coerces (coerceTypes:
// 'array'): right for query strings, where every value arrives as text, but in a JSON body it
// turns 123 into "123" and "a" into ["a"], so a wrong type passes. Routes with a body use this.
import { Ajv } from 'ajv'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'

const ajv = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: true, strict: false })

export const strictValidator: FastifySchemaCompiler<FastifySchema> = ({ schema }) => ajv.compile(schema as object)
