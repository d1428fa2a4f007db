import { and, desc, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import { memberInvitations, setupTokens, workspaces } from '../../../db/schema.ts'

export type InvitationRole = 'admin' | 'manager'

export type InvitationRow = {
  id: string
  workspaceId: string
  workspaceName: string
  email: string
  name: string | null
  role: InvitationRole
  expiresAt: Date
  acceptedAt: Date | null
  revokedAt: Date | null
}

const invitationColumns = {
  id: memberInvitations.id,
  workspaceId: memberInvitations.workspaceId,
  workspaceName: sql<string>`(select ${workspaces.name} from ${workspaces} where ${workspaces.id} = ${memberInvitations.workspaceId})`,
  email: memberInvitations.email,
  name: memberInvitations.name,
  role: memberInvitations.role,
  expiresAt: memberInvitations.expiresAt,
  acceptedAt: memberInvitations.acceptedAt,
  revokedAt: memberInvitations.revokedAt,
}

export async function insertInvitation(
  db: Queryable,
  invitation: {
    workspaceId: string
    email: string
    name?: string | null
    role: InvitationRole
    tokenHash: string
    invitedBy: string | null
    expiresAt: Date
  },
): Promise<{ id: string }> {
  const [row] = await db.insert(memberInvitations).values(invitation).returning({ id: memberInvitations.id })
  return row as { id: string }
}

/** The workspace's open invitations (not accepted, revoked or expired), newest first. */
export async function listOpenInvitations(
  db: Queryable,
  workspaceId: string,
  now: Date,
): Promise<InvitationRow[]> {
  return db
    .select(invitationColumns)
    .from(memberInvitations)
    .where(
      and(
        eq(memberInvitations.workspaceId, workspaceId),
        isNull(memberInvitations.acceptedAt),
        isNull(memberInvitations.revokedAt),
        gt(memberInvitations.expiresAt, now),
      ),
    )
    .orderBy(desc(memberInvitations.createdAt))
}

export async function findInvitationByTokenHash(
  db: Queryable,
  tokenHash: string,
): Promise<InvitationRow | null> {
  const [row] = await db
    .select(invitationColumns)
    .from(memberInvitations)
    .where(eq(memberInvitations.tokenHash, tokenHash))
    .limit(1)
  return row ?? null
}

/** Revokes the workspace's open invitations for an e-mail (a new one replaces them). */
export async function revokeOpenInvitationsFor(
  db: Queryable,
  workspaceId: string,
  email: string,
  now: Date,
): Promise<void> {
  await db
    .update(memberInvitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(memberInvitations.workspaceId, workspaceId),
        sql`lower(${memberInvitations.email}) = lower(${email})`,
        isNull(memberInvitations.acceptedAt),
        isNull(memberInvitations.revokedAt),
      ),
    )
}

export async function revokeInvitation(
  db: Queryable,
  workspaceId: string,
  id: string,
  now: Date,
): Promise<InvitationRow | null> {
  const [row] = await db
    .update(memberInvitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(memberInvitations.workspaceId, workspaceId),
        eq(memberInvitations.id, id),
        isNull(memberInvitations.acceptedAt),
        isNull(memberInvitations.revokedAt),
      ),
    )
    .returning({ id: memberInvitations.id, email: memberInvitations.email })
  return row ? ((await findInvitationById(db, row.id)) as InvitationRow) : null
}

async function findInvitationById(db: Queryable, id: string): Promise<InvitationRow | null> {
  const [row] = await db.select(invitationColumns).from(memberInvitations).where(eq(memberInvitations.id, id))
  return row ?? null
}

/** Marks it used; false when another request used, revoked or outlived it first. */
export async function markAccepted(
  db: Queryable,
  input: { id: string; userId: string; now: Date },
): Promise<boolean> {
  const updated = await db
    .update(memberInvitations)
    .set({ acceptedAt: input.now, acceptedBy: input.userId })
    .where(
      and(
        eq(memberInvitations.id, input.id),
        isNull(memberInvitations.acceptedAt),
        isNull(memberInvitations.revokedAt),
        gt(memberInvitations.expiresAt, input.now),
      ),
    )
    .returning({ id: memberInvitations.id })
  return updated.length > 0
}

export async function insertSetupToken(db: Queryable, tokenHash: string): Promise<void> {
  await db.insert(setupTokens).values({ tokenHash })
}

export async function isSetupTokenLive(db: Queryable, tokenHash: string): Promise<boolean> {
  const [row] = await db
    .select({ tokenHash: setupTokens.tokenHash })
    .from(setupTokens)
    .where(and(eq(setupTokens.tokenHash, tokenHash), isNull(setupTokens.usedAt)))
  return row !== undefined
}

/** Uses one setup token and ends every other: the first workspace exists from now on. */
export async function consumeSetupTokens(db: Queryable, tokenHash: string, now: Date): Promise<boolean> {
  const used = await db
    .update(setupTokens)
    .set({ usedAt: now })
    .where(and(eq(setupTokens.tokenHash, tokenHash), isNull(setupTokens.usedAt)))
    .returning({ tokenHash: setupTokens.tokenHash })
  if (used.length === 0) return false
  await db.update(setupTokens).set({ usedAt: now }).where(isNull(setupTokens.usedAt))
  return true
}

/** Serializes first-run setup: two setup links used at once create one workspace. */
export async function lockSetup(tx: Queryable): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended('safeclose-first-run-setup', 0))`)
}
