import { and, eq, gt, inArray, isNull, lt, ne, sql } from 'drizzle-orm'
import type { Database, Queryable } from '../../../db/client.ts'
import {
  memberships,
  passwordResets,
  type Role,
  sessions,
  signerSessions,
  signers,
  signingPackages,
  users,
  userTotp,
  workspaceSecurityPolicies,
  workspaces,
} from '../../../db/schema.ts'

export type UserWithPassword = { id: string; email: string; name: string; passwordHash: string }

/** A live session and the one principal it acts for. */
export type SessionRecord = { workspaceId: string; workspaceName: string; expiresAt: Date } & (
  | {
      kind: 'member'
      userId: string
      email: string
      name: string
      role: Role
      /** The workspace requires two-factor of this admin or manager, who has not enabled it. */
      heldByTwoFactorPolicy: boolean
    }
  | { kind: 'signer'; signerId: string; email: string; name: string; packageId: string }
)

export async function findUserByEmail(db: Queryable, email: string): Promise<UserWithPassword | null> {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash })
    .from(users)
    .where(sql`lower(${users.email}) = lower(${email})`)
    .limit(1)
  return row ?? null
}

/** The workspace a user lands in after sign-in: their oldest membership. */
export async function findPrimaryMembership(
  db: Queryable,
  userId: string,
): Promise<{ workspaceId: string; role: Role } | null> {
  const [row] = await db
    .select({ workspaceId: memberships.workspaceId, role: memberships.role })
    .from(memberships)
    .where(eq(memberships.userId, userId))
    .orderBy(memberships.createdAt)
    .limit(1)
  return row ?? null
}

export async function insertSession(
  db: Queryable,
  session: {
    tokenHash: string
    /** null for a signer session, whose signer record goes into signer_sessions in the same transaction. */
    userId: string | null
    workspaceId: string
    expiresAt: Date
    ipAddress: string | null
    userAgent: string | null
    /** When the person proved who they are (a password sign-in); none for signer sessions. */
    authenticatedAt?: Date | null
  },
): Promise<void> {
  await db.insert(sessions).values(session)
}

/**
 * The hot path of every authenticated request. Built once per database as a prepared statement and
 * shaped to be cheap to plan: a primary-key lookup of the session, its membership (a member session
 * whose membership is gone is dead) or its signer record, with display fields as scalar subqueries.
 * A five-way join cost more to plan on the embedded database than to execute. It also answers the
 * role guard's two-factor question (`heldByTwoFactorPolicy`), so that guard costs no query of its own.
 */
export async function findLiveSession(
  db: Database,
  tokenHash: string,
  now: Date,
): Promise<SessionRecord | null> {
  let statement = liveSessionStatements.get(db)
  if (!statement) {
    statement = prepareLiveSessionLookup(db)
    liveSessionStatements.set(db, statement)
  }
  const [row] = await statement.execute({ tokenHash, now })
  if (!row) return null
  const base = { workspaceId: row.workspaceId, workspaceName: row.workspaceName, expiresAt: row.expiresAt }
  if (row.userId !== null) {
    // A member session: its membership in this very workspace must still exist.
    if (row.role === null || row.signerId !== null) return null
    return {
      ...base,
      kind: 'member',
      userId: row.userId,
      email: row.userEmail,
      name: row.userName,
      role: row.role,
      heldByTwoFactorPolicy: row.heldByTwoFactorPolicy === true,
    }
  }
  // A signer session: its signer record must belong to a package of the session's workspace.
  if (row.signerId === null || row.signerEmail === null || row.signerName === null || row.packageId === null)
    return null
  if (row.packageWorkspaceId !== row.workspaceId) return null
  return {
    ...base,
    kind: 'signer',
    signerId: row.signerId,
    email: row.signerEmail,
    name: row.signerName,
    packageId: row.packageId,
  }
}

const liveSessionStatements = new WeakMap<Database, ReturnType<typeof prepareLiveSessionLookup>>()

