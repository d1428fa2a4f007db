import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { originOf } from '../../http/request-origin.ts'
import { Text } from '../../http/text.ts'
import type { PasswordService } from './password-service.ts'
import { memberSessionOf, requireSession, SESSION_COOKIE } from './session-guard.ts'

const Password = Text({ minLength: 1, maxLength: 1024 })
const Email = Text({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' })

const ChangePasswordBodySchema = Type.Object(
  { current_password: Password, new_password: Password },
  { additionalProperties: false },
)
const ResetRequestBodySchema = Type.Object({ email: Email }, { additionalProperties: false })
const ResetConfirmBodySchema = Type.Object(
  { token: Text({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }), password: Password },
  { additionalProperties: false },
)

export const PasswordChangedSchema = Type.Object({ ended_sessions: Type.Integer() })
export const ResetRequestedSchema = Type.Object({ ok: Type.Literal(true), message: Type.String() })
export const ResetConfirmedSchema = Type.Object({ ok: Type.Literal(true) })

/** The same answer whether or not the e-mail has an account. */
const RESET_REQUESTED = {
  ok: true,
  message: 'If an account uses this e-mail address, a link to reset its password is on its way.',
} as const

export type PasswordRoutesOptions = {
  passwords: PasswordService
  /** Reset requests per minute, per address and per e-mail. */
  resetRequestsPerMinute: number
}

export const passwordRoutes: FastifyPluginAsyncTypebox<PasswordRoutesOptions> = async (app, options) => {
  const { passwords } = options

  app.post(
    '/api/auth/password',
    {
      onRequest: requireSession,
      schema: {
        body: ChangePasswordBodySchema,
        response: { 200: PasswordChangedSchema },
      },
      config: {
        rateLimit: {
          max: 10,
          timeWindow: 60_000,
          keyGenerator: (request) => `password-change:${request.ip}`,
        },
      },
    },
    async (request) =>
      passwords.change(
        memberSessionOf(request),
        request.cookies[SESSION_COOKIE] ?? '',
        request.body,
        originOf(request),
      ),
  )

  app.post(
    '/api/auth/password-reset/request',
    {
      schema: {
        body: ResetRequestBodySchema,
        response: { 202: ResetRequestedSchema },
      },
      config: {
        rateLimit: {
          max: options.resetRequestsPerMinute,
          timeWindow: 60_000,
          hook: 'preHandler',
          keyGenerator: (request) =>
            `password-reset:${request.ip}:${String((request.body as { email?: unknown })?.email ?? '').toLowerCase()}`,
        },
      },
    },
    async (request, reply) => {
      // Answered before any lookup: neither the status, the body nor the time says whether the
      // e-mail has an account.
      const origin = originOf(request)
      setImmediate(() => {
        passwords.request(request.body.email, origin).catch((error: unknown) => {
          request.log.error({ err: error }, 'password reset request failed')
        })
      })
      return reply.status(202).send(RESET_REQUESTED)
    },
  )

  app.post(
    '/api/auth/password-reset/confirm',
    {
      schema: { body: ResetConfirmBodySchema, response: { 200: ResetConfirmedSchema } },
      config: {
        rateLimit: {
          max: 10,
          timeWindow: 60_000,
          keyGenerator: (request) => `password-reset-confirm:${request.ip}`,
        },
      },
    },
    async (request) => {
      await passwords.confirm(request.body, originOf(request))
      return { ok: true as const }
    },
  )
}
