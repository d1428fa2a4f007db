import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import Type from 'typebox'
import { AppError } from '../../errors.ts'
import { NoContent } from '../../http/responses.ts'
import { Text } from '../../http/text.ts'
import { SessionResponseSchema } from './schemas.ts'
import type { RequestOrigin } from './service.ts'
import {
  memberSessionOf,
  requireRecentAuth,
  requireRole,
  requireSession,
  SESSION_COOKIE,
  toSessionResponse,
} from './session-guard.ts'
import { PENDING_SIGN_IN_COOKIE, type SecondFactorProof, type TwoFactorService } from './two-factor.ts'

/** Six digits, optionally with spaces (as authenticator apps show them). */
const TotpCode = Text({ minLength: 6, maxLength: 12, pattern: '^\\s*[0-9]{3}\\s*[0-9]{3}\\s*$' })
/** Ten letters and digits, dashes and spaces ignored. */
const RecoveryCode = Text({ minLength: 10, maxLength: 32, pattern: '^[0-9A-Za-z\\s-]+$' })
/** Either: six digits are taken as a TOTP code, anything else as a recovery code. */
const AnyCode = Text({ minLength: 6, maxLength: 32, pattern: '^[0-9A-Za-z\\s-]+$' })

export const TwoFactorStatusSchema = Type.Object({
  totp_enabled: Type.Boolean(),
  totp_pending: Type.Boolean(),
  recovery_codes_remaining: Type.Integer(),
  required: Type.Boolean(),
})
const SecondFactorBodySchema = Type.Object(
  { code: Type.Optional(TotpCode), recovery_code: Type.Optional(RecoveryCode) },
  { additionalProperties: false },
)
const DisableBodySchema = Type.Object(
  { code: Type.Optional(AnyCode), recovery_code: Type.Optional(RecoveryCode) },
  { additionalProperties: false },
)
const ReauthBodySchema = Type.Object(
  { password: Type.Optional(Text({ minLength: 1, maxLength: 1024 })), code: Type.Optional(TotpCode) },
  { additionalProperties: false },
)
export const SecurityPolicySchema = Type.Object(
  { require_two_factor: Type.Boolean() },
  { additionalProperties: false },
)

export const TotpSetupSchema = Type.Object({ secret: Type.String(), otpauth_url: Type.String() })
/** Shown once: ten single-use codes. */
export const RecoveryCodesSchema = Type.Object({ recovery_codes: Type.Array(Type.String()) })
export const ReauthResponseSchema = Type.Object({ authenticated_until: Type.String({ format: 'date-time' }) })

export type TwoFactorRoutesOptions = {
  twoFactor: TwoFactorService
  isSecureOrigin: boolean
  /** Per client address and minute, for code and password checks (SIGN_IN_ATTEMPTS_PER_MINUTE). */
  attemptsPerMinute: number
}

