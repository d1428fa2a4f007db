import type { FastifyInstance } from 'fastify'
import Type from 'typebox'
import { isPlaidErrorCode, PLAID_ERROR_CODES, plaidError } from '../errors.ts'
import type { SandboxControl } from '../sandbox.ts'
import { compileRequestValidator } from '../schemas/validate.ts'
import { requestIdOf } from './route-support.ts'

export const ADMIN_PREFIX = '/__admin'

const FaultRequest = Type.Object(
  {
    endpoint: Type.String({ minLength: 1 }),
    times: Type.Optional(Type.Integer({ minimum: 1 })),
    error_code: Type.Optional(Type.Enum(PLAID_ERROR_CODES)),
    http_status: Type.Optional(Type.Union([Type.Literal(429), Type.Literal(500), Type.Literal(503)])),
    delay_ms: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
)
const AdvanceClockRequest = Type.Object({ ms: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })
const DropWebhooksRequest = Type.Object(
  { count: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
)
const RotateKeyRequest = Type.Object(
  { grace_ms: Type.Optional(Type.Integer({ minimum: 0 })) },
  { additionalProperties: false },
)

const AuthNumbersRequest = Type.Object(
  {
    item_id: Type.String({ minLength: 1 }),
    account_id: Type.String({ minLength: 1 }),
    account: Type.Optional(Type.String()),
    routing: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
)

/**
 * The control API, deliberately outside Plaid's URL space. It mirrors `sandbox.control` so tests in
 * other processes (and curl) can drive the sandbox. Errors use Plaid's envelope.
 */
export function registerAdminRoutes(app: FastifyInstance, control: SandboxControl): void {
  const validateFault = compileRequestValidator(FaultRequest)
  const validateAdvance = compileRequestValidator(AdvanceClockRequest)
  const validateDrop = compileRequestValidator(DropWebhooksRequest)
  const validateRotate = compileRequestValidator(RotateKeyRequest)
  const validateAuthNumbers = compileRequestValidator(AuthNumbersRequest)
  const bodyOf = (body: unknown) => (body ?? {}) as Record<string, unknown>

  app.get(`${ADMIN_PREFIX}/deliveries`, async (request) => ({
    deliveries: control.deliveries(),
    request_id: requestIdOf(request),
  }))

  app.post(`${ADMIN_PREFIX}/webhooks/flush`, async (request) => {
    await control.flushWebhooks()
    return { deliveries: control.deliveries(), request_id: requestIdOf(request) }
  })

  app.post(`${ADMIN_PREFIX}/webhooks/drop`, async (request) => {
    const body = bodyOf(request.body)
    validateDrop(body)
    control.dropWebhooks(body.count as number)
    return { request_id: requestIdOf(request) }
  })

  app.get(`${ADMIN_PREFIX}/faults`, async (request) => ({
    faults: control.faults(),
    request_id: requestIdOf(request),
  }))

  app.post(`${ADMIN_PREFIX}/faults`, async (request) => {
    const body = bodyOf(request.body) as {
      endpoint: string
      times?: number
      error_code?: string
      http_status?: 429 | 500 | 503
      delay_ms?: number
    }
    validateFault(body)
    if (body.error_code !== undefined && !isPlaidErrorCode(body.error_code)) throw plaidError('INVALID_FIELD')
    try {
      const fault = control.failNext({
        endpoint: body.endpoint,
        ...(body.times !== undefined ? { times: body.times } : {}),
        ...(body.error_code !== undefined ? { errorCode: body.error_code } : {}),
        ...(body.http_status !== undefined ? { httpStatus: body.http_status } : {}),
        ...(body.delay_ms !== undefined ? { delayMs: body.delay_ms } : {}),
      })
      return { fault, request_id: requestIdOf(request) }
    } catch (error) {
      if (error instanceof RangeError) throw plaidError('INVALID_FIELD', error.message)
      throw error
    }
  })

  app.delete(`${ADMIN_PREFIX}/faults`, async (request) => {
    control.clearFaults()
    return { request_id: requestIdOf(request) }
  })

  app.get(`${ADMIN_PREFIX}/clock`, async (request) => ({
    ...clockView(control),
    request_id: requestIdOf(request),
  }))

  app.post(`${ADMIN_PREFIX}/clock/advance`, async (request) => {
    const body = bodyOf(request.body)
    validateAdvance(body)
    control.advanceClock(body.ms as number)
    return { ...clockView(control), request_id: requestIdOf(request) }
  })

  app.get(`${ADMIN_PREFIX}/signing-keys`, async (request) => ({
    keys: control.signingKeys(),
    request_id: requestIdOf(request),
  }))

  app.post(`${ADMIN_PREFIX}/signing-keys/rotate`, async (request) => {
    const body = bodyOf(request.body)
    validateRotate(body)
    const kid = control.rotateSigningKey(
      body.grace_ms === undefined ? {} : { graceMs: body.grace_ms as number },
    )
    return { kid, keys: control.signingKeys(), request_id: requestIdOf(request) }
  })

  app.get(`${ADMIN_PREFIX}/link-sessions`, async (request) => ({
    link_sessions: control.linkSessions(),
    request_id: requestIdOf(request),
  }))

  // The bank renumbered an account: /auth/get answers the new numbers, AUTH DEFAULT_UPDATE says so.
  app.post(`${ADMIN_PREFIX}/items/auth-numbers`, async (request) => {
    const body = bodyOf(request.body) as {
      item_id: string
      account_id: string
      account?: string
      routing?: string
    }
    validateAuthNumbers(body)
    control.changeAuthNumbers({
      itemId: body.item_id,
      accountId: body.account_id,
      ...(body.account !== undefined ? { account: body.account } : {}),
      ...(body.routing !== undefined ? { routing: body.routing } : {}),
    })
    return { request_id: requestIdOf(request) }
  })

  app.post(`${ADMIN_PREFIX}/reset`, async (request) => {
    control.reset()
    return { request_id: requestIdOf(request) }
  })
}

function clockView(control: SandboxControl) {
  const now = control.now()
  return { now: new Date(now).toISOString(), now_ms: now, offset_ms: control.clockOffsetMs() }
}
