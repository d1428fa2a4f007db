import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Static } from 'typebox'
import type { Role } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import type { SessionResponseSchema } from './schemas.ts'
import type { AuthService, MemberSession, SessionContext, SignerSession } from './service.ts'

export const SESSION_COOKIE = 'safeclose_session'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireSession` (or `loadOptionalSession`) for the rest of the request. */
    session: SessionContext | null
  }
}

/**
 * Resolves the session cookie once per request. Routes opt in through `requireSession` /
 * `requireRole`, so public routes (health checks, webhooks) never pay for the lookup.
 */
export function registerSessionSupport(
  app: FastifyInstance,
  auth: AuthService,
  checks: SessionChecks | null = null,
): void {
  app.decorate('sessionChecks', checks)
  app.decorateRequest('session', null)
  app.decorate('loadOptionalSession', async (request: FastifyRequest) => {
    const token = request.cookies[SESSION_COOKIE]
    request.session = token ? await auth.resolveSession(token) : null
    return request.session
  })
}

/** What the guards ask of the two-factor module (two-factor.ts). */
export type SessionChecks = {
  /** The session's person signed in or re-authenticated within the last few minutes. */
  isRecentlyAuthenticated(sessionToken: string): Promise<boolean>
}

declare module 'fastify' {
  interface FastifyInstance {
    loadOptionalSession(request: FastifyRequest): Promise<SessionContext | null>
    sessionChecks: SessionChecks | null
  }
}

/** onRequest hook: 401 unless the request carries a live session. */
export async function requireSession(this: FastifyInstance, request: FastifyRequest): Promise<void> {
  const session = await this.loadOptionalSession(request)
  if (!session) throw new AppError('UNAUTHENTICATED', 'Sign in to continue.')
}

/**
 * onRequest hook factory: 401 without a session, 403 when the role is not one of `roles`. A signer
 * session (opened from a signing link) has no role at all, so it never passes: a link in an inbox
 * must not carry a manager's or administrator's powers.
 */
export function requireRole(...roles: Role[]) {
  return async function requireRoleHandler(this: FastifyInstance, request: FastifyRequest): Promise<void> {
    const session = await this.loadOptionalSession(request)
    if (!session) throw new AppError('UNAUTHENTICATED', 'Sign in to continue.')
    if (session.principal !== 'member') {
      throw new AppError(
        'FORBIDDEN',
        'This session was opened from a signing link. Sign in with your password.',
      )
    }
    if (!roles.includes(session.role)) {
      throw new AppError('FORBIDDEN', 'Your role in this workspace does not allow this action.')
    }
    // Read with the session (repository.ts `findLiveSession`), so this costs no query of its own.
    if (session.heldByTwoFactorPolicy) {
      throw new AppError(
        'TWO_FACTOR_REQUIRED',
        'This workspace requires two-factor sign-in for your role. Set it up under Account security.',
      )
    }
  }
}

/**
 * onRequest hook for sensitive actions, after `requireSession`/`requireRole`: 403 REAUTH_REQUIRED
 * unless the member signed in or confirmed their password or code (`POST /api/auth/reauth`) within
 * the last five minutes. A signer session never passes.
 */
export async function requireRecentAuth(this: FastifyInstance, request: FastifyRequest): Promise<void> {
  const session = request.session ?? (await this.loadOptionalSession(request))
  if (!session) throw new AppError('UNAUTHENTICATED', 'Sign in to continue.')
  memberSessionOf(request)
  const token = request.cookies[SESSION_COOKIE]
  if (!token || !this.sessionChecks || !(await this.sessionChecks.isRecentlyAuthenticated(token))) {
    throw new AppError('REAUTH_REQUIRED', 'Confirm your password or code to continue.')
  }
}

/** The session of a request that went through `requireSession`/`requireRole`. */
export function sessionOf(request: FastifyRequest): SessionContext {
  if (!request.session) throw new AppError('UNAUTHENTICATED', 'Sign in to continue.')
  return request.session
}

/** The member session of a request that went through `requireRole`. */
export function memberSessionOf(request: FastifyRequest): MemberSession {
  const session = sessionOf(request)
  if (session.principal !== 'member') {
    throw new AppError(
      'FORBIDDEN',
      'This session was opened from a signing link. Sign in with your password.',
    )
  }
  return session
}

/** The signer session of a request; a password session has no signer record to act on. */
export function signerSessionOf(request: FastifyRequest): SignerSession {
  const session = sessionOf(request)
  if (session.principal !== 'signer') throw new AppError('FORBIDDEN', 'Open your signing link to continue.')
  return session
}

/** Sets the session cookie: httpOnly, SameSite=Lax, Secure on an https public URL. */
export function setSessionCookie(
  reply: FastifyReply,
  opened: { token: string; expiresAt: Date },
  isSecureOrigin: boolean,
): void {
  reply.setCookie(SESSION_COOKIE, opened.token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecureOrigin,
    expires: opened.expiresAt,
  })
}

/** The public shape of a session (`GET /api/session`, sign-in and anything that opens one). */
export function toSessionResponse(session: SessionContext): Static<typeof SessionResponseSchema> {
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
