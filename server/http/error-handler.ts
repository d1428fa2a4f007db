import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type AppErrorCode, isAppError, STATUS_BY_CODE } from '../errors.ts'
import { TEXT_FORMAT, TEXT_FORMAT_MESSAGE } from './text.ts'

/**
 * One place that turns every failure into `{ error: { code, message }, request_id }`.
 * Expected errors (AppError, validation, body parsing) keep their message; anything else becomes a
 * generic 500 whose detail goes to the log only.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isAppError(error)) {
      if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed')
      return sendError(reply, request, error.code, error.message, error.details)
    }
    if (error.validation) {
      const { message, field, rule } = describeValidationError(error)
      // `field` and `rule` let a client word its own message ("This link is incomplete").
      return sendError(reply, request, 'VALIDATION_FAILED', message, { field, rule })
    }
    const fastifyMapped = mapFastifyError(error)
    if (fastifyMapped) return sendError(reply, request, fastifyMapped.code, fastifyMapped.message)
    const refusedInput = databaseInputErrorCode(error)
    if (refusedInput) {
      // Validation should have caught it; the log names the gap, the client gets a 400, not a 500.
      request.log.warn({ err: error, sqlState: refusedInput }, 'database refused a request value')
      return sendError(reply, request, 'VALIDATION_FAILED', 'A value in the request is not acceptable.')
    }

    request.log.error({ err: error }, 'unexpected error')
    return sendError(reply, request, 'INTERNAL', 'Something went wrong on our side. Please try again.')
  })

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, 'NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
  )
}

export function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  code: AppErrorCode,
  message: string,
  details?: Record<string, unknown>,
): FastifyReply {
  return reply
    .status(STATUS_BY_CODE[code])
    .type('application/json; charset=utf-8')
    .send({ error: { code, message, ...details }, request_id: request.id })
}

function describeValidationError(error: FastifyError): { message: string; field: string; rule: string } {
  const first = error.validation?.[0]
  const context = error.validationContext ?? 'request'
  if (!first) return { message: error.message, field: context, rule: 'invalid' }
  const params = first.params as { missingProperty?: string; additionalProperty?: string; format?: string }
  const field = [context, ...first.instancePath.split('/').filter(Boolean)].join('.')
  const rule = first.keyword
  if (params.missingProperty) {
    const missing = `${context}.${params.missingProperty}`
    return { message: `${missing} is required`, field: missing, rule }
  }
  if (params.additionalProperty) {
    return { message: `${field}.${params.additionalProperty} is not an accepted field`, field, rule }
  }
  if (first.keyword === 'format' && params.format === TEXT_FORMAT) {
    return { message: `${field} ${TEXT_FORMAT_MESSAGE}`, field, rule: 'text' }
  }
  return { message: `${field} ${first.message ?? 'is invalid'}`, field, rule }
}

function mapFastifyError(error: FastifyError): { code: AppErrorCode; message: string } | null {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json.' }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'MALFORMED_JSON', message: 'The request body is empty; send a JSON object.' }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.' }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { code: 'MALFORMED_JSON', message: 'The Content-Length header does not match the body.' }
    default:
      break
  }
  if (error.statusCode === 429) return { code: 'RATE_LIMITED', message: error.message }
  if (error.statusCode === 413)
    return { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' }
  if (error.statusCode === 415) {
    return { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json.' }
  }
  return null
}

/**
 * SQLSTATEs (PostgreSQL and PGlite alike) that mean "this value cannot be stored or compared", i.e.
 * the request carried it: class 22 data exceptions such as a NUL byte (22021), text that is not a
 * uuid (22P02), a string longer than its column (22001), a number or date out of range.
 */
const INPUT_SQL_STATES = new Set(['22001', '22003', '22007', '22008', '22021', '22P02', '22P05'])

/** The SQLSTATE of a database error caused by a value, looking through drizzle's wrapping. */
export function databaseInputErrorCode(error: unknown): string | null {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string' && INPUT_SQL_STATES.has(code)) return code
    current = (current as { cause?: unknown }).cause
  }
  return null
}
