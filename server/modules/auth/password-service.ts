import { createHash, randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import type { AuditAction } from '../audit/actions.ts'
import { auditEvent, userActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { Outbox } from '../email/outbox.ts'
import { passwordResetEmail } from '../email/templates.ts'
import * as repository from './repository.ts'
import type { AuthService, MemberSession, RequestOrigin } from './service.ts'

const RESET_TTL_MS = 60 * 60_000
export const RESET_PATH = '/reset-password/'

export type PasswordService = ReturnType<typeof createPasswordService>

function hashResetToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** Changing a password while signed in, and resetting a forgotten one through an e-mailed link. */
export function createPasswordService(deps: {
  db: Database
  auth: AuthService
  audit: AuditService
  outbox: Outbox
  publicUrl: string
  logger: FastifyBaseLogger
  now?: () => Date
}) {
  const { db, auth, audit } = deps
  const now = deps.now ?? (() => new Date())

  /** One event in each workspace the user belongs to: each workspace's admins see their members' account changes. */
  async function recordForUser(
    tx: Parameters<Parameters<Database['transaction']>[0]>[0],
    userId: string,
    action: AuditAction,
    origin: RequestOrigin,
    details: Record<string, unknown> = {},
  ) {
    for (const workspace of await repository.listUserWorkspaces(tx, userId)) {
      await audit.record(
        auditEvent(userActor(userId, origin), action, {
          chain: workspaceChain(workspace.workspaceId),
          subject: { type: 'user', id: userId },
          details: details,
        }),
        tx,
      )
    }
  }

  return {
    /** Checks the current password, sets the new one and ends every other session of the user. */
    async change(
      session: MemberSession,
      sessionToken: string,
      input: { current_password: string; new_password: string },
      origin: RequestOrigin,
    ): Promise<{ ended_sessions: number }> {
      if (!(await auth.isPasswordOf(session.user.id, input.current_password))) {
        throw new AppError('INVALID_CREDENTIALS', 'The current password is incorrect.')
      }
      return db.transaction(async (tx) => {
        const ended = await auth.setPassword(tx, {
          userId: session.user.id,
          email: session.user.email,
          password: input.new_password,
          keepToken: sessionToken,
        })
        await recordForUser(tx, session.user.id, 'auth.password_changed', origin, { ended_sessions: ended })
        return { ended_sessions: ended }
      })
    },

    /**
     * Sends a reset link when the e-mail has an account. The caller answers the same whatever
     * happens here, so this runs after the response and never reports back.
     */
    async request(email: string, origin: RequestOrigin): Promise<void> {
      const user = await auth.findUserByEmail(email)
      if (!user) return
      const workspaces = await auth.listWorkspaces(user.id)
      if (workspaces.length === 0) return
      const token = randomBytes(32).toString('base64url')
      const expiresAt = new Date(now().getTime() + RESET_TTL_MS)
      await db.transaction(async (tx) => {
        await repository.expireOpenPasswordResets(tx, user.id, now())
        await repository.insertPasswordReset(tx, {
          userId: user.id,
          tokenHash: hashResetToken(token),
          expiresAt,
        })
        await recordForUser(tx, user.id, 'auth.password_reset_requested', origin)
      })
      await deps.outbox.send(
        {
          ...passwordResetEmail({
            to: user.email,
            name: user.name,
            url: new URL(`${RESET_PATH}${token}`, deps.publicUrl).toString(),
            expiresAt,
          }),
          kind: 'password_reset',
          workspaceIds: workspaces.map((workspace) => workspace.workspaceId),
        },
        { user_id: user.id },
      )
    },

    /** Sets the new password through a live reset link and ends every session of the user. */
    async confirm(input: { token: string; password: string }, origin: RequestOrigin): Promise<void> {
      await db.transaction(async (tx) => {
        const userId = await repository.consumePasswordReset(tx, hashResetToken(input.token), now())
        if (!userId) {
          throw new AppError(
            'LINK_EXPIRED',
            'This reset link was already used or has expired. Ask for a new one.',
          )
        }
        const user = await repository.findUserById(tx, userId)
        if (!user) throw new AppError('LINK_EXPIRED', 'This reset link is no longer valid.')
        const ended = await auth.setPassword(tx, {
          userId,
          email: user.email,
          password: input.password,
          field: 'password',
        })
        await recordForUser(tx, userId, 'auth.password_reset', origin, { ended_sessions: ended })
      })
    },
  }
}
