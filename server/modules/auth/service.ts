import { createHash, randomBytes } from 'node:crypto'
import type { Database } from '../../../db/client.ts'
import type { Role } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import type { AuditService } from '../audit/service.ts'
import { decoyPasswordHash, verifyPassword } from './password.ts'
import * as repository from './repository.ts'

/** Who is making a request: the user, the workspace they act in, and their role there. */
export type SessionContext = {
  user: { id: string; email: string; name: string }
  workspace: { id: string; name: string }
  role: Role
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
  }
}
