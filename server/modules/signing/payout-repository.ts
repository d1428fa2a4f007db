import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import {
  memberships,
  type PayoutAlertReason,
  payoutAlerts,
  payoutInstructions,
  signerPayoutNumbers,
  users,
  workspacePayoutSettings,
} from '../../../db/schema.ts'

/** Payout numbers, frozen instructions and alerts (the signing module owns these tables). */

export type PayoutNumbersRow = typeof signerPayoutNumbers.$inferSelect
export type PayoutInstructionRow = typeof payoutInstructions.$inferSelect
export type PayoutAlertRow = typeof payoutAlerts.$inferSelect

export async function saveNumbers(tx: Queryable, row: PayoutNumbersRow): Promise<void> {
  const { signerId: _signerId, ...changes } = row
  await tx.insert(signerPayoutNumbers).values(row).onConflictDoUpdate({
    target: signerPayoutNumbers.signerId,
    set: changes,
  })
}

export async function deleteNumbers(tx: Queryable, signerId: string): Promise<void> {
  await tx.delete(signerPayoutNumbers).where(eq(signerPayoutNumbers.signerId, signerId))
}

export async function findNumbers(db: Queryable, signerId: string): Promise<PayoutNumbersRow | null> {
  const [row] = await db.select().from(signerPayoutNumbers).where(eq(signerPayoutNumbers.signerId, signerId))
  return row ?? null
}

export async function listNumbers(db: Queryable, signerIds: string[]): Promise<PayoutNumbersRow[]> {
  if (signerIds.length === 0) return []
  return db.select().from(signerPayoutNumbers).where(inArray(signerPayoutNumbers.signerId, signerIds))
}

export async function replaceNumbersCiphertext(
  db: Queryable,
  signerId: string,
  encrypted: { keyId: string; ciphertext: string },
): Promise<void> {
  await db
    .update(signerPayoutNumbers)
    .set({ numbersCiphertext: encrypted.ciphertext, numbersKeyId: encrypted.keyId })
    .where(eq(signerPayoutNumbers.signerId, signerId))
}

/** Freezes an instruction; false when the signer already has one (a package completes once). */
export async function insertInstruction(tx: Queryable, row: PayoutInstructionRow): Promise<boolean> {
  const inserted = await tx
    .insert(payoutInstructions)
    .values(row)
    .onConflictDoNothing()
    .returning({ signerId: payoutInstructions.signerId })
  return inserted.length > 0
}

export async function findInstruction(db: Queryable, signerId: string): Promise<PayoutInstructionRow | null> {
  const [row] = await db.select().from(payoutInstructions).where(eq(payoutInstructions.signerId, signerId))
  return row ?? null
}

export async function lockInstruction(tx: Queryable, signerId: string): Promise<PayoutInstructionRow | null> {
  const [row] = await tx
    .select()
    .from(payoutInstructions)
    .where(eq(payoutInstructions.signerId, signerId))
    .for('update')
  return row ?? null
}

export async function listInstructionsByItem(
  db: Queryable,
  plaidItemId: string,
): Promise<PayoutInstructionRow[]> {
  return db.select().from(payoutInstructions).where(eq(payoutInstructions.plaidItemId, plaidItemId))
}

export async function listInstructionsOfPackage(
  db: Queryable,
  packageId: string,
): Promise<PayoutInstructionRow[]> {
  return db
    .select()
    .from(payoutInstructions)
    .where(eq(payoutInstructions.packageId, packageId))
    .orderBy(asc(payoutInstructions.lockedAt))
}

export async function listObservedCiphertexts(db: Queryable) {
  return db
    .select({
      signerId: payoutInstructions.signerId,
      ciphertext: payoutInstructions.observedCiphertext,
      keyId: payoutInstructions.observedKeyId,
    })
    .from(payoutInstructions)
    .where(isNotNull(payoutInstructions.observedCiphertext))
}

export async function listNumbersCiphertexts(db: Queryable) {
  return db
    .select({
      signerId: signerPayoutNumbers.signerId,
      ciphertext: signerPayoutNumbers.numbersCiphertext,
      keyId: signerPayoutNumbers.numbersKeyId,
    })
    .from(signerPayoutNumbers)
}

export async function replaceObserved(
  db: Queryable,
  signerId: string,
  encrypted: { keyId: string; ciphertext: string },
): Promise<void> {
  await db
    .update(payoutInstructions)
    .set({ observedCiphertext: encrypted.ciphertext, observedKeyId: encrypted.keyId })
    .where(eq(payoutInstructions.signerId, signerId))
}

