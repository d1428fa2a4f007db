import { createHash, randomBytes } from 'node:crypto'
import type { Database } from '../../../db/client.ts'
import type { Role } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { auditEvent, requestActor, userActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { AuthService, MemberSession, RequestOrigin } from '../auth/service.ts'
import type { Outbox } from '../email/outbox.ts'
import { memberInvitationEmail } from '../email/templates.ts'
import * as repository from './repository.ts'

const INVITATION_TTL_MS = 7 * 24 * 3_600_000
export const INVITE_PATH = '/invite/'

export type MembersService = ReturnType<typeof createMembersService>

export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/**
 * A workspace's members and their invitations: administrators invite colleagues as admins or
 * managers, change roles and remove members; an invited person accepts with a new account, or with
 * the password of the account their e-mail already has.
 */
export function createMembersService(deps: {
  db: Database
  auth: AuthService
  audit: AuditService
  outbox: Outbox
  publicUrl: string
  now?: () => Date
}) {
  const { db, auth, audit } = deps
  const now = deps.now ?? (() => new Date())

  function invitationView(row: repository.InvitationRow) {
    return { id: row.id, email: row.email, role: row.role, expires_at: row.expiresAt.toISOString() }
  }

  /** A live invitation for this token, or the reason there is none. */
  async function liveInvitation(token: string) {
    const invitation = await repository.findInvitationByTokenHash(db, hashInvitationToken(token))
    if (!invitation)
      throw new AppError('NOT_FOUND', 'This invitation is not valid. Check that you copied all of it.')
    if (invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt <= now()) {
      throw new AppError(
        'LINK_EXPIRED',
        'This invitation was already used, was withdrawn or has expired. Ask an administrator for a new one.',
      )
    }
    return invitation
  }

  async function list(session: MemberSession) {
    const [members, invitations] = await Promise.all([
      auth.listMembers(session.workspace.id),
      repository.listOpenInvitations(db, session.workspace.id, now()),
    ])
    const withTwoFactor = await auth.usersWithTwoFactor(members.map((member) => member.userId))
    return {
      members: members.map((member) => ({
        user_id: member.userId,
        email: member.email,
        name: member.name,
        role: member.role,
        two_factor_enabled: withTwoFactor.has(member.userId),
      })),
      invitations: invitations.map(invitationView),
    }
  }

  return {
    list,

    /** Invites an e-mail as admin or manager; a newer invitation replaces an open one for the same e-mail. */
    async invite(
      session: MemberSession,
      input: { email: string; role: repository.InvitationRole },
      origin: RequestOrigin,
    ) {
      const email = input.email.trim()
      const members = await auth.listMembers(session.workspace.id)
      if (members.some((member) => member.email.toLowerCase() === email.toLowerCase())) {
        throw new AppError('CONFLICT', 'This person is already a member of the workspace.')
      }
      const token = randomBytes(32).toString('base64url')
      const expiresAt = new Date(now().getTime() + INVITATION_TTL_MS)
      const { id } = await db.transaction(async (tx) => {
        await repository.revokeOpenInvitationsFor(tx, session.workspace.id, email, now())
        const inserted = await repository.insertInvitation(tx, {
          workspaceId: session.workspace.id,
          email,
          role: input.role,
          tokenHash: hashInvitationToken(token),
          invitedBy: session.user.id,
          expiresAt,
        })
        await audit.record(
          auditEvent(requestActor(session, origin), 'member.invited', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'invitation', id: inserted.id },
            details: { email, role: input.role },
          }),
          tx,
        )
        return inserted
      })
      const url = new URL(`${INVITE_PATH}${token}`, deps.publicUrl).toString()
      const emailed = await deps.outbox.send(
        {
          ...memberInvitationEmail({
            to: email,
            inviterName: session.user.name,
            workspaceName: session.workspace.name,
            role: input.role,
            url,
            expiresAt,
          }),
          kind: 'member_invitation',
          workspaceIds: [session.workspace.id],
        },
        { invitation_id: id },
      )
      return {
        invitation: { id, email, role: input.role, expires_at: expiresAt.toISOString() },
        url: emailed ? null : url,
      }
    },

    async revoke(session: MemberSession, invitationId: string, origin: RequestOrigin): Promise<void> {
      await db.transaction(async (tx) => {
        const revoked = await repository.revokeInvitation(tx, session.workspace.id, invitationId, now())
        if (!revoked) throw new AppError('NOT_FOUND', 'No open invitation with this id.')
        await audit.record(
          auditEvent(requestActor(session, origin), 'member.invitation_revoked', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'invitation', id: invitationId },
            details: {
              email: revoked.email,
              role: revoked.role,
            },
          }),
          tx,
        )
      })
    },

    /** What the invitation page shows before the person accepts. */
    async preview(token: string) {
      const invitation = await liveInvitation(token)
      return {
        workspace_name: invitation.workspaceName,
        email: invitation.email,
        name: invitation.name,
        role: invitation.role,
        expires_at: invitation.expiresAt.toISOString(),
        has_account: (await auth.findUserByEmail(invitation.email)) !== null,
      }
    },

    /**
     * Accepts an invitation and opens a session in its workspace. A new e-mail gets an account with
     * `name` and `password`. An e-mail that already has an account joins from a session of that very
     * account (signed in with its password, and its second factor when it has one): the invitation
     * never stands in for a sign-in.
     */
    async accept(
      input: { token: string; name: string; password: string | null },
      origin: RequestOrigin,
      session: MemberSession | null,
    ) {
      const invitation = await liveInvitation(input.token)
      const existing = await auth.findUserByEmail(invitation.email)
      if (existing && session?.user.id !== existing.id) {
        throw new AppError(
          'UNAUTHENTICATED',
          `An account for ${invitation.email} already exists: sign in to it first, then open this invitation again.`,
        )
      }
      if (!existing && !input.password) {
        throw new AppError('VALIDATION_FAILED', 'body.password: choose a password for your new account.', {
          details: { field: 'password' },
        })
      }
      if (!existing && !input.name.trim()) {
        throw new AppError('VALIDATION_FAILED', 'body.name: enter your name.', { details: { field: 'name' } })
      }
      return db.transaction(async (tx) => {
        const userId =
          existing?.id ??
          (
            await auth.createUser(
              { email: invitation.email, name: input.name, password: input.password ?? '' },
              tx,
            )
          ).id
        if (!(await repository.markAccepted(tx, { id: invitation.id, userId, now: now() }))) {
          throw new AppError(
            'LINK_EXPIRED',
            'This invitation was already used, was withdrawn or has expired.',
          )
        }
        await auth.addMembership(tx, { userId, workspaceId: invitation.workspaceId, role: invitation.role })
        await audit.record(
          auditEvent(userActor(userId, origin), 'member.joined', {
            chain: workspaceChain(invitation.workspaceId),
            subject: { type: 'user', id: userId },
            details: {
              email: invitation.email,
              role: invitation.role,
              invitation_id: invitation.id,
              new_account: !existing,
            },
          }),
          tx,
        )
        return auth.openMemberSession({ userId, workspaceId: invitation.workspaceId, ...origin }, tx)
      })
    },

    async changeRole(session: MemberSession, userId: string, role: Role, origin: RequestOrigin) {
      await db.transaction(async (tx) => {
        const change = await auth.changeRole(tx, { userId, workspaceId: session.workspace.id, role })
        await audit.record(
          auditEvent(requestActor(session, origin), 'member.role_changed', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'user', id: userId },
            details: change,
          }),
          tx,
        )
      })
      return list(session)
    },

    async remove(session: MemberSession, userId: string, origin: RequestOrigin): Promise<void> {
      await db.transaction(async (tx) => {
        const removed = await auth.removeMembership(tx, { userId, workspaceId: session.workspace.id })
        await audit.record(
          auditEvent(requestActor(session, origin), 'member.removed', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'user', id: userId },
            details: removed,
          }),
          tx,
        )
      })
    },
  }
}
