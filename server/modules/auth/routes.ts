import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../errors.ts'
import { originOf } from '../../http/request-origin.ts'
import { NoContent } from '../../http/responses.ts'
import { createHashQueue } from './hash-queue.ts'
import {
  SessionResponseSchema,
  SignInBodySchema,
  SignInResponseSchema,
  SwitchWorkspaceBodySchema,
  WorkspacesResponseSchema,
} from './schemas.ts'
import type { AuthService } from './service.ts'
import {
  memberSessionOf,
  requireSession,
  SESSION_COOKIE,
  sessionOf,
  setSessionCookie,
  toSessionResponse,
} from './session-guard.ts'
import { PENDING_SIGN_IN_COOKIE } from './two-factor.ts'

export type AuthRoutesOptions = {
  auth: AuthService
  isSecureOrigin: boolean
  signInAttemptsPerMinute: number
  signInAttemptsPerIpPerMinute: number
  passwordHashing: { concurrency: number; maxWaiting: number }
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, options) => {
  const { auth } = options
  // Every sign-in costs one scrypt hash (a decoy one for unknown e-mails): this bounds how many run
  // and wait in this process, and shares the turns fairly between client addresses.
  const hashing = createHashQueue(options.passwordHashing)
  // Counted like the per-account limit (database store), but keyed by address alone. Its own counter
  // call rather than a second route `rateLimit`: the plugin runs one limit per request.
  const perAddressLimit = app.createRateLimit({
    max: options.signInAttemptsPerIpPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => `sign-in-ip:${request.ip}`,
  })

  // An address over its limit stays refused until its window ends: remembered here, so a flood of
  // refused requests costs no database write each. The counting stays in the database.
  const refusedUntil = new Map<string, number>()

  function refuse(reply: FastifyReply, retryAfterSeconds: number, message: string): never {
    reply.header('retry-after', String(retryAfterSeconds))
    throw new AppError('RATE_LIMITED', `${message} Try again in ${retryAfterSeconds} seconds.`)
  }

  async function limitPerAddress(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const until = refusedUntil.get(request.ip)
    if (until !== undefined && until > Date.now()) {
      refuse(reply, Math.ceil((until - Date.now()) / 1000), 'Too many sign-in attempts from this address.')
    }
    const busy = hashing.refusal(request.ip)
    if (busy) refuse(reply, busy.retryAfterSeconds, 'Too many sign-ins are being checked right now.')
    const result = await perAddressLimit(request)
    if (result.isAllowed || !result.isExceeded) return
    rememberRefusal(request.ip, Date.now() + result.ttl)
    refuse(reply, result.ttlInSeconds, 'Too many sign-in attempts from this address.')
  }

  function rememberRefusal(address: string, until: number): void {
    if (refusedUntil.size >= 10_000) {
      const now = Date.now()
      for (const [key, value] of refusedUntil) if (value <= now) refusedUntil.delete(key)
      // Still full of live refusals: forget the oldest; the database limit still holds for them.
      for (const key of refusedUntil.keys()) {
        if (refusedUntil.size < 10_000) break
        refusedUntil.delete(key)
      }
    }
    refusedUntil.set(address, until)
  }

  app.post(
    '/api/auth/sign-in/email',
    {
      // Before the body is parsed: one counter update per admitted request, refusals cost none.
      onRequest: limitPerAddress,
      schema: { body: SignInBodySchema, response: { 200: SignInResponseSchema } },
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
      const admission = hashing.admit(request.ip)
      if (!admission.admitted) {
        refuse(reply, admission.retryAfterSeconds, 'Too many sign-ins are being checked right now.')
      }
      const endTurn = await admission.turn
      let signedIn: Awaited<ReturnType<typeof auth.signIn>>
      try {
        signedIn = await auth.signIn({
          email: request.body.email,
          password: request.body.password,
          ipAddress: request.ip,
          userAgent: request.headers['user-agent'] ?? null,
        })
      } finally {
        endTurn()
      }
      if (signedIn.twoFactorRequired) {
        // Not a session: it only lets POST /api/auth/sign-in/2fa finish this sign-in (two-factor-routes.ts).
        reply.setCookie(PENDING_SIGN_IN_COOKIE, signedIn.token, {
          path: '/api/auth/sign-in',
          httpOnly: true,
          sameSite: 'lax',
          secure: options.isSecureOrigin,
          expires: signedIn.expiresAt,
        })
        return { two_factor_required: true as const }
      }
      setSessionCookie(reply, signedIn, options.isSecureOrigin)
      return toSessionResponse(signedIn.session)
    },
  )

  app.post('/api/auth/sign-out', { schema: { response: { 204: NoContent } } }, async (request, reply) => {
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

  app.get(
    '/api/session/workspaces',
    {
      onRequest: requireSession,
      schema: { response: { 200: WorkspacesResponseSchema } },
    },
    async (request) => {
      const session = memberSessionOf(request)
      const workspaces = await auth.listWorkspaces(session.user.id)
      return {
        current: session.workspace.id,
        workspaces: workspaces.map((workspace) => ({
          id: workspace.workspaceId,
          name: workspace.name,
          role: workspace.role,
        })),
      }
    },
  )

  app.post(
    '/api/session/workspace',
    {
      onRequest: requireSession,
      schema: { body: SwitchWorkspaceBodySchema, response: { 200: SessionResponseSchema } },
    },
    async (request, reply) => {
      const opened = await auth.switchWorkspace(
        request.cookies[SESSION_COOKIE] ?? '',
        memberSessionOf(request),
        request.body.workspace_id,
        originOf(request),
      )
      setSessionCookie(reply, opened, options.isSecureOrigin)
      return toSessionResponse(opened.session)
    },
  )
}