/** Raises an alert; null when this change (signer, dedupe key) already raised one. */
export async function insertAlert(
  tx: Queryable,
  row: {
    packageId: string
    workspaceId: string
    signerId: string
    reason: PayoutAlertReason
    dedupeKey: string
    details: Record<string, unknown>
    raisedAt: Date
  },
): Promise<PayoutAlertRow | null> {
  const [inserted] = await tx.insert(payoutAlerts).values(row).onConflictDoNothing().returning()
  return inserted ?? null
}

export async function findAlert(db: Queryable, alertId: string): Promise<PayoutAlertRow | null> {
  const [row] = await db.select().from(payoutAlerts).where(eq(payoutAlerts.id, alertId))
  return row ?? null
}

export type PayoutAlertListRow = PayoutAlertRow & {
  resolvedByName: string | null
  resolvedByEmail: string | null
  confirmedByName: string | null
  proposedByName: string | null
}

export async function listAlerts(db: Queryable, packageId: string): Promise<PayoutAlertListRow[]> {
  const resolver = sql`(select name from users where id = ${payoutAlerts.resolvedBy})`
  const resolverEmail = sql`(select email from users where id = ${payoutAlerts.resolvedBy})`
  const confirmer = sql`(select name from users where id = ${payoutAlerts.confirmedBy})`
  const proposer = sql`(select name from users where id = ${payoutAlerts.proposedBy})`
  const rows = await db
    .select({
      alert: payoutAlerts,
      resolvedByName: sql<string | null>`${resolver}`,
      resolvedByEmail: sql<string | null>`${resolverEmail}`,
      confirmedByName: sql<string | null>`${confirmer}`,
      proposedByName: sql<string | null>`${proposer}`,
    })
    .from(payoutAlerts)
    .where(eq(payoutAlerts.packageId, packageId))
    .orderBy(asc(payoutAlerts.raisedAt), asc(payoutAlerts.id))
  return rows.map(({ alert, ...names }) => ({ ...alert, ...names }))
}

export async function lockAlert(
  tx: Queryable,
  packageId: string,
  alertId: string,
): Promise<PayoutAlertRow | null> {
  const [row] = await tx
    .select()
    .from(payoutAlerts)
    .where(and(eq(payoutAlerts.id, alertId), eq(payoutAlerts.packageId, packageId)))
    .for('update')
  return row ?? null
}

export async function proposeResolution(
  tx: Queryable,
  alertId: string,
  proposal: { by: string; note: string; at: Date },
): Promise<void> {
  await tx
    .update(payoutAlerts)
    .set({ proposedBy: proposal.by, proposedNote: proposal.note, proposedAt: proposal.at })
    .where(eq(payoutAlerts.id, alertId))
}

export async function resolveAlert(
  tx: Queryable,
  alertId: string,
  resolution: { resolvedBy: string | null; confirmedBy: string | null; note: string; at: Date },
): Promise<void> {
  await tx
    .update(payoutAlerts)
    .set({
      resolvedBy: resolution.resolvedBy,
      confirmedBy: resolution.confirmedBy,
      note: resolution.note,
      resolvedAt: resolution.at,
    })
    .where(eq(payoutAlerts.id, alertId))
}

export async function findPayoutPolicy(
  db: Queryable,
  workspaceId: string,
): Promise<{ requireSecondManager: boolean }> {
  const [row] = await db
    .select({ requireSecondManager: workspacePayoutSettings.requireSecondManager })
    .from(workspacePayoutSettings)
    .where(eq(workspacePayoutSettings.workspaceId, workspaceId))
  return row ?? { requireSecondManager: false }
}

export async function savePayoutPolicy(
  tx: Queryable,
  workspaceId: string,
  policy: { requireSecondManager: boolean },
  at: Date,
): Promise<void> {
  await tx
    .insert(workspacePayoutSettings)
    .values({ workspaceId, requireSecondManager: policy.requireSecondManager, updatedAt: at })
    .onConflictDoUpdate({
      target: workspacePayoutSettings.workspaceId,
      set: { requireSecondManager: policy.requireSecondManager, updatedAt: at },
    })
}

/** The e-mail addresses of the workspace's administrators and managers (who receive payout alerts). */
export async function listManagerEmails(db: Queryable, workspaceId: string): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, workspaceId), inArray(memberships.role, ['admin', 'manager'])))
    .orderBy(asc(users.email))
  return rows.map((row) => row.email)
}
