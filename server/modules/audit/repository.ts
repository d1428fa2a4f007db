import { and, asc, desc, eq, sql } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import { auditEvents, users } from '../../../db/schema.ts'

export type AuditRow = typeof auditEvents.$inferSelect
export type NewAuditRow = typeof auditEvents.$inferInsert

/**
 * Serializes writers of one chain until the surrounding transaction ends, so two concurrent appends
 * cannot both extend the same previous hash.
 */
export async function lockChain(tx: Queryable, chainKey: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${chainKey}, 0))`)
}

export async function findChainTail(
  tx: Queryable,
  chainKey: string,
): Promise<{ sequence: number; hash: string } | null> {
  const [row] = await tx
    .select({ sequence: auditEvents.sequence, hash: auditEvents.hash })
    .from(auditEvents)
    .where(eq(auditEvents.chainKey, chainKey))
    .orderBy(desc(auditEvents.sequence))
    .limit(1)
  return row ?? null
}

export async function insertAuditRow(tx: Queryable, row: NewAuditRow): Promise<AuditRow> {
  const [inserted] = await tx.insert(auditEvents).values(row).returning()
  return inserted as AuditRow
}

export async function listChain(db: Queryable, chainKey: string): Promise<AuditRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.chainKey, chainKey))
    .orderBy(asc(auditEvents.sequence))
}

/** Whether the chain holds an event about `subjectId` recorded for the change named `changeKey`. */
export async function hasChangeEvent(
  db: Queryable,
  chainKey: string,
  subjectId: string,
  changeKey: string,
): Promise<boolean> {
  const [row] = await db
    .select({ sequence: auditEvents.sequence })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.chainKey, chainKey),
        eq(auditEvents.subjectId, subjectId),
        sql`${auditEvents.details}->>'change_key' = ${changeKey}`,
      ),
    )
    .limit(1)
  return row !== undefined
}

/** The newest events of a chain with the e-mail of each acting user (when the user still exists). */
export async function listRecentWithActors(
  db: Queryable,
  chainKey: string,
  limit: number,
): Promise<Array<AuditRow & { actorEmail: string | null }>> {
  const rows = await db
    .select({ event: auditEvents, actorEmail: users.email })
    .from(auditEvents)
    .leftJoin(users, eq(users.id, auditEvents.actorUserId))
    .where(eq(auditEvents.chainKey, chainKey))
    .orderBy(desc(auditEvents.sequence))
    .limit(limit)
  return rows.map((row) => ({ ...row.event, actorEmail: row.actorEmail }))
}
