import { hash, randomBytes } from 'node:crypto'
import type { Database, Queryable } from '../../../db/client.ts'
import type { Role } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { auditEvent, userActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import { decoyPasswordHash, hashPassword, verifyPassword } from './password.ts'
import { assertPasswordAllowed } from './password-policy.ts'
import * as repository from './repository.ts'
import type { SessionCache } from './session-cache.ts'
import * as twoFactorRepository from './two-factor-repository.ts'

/**
 * Who is making a request: exactly one principal in exactly one workspace.
 * - a member: a user with a membership (and its role) in the workspace, signed in with a password;
 * - a signer: one signer record of one package, reached only through its signing link. A signer
 *   session never authenticates as a user account, whatever the e-mail, and passes no staff guard.
 */
export type MemberSession = {
  principal: 'member'
  user: { id: string; email: string; name: string }
  workspace: { id: string; name: string }
  role: Role
  /**
   * The workspace requires two-factor of admins and managers and this one has not enabled it: the
   * role guard answers 403 TWO_FACTOR_REQUIRED. Read with the session (one lookup, then the cache,
   * which the triggers of migration 0014 keep fresh); never part of a response.
   */
  heldByTwoFactorPolicy: boolean
}

export type SignerSession = {
  principal: 'signer'
  signer: { id: string; email: string; name: string; packageId: string }
  workspace: { id: string; name: string }
}

export type SessionContext = MemberSession | SignerSession

/** The owner of bank Items and Link events: a member or a signer, always inside one workspace. */
export type PrincipalRef = { workspaceId: string } & (
  | { kind: 'member'; userId: string }
  | { kind: 'signer'; signerId: string }
)

export function principalOf(session: SessionContext): PrincipalRef {
  return session.principal === 'member'
    ? { kind: 'member', workspaceId: session.workspace.id, userId: session.user.id }
    : { kind: 'signer', workspaceId: session.workspace.id, signerId: session.signer.id }
}

/** The audit actor columns for what this session does. */
export function auditActorOf(session: SessionContext): {
  actorUserId: string | null
  actorSignerId: string | null
} {
  return session.principal === 'member'
    ? { actorUserId: session.user.id, actorSignerId: null }
    : { actorUserId: null, actorSignerId: session.signer.id }
}

export type RequestOrigin = { ipAddress: string | null; userAgent: string | null }

export type AuthService = ReturnType<typeof createAuthService>

export type MemberSignIn = {
  twoFactorRequired: false
  token: string
  expiresAt: Date
  session: MemberSession
}
/** The password was right, but the user has a second factor: `token` is the pending sign-in's. */
export type PendingSignIn = { twoFactorRequired: true; token: string; expiresAt: Date }
export type SignInResult = MemberSignIn | PendingSignIn

/** Starts a pending sign-in when the user has a second factor (two-factor.ts); null otherwise. */
export type SecondFactorGate = {
  startIfEnrolled(input: {
    userId: string
    workspaceId: string
  }): Promise<{ token: string; expiresAt: Date } | null>
}

export function createAuthService(deps: {
  db: Database
  audit: AuditService
  sessionTtlHours: number
  secondFactor?: SecondFactorGate
  /** Validated sessions kept in memory (session-cache.ts); without one, every lookup reads the database. */
  sessionCache?: SessionCache
  now?: () => Date
}) {
  const now = deps.now ?? (() => new Date())
  const cache = deps.sessionCache

  /**
   * This instance is ending or changing sessions: forget them here at once. The database triggers
   * tell every instance (this one included) again when the transaction commits.
   */
  function forget(...keys: string[]): void {
    for (const key of keys) cache?.invalidateLocal(key)
  }

  /**
   * Opens a member session for a user who proved who they are (password, and second factor when they
   * have one; or an invitation or setup link for a new account). The returned token goes into the
   * cookie only; the database keeps its hash. Pass `tx` to open it inside the caller's transaction.
   */
  async function openMemberSession(
    input: { userId: string; workspaceId: string; secondFactor?: string } & RequestOrigin,
    tx: Queryable = deps.db,
  ): Promise<MemberSignIn> {
    const token = randomBytes(32).toString('base64url')
    const expiresAt = new Date(now().getTime() + deps.sessionTtlHours * 3_600_000)
    await repository.insertSession(tx, {
      tokenHash: hashSessionToken(token),
      userId: input.userId,
      workspaceId: input.workspaceId,
      expiresAt,
      ipAddress: input.ipAddress,
      userAgent: input.userAgent,
      authenticatedAt: now(),
    })
    await deps.audit.record(
      auditEvent(userActor(input.userId, input), 'auth.signed_in', {
        chain: workspaceChain(input.workspaceId),
        subject: { type: 'user', id: input.userId },
        details: input.secondFactor ? { second_factor: input.secondFactor } : {},
      }),
      tx,
    )
    // Read back inside `tx`: the row is not visible to the shared session lookup before the commit.
    const [user, workspace, role, heldByTwoFactorPolicy] = await Promise.all([
      repository.findUserById(tx, input.userId),
      repository.findWorkspaceName(tx, input.workspaceId),
      repository.findMembershipRole(tx, input.userId, input.workspaceId),
      twoFactorRepository.isHeldByTwoFactorPolicy(tx, input.workspaceId, input.userId),
    ])
    if (!user || workspace === null || !role) {
      throw new AppError('INTERNAL', 'The new session could not be read back.')
    }
    return {
      twoFactorRequired: false,
      token,
      expiresAt,
      session: {
        principal: 'member',
        user: { id: user.id, email: user.email, name: user.name },
        workspace: { id: input.workspaceId, name: workspace },
        role,
        heldByTwoFactorPolicy,
      },
    }
  }

  return {
    /**
     * Checks the password and opens a session. The returned token goes into the cookie only; the
     * database keeps its hash.
     */
    async signIn(input: { email: string; password: string } & RequestOrigin): Promise<SignInResult> {
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
      // A user with a second factor gets a pending sign-in, not a session (two-factor.ts).
      const pending = await deps.secondFactor?.startIfEnrolled({
        userId: user.id,
        workspaceId: membership.workspaceId,
      })
      if (pending) return { twoFactorRequired: true, token: pending.token, expiresAt: pending.expiresAt }
      return openMemberSession({
        userId: user.id,
        workspaceId: membership.workspaceId,
        ipAddress: input.ipAddress,
        userAgent: input.userAgent,
      })
    },

    openMemberSession,

    async signOut(token: string): Promise<void> {
      const tokenHash = hashSessionToken(token)
      forget(`t:${tokenHash}`)
      await repository.deleteSession(deps.db, tokenHash)
    },

    /** The hot path of every authenticated request: from the cache when it can, else one query. */
    async resolveSession(token: string): Promise<SessionContext | null> {
      const tokenHash = hashSessionToken(token)
      const cached = cache?.get(tokenHash)
      if (cached) return cached
      const startedAt = cache?.begin() ?? 0
      const record = await repository.findLiveSession(deps.db, tokenHash, now())
      if (!record) return null
      const session = toSessionContext(record)
      cache?.set(tokenHash, session, record.expiresAt, startedAt)
      return session
    },

    deleteExpiredSessions(): Promise<number> {
      return repository.deleteExpiredSessions(deps.db, now())
    },

    /**
     * Opens a signer session for someone who proved control of a signing link. It acts for that signer
     * record only: no user account is looked up, created or joined to the workspace, so a link
     * addressed to a staff member's e-mail grants nothing of theirs. The session never outlives the link.
     */
    async openSignerSession(
      input: { workspaceId: string; signerId: string; linkId: string; linkExpiresAt: Date } & RequestOrigin,
      tx: Queryable,
    ): Promise<{ token: string; expiresAt: Date }> {
      const token = randomBytes(32).toString('base64url')
      const ttlEnd = new Date(now().getTime() + deps.sessionTtlHours * 3_600_000)
      const expiresAt = ttlEnd < input.linkExpiresAt ? ttlEnd : input.linkExpiresAt
      const tokenHash = hashSessionToken(token)
      await repository.insertSession(tx, {
        tokenHash,
        userId: null,
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
      return { token, expiresAt }
    },

    findUserByEmail(email: string, tx: Queryable = deps.db) {
      return repository
        .findUserByEmail(tx, email)
        .then((user) => (user ? { id: user.id, email: user.email, name: user.name } : null))
    },

    /** Whether `password` is this user's; always costs one hash, so timing says nothing. */
    async isPasswordOf(userId: string, password: string): Promise<boolean> {
      const user = await repository.findUserById(deps.db, userId)
      return verifyPassword(password, user?.passwordHash ?? (await decoyPasswordHash()))
    },

    /** A new account with a password that meets the policy; 409 when the e-mail already has one. */
    async createUser(input: { email: string; name: string; password: string }, tx: Queryable) {
      assertPasswordAllowed(input.password, 'password', { email: input.email })
      if (await repository.findUserByEmail(tx, input.email)) {
        throw new AppError('CONFLICT', 'An account with this e-mail address already exists. Sign in instead.')
      }
      return repository.insertUser(tx, {
        email: input.email.trim(),
        name: input.name.trim(),
        passwordHash: await hashPassword(input.password),
      })
    },

    listMembers: (workspaceId: string) => repository.listMembers(deps.db, workspaceId),
    usersWithTwoFactor: (userIds: string[]) => twoFactorRepository.listTotpEnabledUserIds(deps.db, userIds),
    listWorkspaces: (userId: string) => repository.listUserWorkspaces(deps.db, userId),

    /** Adds a membership, unless the user already has one there (then their role stays). */
    async addMembership(tx: Queryable, membership: { userId: string; workspaceId: string; role: Role }) {
      if (await repository.findMembershipRole(tx, membership.userId, membership.workspaceId)) return false
      await repository.insertMembership(tx, membership)
      return true
    },

    /**
     * Changes a member's role at once (every request reads the role from the membership). The last
     * admin of a workspace cannot be demoted.
     */
    async changeRole(tx: Queryable, membership: { userId: string; workspaceId: string; role: Role }) {
      await repository.lockMemberships(tx, membership.workspaceId)
      const current = await repository.findMembershipRole(tx, membership.userId, membership.workspaceId)
      if (!current) throw new AppError('NOT_FOUND', 'No such member in this workspace.')
      if (current === 'admin' && membership.role !== 'admin') {
        await assertAnotherAdmin(tx, membership.workspaceId)
      }
      forget(`u:${membership.userId}`)
      await repository.updateMembershipRole(tx, membership)
      return { from: current, to: membership.role }
    },

    /** Removes a membership and ends that user's sessions in the workspace at once. */
    async removeMembership(tx: Queryable, membership: { userId: string; workspaceId: string }) {
      await repository.lockMemberships(tx, membership.workspaceId)
      const current = await repository.findMembershipRole(tx, membership.userId, membership.workspaceId)
      if (!current) throw new AppError('NOT_FOUND', 'No such member in this workspace.')
      if (current === 'admin') await assertAnotherAdmin(tx, membership.workspaceId)
      forget(`u:${membership.userId}`)
      await repository.deleteMembership(tx, membership)
      await repository.deleteUserSessions(tx, membership)
      return { role: current }
    },

    /**
     * Sets a new password. With `keepToken` the caller's own session stays and every other session of
     * the user ends; without it, every session ends (a reset).
     */
    async setPassword(
      tx: Queryable,
      input: { userId: string; email: string; password: string; keepToken?: string; field?: string },
    ) {
      assertPasswordAllowed(input.password, input.field ?? 'new_password', { email: input.email })
      const passwordHash = await hashPassword(input.password)
      forget(`u:${input.userId}`)
      await repository.updatePasswordHash(tx, input.userId, passwordHash)
      return repository.deleteUserSessions(tx, {
        userId: input.userId,
        ...(input.keepToken ? { exceptTokenHash: hashSessionToken(input.keepToken) } : {}),
      })
    },

    /** Replaces the session with one in another workspace of the same user. */
    async switchWorkspace(token: string, session: MemberSession, workspaceId: string, origin: RequestOrigin) {
      if (!(await repository.findMembershipRole(deps.db, session.user.id, workspaceId))) {
        throw new AppError('NOT_FOUND', 'You are not a member of that workspace.')
      }
      return deps.db.transaction(async (tx) => {
        const tokenHash = hashSessionToken(token)
        forget(`t:${tokenHash}`)
        await repository.deleteSession(tx, tokenHash)
        return openMemberSession({ userId: session.user.id, workspaceId, ...origin }, tx)
      })
    },

    /**
     * Another module is changing what this user's member sessions carry (their two-factor enrolment):
     * forget them here at once. Call inside the transaction, before the write, like `forget` above.
     */
    forgetSessionsOfUser(userId: string): void {
      forget(`u:${userId}`)
    },

    /** The same for every session in a workspace (its two-factor policy). */
    forgetSessionsOfWorkspace(workspaceId: string): void {
      forget(`w:${workspaceId}`)
    },

    /** Ends the sessions opened from these signing links (the links were revoked or replaced). */
    async endSigningLinkSessions(linkIds: string[], tx: Queryable): Promise<void> {
      const ended = await repository.deleteSessionsOfSigningLinks(tx, linkIds)
      forget(...ended.map((tokenHash) => `t:${tokenHash}`))
    },
  }
}

async function assertAnotherAdmin(tx: Queryable, workspaceId: string): Promise<void> {
  if ((await repository.countAdmins(tx, workspaceId)) <= 1) {
    throw new AppError(
      'CONFLICT',
      'A workspace needs at least one administrator. Make someone else an admin first.',
    )
  }
}

export function hashSessionToken(token: string): string {
  return hash('sha256', token, 'base64url')
}

function toSessionContext(record: repository.SessionRecord): SessionContext {
  const workspace = { id: record.workspaceId, name: record.workspaceName }
  if (record.kind === 'member') {
    return {
      principal: 'member',
      user: { id: record.userId, email: record.email, name: record.name },
      workspace,
      role: record.role,
      heldByTwoFactorPolicy: record.heldByTwoFactorPolicy,
    }
  }
  return {
    principal: 'signer',
    signer: { id: record.signerId, email: record.email, name: record.name, packageId: record.packageId },
    workspace,
  }
}
