import { and, eq, gt, inArray, lt, sql } from 'drizzle-orm'
import type { Database, Queryable } from '../../../db/client.ts'
import {
  memberships,
  type Role,
  sessions,
  signerSessions,
  signers,
  signingPackages,
  users,
  workspaces,
} from '../../../db/schema.ts'

export type UserWithPassword = { id: string; email: string; name: string; passwordHash: string }

/** A live session and the one principal it acts for. */
export type SessionRecord = { workspaceId: string; workspaceName: string; expiresAt: Date } & (
  | { kind: 'member'; userId: string; email: string; name: string; role: Role }
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
 * A five-way join cost more to plan on the embedded database than to execute.
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
