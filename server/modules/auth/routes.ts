import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Static } from 'typebox'
import { SessionResponseSchema, SignInBodySchema } from './schemas.ts'
import type { AuthService, SessionContext } from './service.ts'
import { requireSession, SESSION_COOKIE, sessionOf } from './session-guard.ts'

export type AuthRoutesOptions = {
  auth: AuthService
  isSecureOrigin: boolean
  signInAttemptsPerMinute: number
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, options) => {
  const { auth } = options

  app.post(
    '/api/auth/sign-in/email',
    {
      schema: { body: SignInBodySchema, response: { 200: SessionResponseSchema } },
      config: {
        rateLimit: {
          max: options.signInAttemptsPerMinute,
          timeWindow: 60_000,
          // After body parsing, so the key can include the e-mail: one attacker cannot lock out
          // a user from every IP, and one IP cannot spray many accounts unnoticed.
          hook: 'preHandler',
          keyGenerator: (request) =>
            `sign-in:${request.ip}:${String((request.body as { email?: unknown })?.email ?? '').toLowerCase()}`,
        },
      },
    },
    async (request, reply) => {
      const { token, expiresAt, session } = await auth.signIn({
        email: request.body.email,
        password: request.body.password,
        ipAddress: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      })
      reply.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: options.isSecureOrigin,
        expires: expiresAt,
      })
      return toSessionResponse(session)
    },
  )

  app.post('/api/auth/sign-out', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE]
    if (token) await auth.signOut(token)
    reply.clearCookie(SESSION_COOKIE, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: options.isSecureOrigin,
    })
    return reply.status(204).send()
  })

  app.get(
    '/api/session',
    { onRequest: requireSession, schema: { response: { 200: SessionResponseSchema } } },
    async (request) => toSessionResponse(sessionOf(request)),
  )
}

function toSessionResponse(session: SessionContext): Static<typeof SessionResponseSchema> {
  if (session.principal === 'member') {
    return {
      principal: 'member',
      user: session.user,
      workspace: session.workspace,
      role: session.role,
      signer: null,
    }
  }
  const { id, email, name, packageId } = session.signer
  return {
    principal: 'signer',
    user: null,
    workspace: session.workspace,
    role: null,
    signer: { id, email, name, signing_id: packageId },
  }
}
