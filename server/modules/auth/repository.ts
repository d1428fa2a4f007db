import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm'
import type { Database, Queryable } from '../../../db/client.ts'
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

/**
 * The hot path of every authenticated request. Built once per database as a prepared statement and
 * shaped to be cheap to plan: a primary-key lookup of the session and its membership (which must still
 * exist, and carries the role), with the display fields as scalar subqueries. A five-way join cost more
 * to plan on the embedded database than to execute.
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
  return row ?? null
}

const liveSessionStatements = new WeakMap<Database, ReturnType<typeof prepareLiveSessionLookup>>()

function prepareLiveSessionLookup(db: Database) {
  return db
    .select({
      userId: sessions.userId,
      email: sql<string>`(select ${users.email} from ${users} where ${users.id} = ${sessions.userId})`,
      name: sql<string>`(select ${users.name} from ${users} where ${users.id} = ${sessions.userId})`,
      workspaceId: sessions.workspaceId,
      workspaceName: sql<string>`(select ${workspaces.name} from ${workspaces} where ${workspaces.id} = ${sessions.workspaceId})`,
      role: memberships.role,
      expiresAt: sessions.expiresAt,
      signerId: sql<
        string | null
      >`(select ${signerSessions.signerId} from ${signerSessions} where ${signerSessions.sessionTokenHash} = ${sessions.tokenHash})`,
    })
    .from(sessions)
    .innerJoin(
      memberships,
      and(eq(memberships.userId, sessions.userId), eq(memberships.workspaceId, sessions.workspaceId)),
    )
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
