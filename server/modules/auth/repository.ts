import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import { memberships, type Role, sessions, signerSessions, users, workspaces } from '../../../db/schema.ts'

export type UserWithPassword = { id: string; email: string; name: string; passwordHash: string }

export type SessionRecord = {
  userId: string
  email: string
  name: string
  workspaceId: string
  workspaceName: string
  role: Role
  expiresAt: Date
  /** Set when the session was opened from a signing link: it acts for this signer record only. */
  signerId: string | null
}

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
    userId: string
    workspaceId: string
    expiresAt: Date
    ipAddress: string | null
    userAgent: string | null
  },
): Promise<void> {
  await db.insert(sessions).values(session)
}

/** The hot path of every authenticated request: one indexed lookup joining what a route needs. */
export async function findLiveSession(
  db: Queryable,
  tokenHash: string,
  now: Date,
): Promise<SessionRecord | null> {
  const [row] = await db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      workspaceId: workspaces.id,
      workspaceName: workspaces.name,
      role: memberships.role,
      expiresAt: sessions.expiresAt,
      signerId: signerSessions.signerId,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(
      memberships,
      and(eq(memberships.userId, sessions.userId), eq(memberships.workspaceId, sessions.workspaceId)),
    )
    .innerJoin(workspaces, eq(workspaces.id, sessions.workspaceId))
    .leftJoin(signerSessions, eq(signerSessions.sessionTokenHash, sessions.tokenHash))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now)))
    .limit(1)
  return row ?? null
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

export async function insertSignerSession(
  db: Queryable,
  scope: { sessionTokenHash: string; signerId: string; linkId: string },
): Promise<void> {
  await db.insert(signerSessions).values(scope)
}

/** Ends every session that was opened from one of these signing links. */
export async function deleteSessionsOfSigningLinks(db: Queryable, linkIds: string[]): Promise<void> {
  if (linkIds.length === 0) return
  await db
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
}
