import { createHash, randomBytes } from 'node:crypto'
import type { Database } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import { auditEvent, userActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { AuthService, RequestOrigin } from '../auth/service.ts'
import { countWorkspaces, createWorkspace } from '../workspace/service.ts'
import * as repository from './repository.ts'
import { hashInvitationToken, INVITE_PATH } from './service.ts'

const FIRST_ADMIN_INVITATION_TTL_MS = 7 * 24 * 3_600_000
export const SETUP_PATH = '/setup/'

function hashSetupToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/**
 * How a real organisation starts, without the demo:
 * - `npm run admin:create` makes a workspace and a one-time invitation for its first admin;
 * - or, while the database has no workspace at all, the server logs a one-time `/setup/<token>` link
 *   where the first admin names the workspace and creates their account.
 */
export function createBootstrap(deps: {
  db: Database
  auth: AuthService
  audit: AuditService
  publicUrl: string
  now?: () => Date
}) {
  const { db, auth, audit } = deps
  const now = deps.now ?? (() => new Date())

  return {
    /** A new workspace with a pending first admin: answers the invitation link to hand over. */
    async createWorkspaceWithAdmin(input: { workspaceName: string; email: string; name: string }) {
      const token = randomBytes(32).toString('base64url')
      const expiresAt = new Date(now().getTime() + FIRST_ADMIN_INVITATION_TTL_MS)
      const workspace = await db.transaction(async (tx) => {
        const created = await createWorkspace(tx, input.workspaceName)
        const invitation = await repository.insertInvitation(tx, {
          workspaceId: created.id,
          email: input.email.trim(),
          name: input.name.trim(),
          role: 'admin',
          tokenHash: hashInvitationToken(token),
          invitedBy: null,
          expiresAt,
        })
        await audit.record(
          auditEvent('system', 'workspace.created', {
            chain: workspaceChain(created.id),
            subject: { type: 'workspace', id: created.id },
            details: {
              name: input.workspaceName.trim(),
              first_admin: input.email.trim(),
              invitation_id: invitation.id,
            },
          }),
          tx,
        )
        return created
      })
      return {
        workspaceId: workspace.id,
        url: new URL(`${INVITE_PATH}${token}`, deps.publicUrl).toString(),
        expiresAt,
      }
    },

    /** A setup link while no workspace exists; null once one does (the link is then pointless). */
    async issueSetupLink(): Promise<string | null> {
      if ((await countWorkspaces(db)) > 0) return null
      const token = randomBytes(32).toString('base64url')
      await repository.insertSetupToken(db, hashSetupToken(token))
      return new URL(`${SETUP_PATH}${token}`, deps.publicUrl).toString()
    },

    async isSetupLinkLive(token: string): Promise<boolean> {
      return (
        (await countWorkspaces(db)) === 0 && (await repository.isSetupTokenLive(db, hashSetupToken(token)))
      )
    },

    /** Creates the first workspace and its admin with a setup link, and signs the admin in. */
    async completeSetup(
      input: { token: string; workspace_name: string; name: string; email: string; password: string },
      origin: RequestOrigin,
    ) {
      return db.transaction(async (tx) => {
        await repository.lockSetup(tx)
        const isUsable =
          (await countWorkspaces(tx)) === 0 &&
          (await repository.consumeSetupTokens(tx, hashSetupToken(input.token), now()))
        if (!isUsable) {
          throw new AppError('LINK_EXPIRED', 'This setup link was already used. Sign in instead.')
        }
        const workspace = await createWorkspace(tx, input.workspace_name)
        const user = await auth.createUser(
          { email: input.email, name: input.name, password: input.password },
          tx,
        )
        await auth.addMembership(tx, { userId: user.id, workspaceId: workspace.id, role: 'admin' })
        await audit.record(
          auditEvent(userActor(user.id, origin), 'workspace.created', {
            chain: workspaceChain(workspace.id),
            subject: { type: 'workspace', id: workspace.id },
            details: {
              name: input.workspace_name.trim(),
              first_admin: input.email.trim(),
              through: 'setup_link',
            },
          }),
          tx,
        )
        return auth.openMemberSession({ userId: user.id, workspaceId: workspace.id, ...origin }, tx)
      })
    },
  }
}