function prepareLiveSessionLookup(db: Database) {
  return db
    .select({
      userId: sessions.userId,
      userEmail: sql<string>`(select ${users.email} from ${users} where ${users.id} = ${sessions.userId})`,
      userName: sql<string>`(select ${users.name} from ${users} where ${users.id} = ${sessions.userId})`,
      workspaceId: sessions.workspaceId,
      workspaceName: sql<string>`(select ${workspaces.name} from ${workspaces} where ${workspaces.id} = ${sessions.workspaceId})`,
      role: memberships.role,
      // The same rule as `isHeldByTwoFactorPolicy` (two-factor-repository.ts), for this membership.
      heldByTwoFactorPolicy: sql<boolean | null>`(${memberships.role} in ('admin', 'manager')
        and exists (select 1 from ${workspaceSecurityPolicies} where ${workspaceSecurityPolicies.workspaceId} = ${sessions.workspaceId} and ${workspaceSecurityPolicies.requireTwoFactor})
        and not exists (select 1 from ${userTotp} where ${userTotp.userId} = ${sessions.userId} and ${userTotp.enabledAt} is not null))`,
      expiresAt: sessions.expiresAt,
      signerId: signers.id,
      signerEmail: signers.email,
      signerName: signers.legalName,
      packageId: signers.packageId,
      packageWorkspaceId: sql<
        string | null
      >`(select ${signingPackages.workspaceId} from ${signingPackages} where ${signingPackages.id} = ${signers.packageId})`,
    })
    .from(sessions)
    .leftJoin(
      memberships,
      and(eq(memberships.userId, sessions.userId), eq(memberships.workspaceId, sessions.workspaceId)),
    )
    .leftJoin(signerSessions, eq(signerSessions.sessionTokenHash, sessions.tokenHash))
    .leftJoin(signers, eq(signers.id, signerSessions.signerId))
    .where(
      and(
        eq(sessions.tokenHash, sql.placeholder('tokenHash')),
        gt(sessions.expiresAt, sql.placeholder('now')),
      ),
    )
    .prepare('find_live_session')
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash))
}

export async function deleteExpiredSessions(db: Queryable, now: Date): Promise<number> {
  const deleted = await db
    .delete(sessions)
    .where(lt(sessions.expiresAt, now))
    .returning({ tokenHash: sessions.tokenHash })
  return deleted.length
}

export async function insertUser(
  db: Queryable,
  user: { email: string; name: string; passwordHash: string },
): Promise<{ id: string }> {
  const [row] = await db.insert(users).values(user).returning({ id: users.id })
  return row as { id: string }
}

export async function insertMembership(
  db: Queryable,
  membership: { userId: string; workspaceId: string; role: Role },
): Promise<void> {
  await db.insert(memberships).values(membership)
}

export async function insertSignerSession(
  db: Queryable,
  scope: { sessionTokenHash: string; signerId: string; linkId: string },
): Promise<void> {
  await db.insert(signerSessions).values(scope)
}

/** Ends every session that was opened from one of these signing links; resolves to their token hashes. */
export async function deleteSessionsOfSigningLinks(db: Queryable, linkIds: string[]): Promise<string[]> {
  if (linkIds.length === 0) return []
  const deleted = await db
    .delete(sessions)
    .where(
      inArray(
        sessions.tokenHash,
        db
          .select({ tokenHash: signerSessions.sessionTokenHash })
          .from(signerSessions)
          .where(inArray(signerSessions.linkId, linkIds)),
      ),
    )
    .returning({ tokenHash: sessions.tokenHash })
  return deleted.map((row) => row.tokenHash)
}

export type MemberRow = { userId: string; email: string; name: string; role: Role }

/** The members of a workspace, admins first, then by name. */
export async function listMembers(db: Queryable, workspaceId: string): Promise<MemberRow[]> {
  return db
    .select({ userId: users.id, email: users.email, name: users.name, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.workspaceId, workspaceId))
    .orderBy(sql`case ${memberships.role} when 'admin' then 0 when 'manager' then 1 else 2 end`, users.name)
}