export const twoFactorRoutes: FastifyPluginAsyncTypebox<TwoFactorRoutesOptions> = async (app, options) => {
  const { twoFactor } = options
  const limited = (name: string) => ({
    rateLimit: {
      max: options.attemptsPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request: FastifyRequest) => `${name}:${request.ip}`,
    },
  })

  app.get(
    '/api/auth/2fa',
    { onRequest: requireSession, schema: { response: { 200: TwoFactorStatusSchema } } },
    async (request) => twoFactor.status(memberSessionOf(request)),
  )

  app.post(
    '/api/auth/2fa/totp/setup',
    {
      onRequest: requireSession,
      schema: {
        response: { 200: TotpSetupSchema },
      },
    },
    async (request) => twoFactor.setup(memberSessionOf(request)),
  )

  app.post(
    '/api/auth/2fa/totp/enable',
    {
      onRequest: requireSession,
      config: limited('2fa-enable'),
      schema: {
        body: Type.Object({ code: TotpCode }, { additionalProperties: false }),
        response: { 200: RecoveryCodesSchema },
      },
    },
    async (request) => twoFactor.enable(memberSessionOf(request), request.body.code, originOf(request)),
  )

  app.post(
    '/api/auth/2fa/totp/disable',
    {
      onRequest: [requireSession, requireRecentAuth],
      config: limited('2fa-disable'),
      schema: { body: DisableBodySchema, response: { 204: NoContent } },
    },
    async (request, reply) => {
      const body = oneProof(request.body)
      const proof: SecondFactorProof =
        body.code !== undefined && !/^\s*\d{3}\s*\d{3}\s*$/.test(body.code)
          ? { recovery_code: body.code }
          : body
      await twoFactor.disable(memberSessionOf(request), proof, originOf(request))
      return reply.status(204).send()
    },
  )

  app.post(
    '/api/auth/sign-in/2fa',
    {
      config: limited('sign-in-2fa'),
      schema: { body: SecondFactorBodySchema, response: { 200: SessionResponseSchema } },
    },
    async (request, reply) => {
      const proof = oneProof(request.body)
      const pendingToken = request.cookies[PENDING_SIGN_IN_COOKIE]
      if (!pendingToken) {
        throw new AppError(
          'TWO_FACTOR_SIGN_IN_EXPIRED',
          'This sign-in expired. Sign in again with your password.',
        )
      }
      const clearPending = () =>
        reply.clearCookie(PENDING_SIGN_IN_COOKIE, {
          path: '/api/auth/sign-in',
          httpOnly: true,
          sameSite: 'lax',
          secure: options.isSecureOrigin,
        })
      let signedIn: Awaited<ReturnType<TwoFactorService['completeSignIn']>>
      try {
        signedIn = await twoFactor.completeSignIn(pendingToken, proof, originOf(request))
      } catch (error) {
        if (error instanceof AppError && error.code === 'TWO_FACTOR_SIGN_IN_EXPIRED') clearPending()
        throw error
      }
      clearPending()
      reply.setCookie(SESSION_COOKIE, signedIn.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: options.isSecureOrigin,
        expires: signedIn.expiresAt,
      })
      return toSessionResponse(signedIn.session)
    },
  )

  app.post(
    '/api/auth/reauth',
    {
      onRequest: requireSession,
      config: limited('reauth'),
      schema: {
        body: ReauthBodySchema,
        response: { 200: ReauthResponseSchema },
      },
    },
    async (request) => {
      const session = memberSessionOf(request)
      const { password, code } = request.body
      if ((password === undefined) === (code === undefined)) {
        throw new AppError('VALIDATION_FAILED', 'body must have either password or code')
      }
      return twoFactor.reauthenticate(
        session,
        request.cookies[SESSION_COOKIE] ?? '',
        { password, code },
        originOf(request),
      )
    },
  )

  app.get(
    '/api/admin/security-policy',
    { onRequest: requireRole('admin'), schema: { response: { 200: SecurityPolicySchema } } },
    async (request) => twoFactor.getPolicy(memberSessionOf(request).workspace.id),
  )

  app.put(
    '/api/admin/security-policy',
    {
      onRequest: requireRole('admin'),
      schema: { body: SecurityPolicySchema, response: { 200: SecurityPolicySchema } },
    },
    async (request) => twoFactor.updatePolicy(memberSessionOf(request), request.body, originOf(request)),
  )
}

/** Exactly one of code and recovery_code. */
function oneProof(body: SecondFactorProof): SecondFactorProof {
  const { code, recovery_code } = body
  if ((code === undefined) === (recovery_code === undefined)) {
    throw new AppError('VALIDATION_FAILED', 'body must have either code or recovery_code')
  }
  return code !== undefined ? { code } : { recovery_code }
}

function originOf(request: FastifyRequest): RequestOrigin {
  return { ipAddress: request.ip, userAgent: request.headers['user-agent'] ?? null }
}
