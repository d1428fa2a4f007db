import { createHash, randomBytes } from 'node:crypto'
import type { Database, Queryable } from '../../../db/client.ts'
import type { Role } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import type { AuditService } from '../audit/service.ts'
import { decoyPasswordHash, hashPassword, verifyPassword } from './password.ts'
import * as repository from './repository.ts'

/** Who is making a request: the user, the workspace they act in, and their role there. */
export type SessionContext = {
  user: { id: string; email: string; name: string }
  workspace: { id: string; name: string }
  role: Role
  /**
   * Present when the session was opened from a signing link: it may act only as this signer (and link
   * a bank account as its user); role-gated routes refuse it.
   */
  signerScope?: { signerId: string } | null
}

export type RequestOrigin = { ipAddress: string | null; userAgent: string | null }

export type AuthService = ReturnType<typeof createAuthService>

export function createAuthService(deps: {
  db: Database
  audit: AuditService
  sessionTtlHours: number
  now?: () => Date
}) {
  const now = deps.now ?? (() => new Date())

  return {
    /**
     * Checks the password and opens a session. The returned token goes into the cookie only; the
     * database keeps its hash.
     */
    async signIn(input: { email: string; password: string } & RequestOrigin) {
      const user = await repository.findUserByEmail(deps.db, input.email)
      const isPasswordValid = await verifyPassword(
        input.password,
        user?.passwordHash ?? (await decoyPasswordHash()),
      )
      const membership =
        user && isPasswordValid ? await repository.findPrimaryMembership(deps.db, user.id) : null
      if (!user || !isPasswordValid || !membership) {
        throw new AppError('INVALID_CREDENTIALS', 'The e-mail address or password is incorrect.')
      }
      const token = randomBytes(32).toString('base64url')
      const expiresAt = new Date(now().getTime() + deps.sessionTtlHours * 3_600_000)
      await repository.insertSession(deps.db, {
        tokenHash: hashSessionToken(token),
        userId: user.id,
        workspaceId: membership.workspaceId,
        expiresAt,
        ipAddress: input.ipAddress,
        userAgent: input.userAgent,
      })
      await deps.audit.record({
        chainKey: `workspace:${membership.workspaceId}`,
        workspaceId: membership.workspaceId,
        actorUserId: user.id,
        action: 'auth.signed_in',
        subjectType: 'user',
        subjectId: user.id,
        ipAddress: input.ipAddress,
        userAgent: input.userAgent,
      })
      const session = await repository.findLiveSession(deps.db, hashSessionToken(token), now())
      if (!session) throw new AppError('INTERNAL', 'The new session could not be read back.')
      return { token, expiresAt, session: toSessionContext(session) }
    },

    async signOut(token: string): Promise<void> {
      await repository.deleteSession(deps.db, hashSessionToken(token))
    },

    async resolveSession(token: string): Promise<SessionContext | null> {
      const record = await repository.findLiveSession(deps.db, hashSessionToken(token), now())
      return record ? toSessionContext(record) : null
    },

    deleteExpiredSessions(): Promise<number> {
      return repository.deleteExpiredSessions(deps.db, now())
    },

    /**
     * Opens a session scoped to one signer record, for someone who proved control of a signing link.
     * The signer's user account is found by e-mail (an existing user stays the same user) or created
     * with an unusable password, and becomes a member of the package's workspace as a signer unless
     * they already belong to it. The session never outlives the link.
     */
    async openSignerSession(
      input: {
        email: string
        legalName: string
        workspaceId: string
        signerId: string
        linkId: string
        linkExpiresAt: Date
      } & RequestOrigin,
      tx: Queryable,
    ): Promise<{ token: string; expiresAt: Date; userId: string }> {
      const existing = await repository.findUserByEmail(tx, input.email)
      const userId =
        existing?.id ??
        (
          await repository.insertUser(tx, {
            email: input.email,
            name: input.legalName,
            passwordHash: await unusablePasswordHash(),
          })
        ).id
      if (!(await repository.findMembershipRole(tx, userId, input.workspaceId))) {
        await repository.insertMembership(tx, { userId, workspaceId: input.workspaceId, role: 'signer' })
      }
      const token = randomBytes(32).toString('base64url')
      const ttlEnd = new Date(now().getTime() + deps.sessionTtlHours * 3_600_000)
      const expiresAt = ttlEnd < input.linkExpiresAt ? ttlEnd : input.linkExpiresAt
      const tokenHash = hashSessionToken(token)
      await repository.insertSession(tx, {
        tokenHash,
        userId,
        workspaceId: input.workspaceId,
        expiresAt,
        ipAddress: input.ipAddress,
        userAgent: input.userAgent,
      })
      await repository.insertSignerSession(tx, {
        sessionTokenHash: tokenHash,
        signerId: input.signerId,
        linkId: input.linkId,
      })
      return { token, expiresAt, userId }
    },

    /** Ends the sessions opened from these signing links (the links were revoked or replaced). */
    endSigningLinkSessions(linkIds: string[], tx: Queryable): Promise<void> {
      return repository.deleteSessionsOfSigningLinks(tx, linkIds)
    },
  }
}

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

function toSessionContext(record: repository.SessionRecord): SessionContext {
  return {
    user: { id: record.userId, email: record.email, name: record.name },
    workspace: { id: record.workspaceId, name: record.workspaceName },
    role: record.role,
    signerScope: record.signerId ? { signerId: record.signerId } : null,
  }
}

// Accounts created from a signing link have no password of their own: the hash of a random secret
// that is never kept means password sign-in can never succeed for them (until a reset sets one).
let unusableHash: Promise<string> | undefined
function unusablePasswordHash(): Promise<string> {
  unusableHash ??= hashPassword(randomBytes(32).toString('base64url'))
  return unusableHash
}