/** The workspaces a user belongs to, oldest membership first. */
export async function listUserWorkspaces(
  db: Queryable,
  userId: string,
): Promise<Array<{ workspaceId: string; name: string; role: Role }>> {
  return db
    .select({ workspaceId: workspaces.id, name: workspaces.name, role: memberships.role })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(eq(memberships.userId, userId))
    .orderBy(memberships.createdAt)
}

export async function findMembershipRole(
  db: Queryable,
  userId: string,
  workspaceId: string,
): Promise<Role | null> {
  const [row] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.userId, userId), eq(memberships.workspaceId, workspaceId)))
    .limit(1)
  return row?.role ?? null
}

/**
 * Serializes changes to one workspace's memberships, so two admins demoting each other at once
 * cannot leave it without an admin.
 */
export async function lockMemberships(tx: Queryable, workspaceId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`memberships:${workspaceId}`}, 0))`)
}

export async function countAdmins(db: Queryable, workspaceId: string): Promise<number> {
  return db.$count(memberships, and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, 'admin')))
}

export async function updateMembershipRole(
  db: Queryable,
  membership: { userId: string; workspaceId: string; role: Role },
): Promise<boolean> {
  const updated = await db
    .update(memberships)
    .set({ role: membership.role })
    .where(
      and(eq(memberships.userId, membership.userId), eq(memberships.workspaceId, membership.workspaceId)),
    )
    .returning({ userId: memberships.userId })
  return updated.length > 0
}

export async function deleteMembership(
  db: Queryable,
  membership: { userId: string; workspaceId: string },
): Promise<boolean> {
  const deleted = await db
    .delete(memberships)
    .where(
      and(eq(memberships.userId, membership.userId), eq(memberships.workspaceId, membership.workspaceId)),
    )
    .returning({ userId: memberships.userId })
  return deleted.length > 0
}

/** Ends a user's sessions: in one workspace, or everywhere; optionally keeping one (the caller's). */
export async function deleteUserSessions(
  db: Queryable,
  filter: { userId: string; workspaceId?: string; exceptTokenHash?: string },
): Promise<number> {
  const deleted = await db
    .delete(sessions)
    .where(
      and(
        eq(sessions.userId, filter.userId),
        filter.workspaceId ? eq(sessions.workspaceId, filter.workspaceId) : undefined,
        filter.exceptTokenHash ? ne(sessions.tokenHash, filter.exceptTokenHash) : undefined,
      ),
    )
    .returning({ tokenHash: sessions.tokenHash })
  return deleted.length
}

export async function findUserById(db: Queryable, userId: string): Promise<UserWithPassword | null> {
  const [row] = await db
    .select({ id: users.id, email: users.email, name: users.name, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, userId))
    .limit(1)
  return row ?? null
}

export async function updatePasswordHash(db: Queryable, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId))
}

export async function findWorkspaceName(db: Queryable, workspaceId: string): Promise<string | null> {
  const [row] = await db
    .select({ name: workspaces.name })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
  return row?.name ?? null
}

export async function insertPasswordReset(
  db: Queryable,
  reset: { userId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db.insert(passwordResets).values(reset)
}

/** Uses a live reset token once; resolves to its user, or null when it is unknown, used or expired. */
export async function consumePasswordReset(
  db: Queryable,
  tokenHash: string,
  now: Date,
): Promise<string | null> {
  const [row] = await db
    .update(passwordResets)
    .set({ usedAt: now })
    .where(
      and(
        eq(passwordResets.tokenHash, tokenHash),
        isNull(passwordResets.usedAt),
        gt(passwordResets.expiresAt, now),
      ),
    )
    .returning({ userId: passwordResets.userId })
  return row?.userId ?? null
}

/** A newer reset link replaces the older ones of the same user. */
export async function expireOpenPasswordResets(db: Queryable, userId: string, now: Date): Promise<void> {
  await db
    .update(passwordResets)
    .set({ usedAt: now })
    .where(and(eq(passwordResets.userId, userId), isNull(passwordResets.usedAt)))
}
