import { and, asc, desc, eq, isNotNull, notInArray, sql } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import { type ItemStatus, type PlaidEnvironment, plaidAccounts, plaidItems } from '../../../db/schema.ts'
import type { AccountSummary } from './gateway.ts'

/**
 * The Item reads and writes that Plaid's notifications (webhooks and reconciliation) cause. Only
 * item-state-service.ts uses this file; other modules go through that service.
 */

export type TrackedItem = {
  id: string
  workspaceId: string
  environment: PlaidEnvironment
  plaidItemId: string
  status: ItemStatus
  hasNewAccounts: boolean
  errorCode: string | null
  consentExpiresAt: Date | null
  webhookUrl: string | null
  accessTokenCiphertext: string | null
  accessTokenKeyId: string | null
}

const columns = {
  id: plaidItems.id,
  workspaceId: plaidItems.workspaceId,
  environment: plaidItems.environment,
  plaidItemId: plaidItems.plaidItemId,
  status: plaidItems.status,
  hasNewAccounts: plaidItems.hasNewAccounts,
  errorCode: plaidItems.errorCode,
  consentExpiresAt: plaidItems.consentExpiresAt,
  webhookUrl: plaidItems.webhookUrl,
  accessTokenCiphertext: plaidItems.accessTokenCiphertext,
  accessTokenKeyId: plaidItems.accessTokenKeyId,
}

export async function findItem(
  db: Queryable,
  environment: PlaidEnvironment,
  plaidItemId: string,
): Promise<TrackedItem | null> {
  const [row] = await db
    .select(columns)
    .from(plaidItems)
    .where(and(eq(plaidItems.environment, environment), eq(plaidItems.plaidItemId, plaidItemId)))
  return row ?? null
}

export async function lockItem(tx: Queryable, id: string): Promise<TrackedItem | null> {
  const [row] = await tx.select(columns).from(plaidItems).where(eq(plaidItems.id, id)).for('update')
  return row ?? null
}

export type ItemChanges = Partial<{
  status: ItemStatus
  errorCode: string | null
  consentExpiresAt: Date | null
  hasNewAccounts: boolean
  webhookUrl: string | null
  lastWebhookCode: string
  accessTokenCiphertext: null
  accessTokenKeyId: null
}>

export async function updateItem(tx: Queryable, id: string, changes: ItemChanges, at: Date): Promise<void> {
  await tx
    .update(plaidItems)
    .set({ ...changes, updatedAt: at })
    .where(eq(plaidItems.id, id))
}

/** Marks one account revoked; false when the Item has no such account. */
export async function revokeAccount(tx: Queryable, itemId: string, plaidAccountId: string): Promise<boolean> {
  const rows = await tx
    .update(plaidAccounts)
    .set({ isRevoked: true, updatedAt: new Date() })
    .where(and(eq(plaidAccounts.itemId, itemId), eq(plaidAccounts.plaidAccountId, plaidAccountId)))
    .returning({ id: plaidAccounts.id })
  return rows.length > 0
}

export type AccountSnapshot = {
  plaidAccountId: string
  name: string
  officialName: string | null
  mask: string | null
  type: string
  subtype: string | null
  verificationStatus: string | null
}

/** An account as Plaid reports it, in the shape of our `plaid_accounts` row. */
export function toAccountSnapshot(account: AccountSummary): AccountSnapshot {
  return {
    plaidAccountId: account.accountId,
    name: account.name,
    officialName: account.officialName,
    mask: account.mask,
    type: account.type,
    subtype: account.subtype,
    verificationStatus: account.verificationStatus,
  }
}

/**
 * Brings the stored accounts in line with Plaid's list: updates known ones (keeping their revoked
 * flag), adds new ones. Returns the accounts whose verification status changed.
 */
export async function syncAccounts(
  tx: Queryable,
  itemId: string,
  accounts: AccountSnapshot[],
): Promise<Array<{ plaidAccountId: string; from: string | null; to: string | null }>> {
  const existing = await tx
    .select({
      plaidAccountId: plaidAccounts.plaidAccountId,
      verificationStatus: plaidAccounts.verificationStatus,
    })
    .from(plaidAccounts)
    .where(eq(plaidAccounts.itemId, itemId))
  const before = new Map(existing.map((row) => [row.plaidAccountId, row.verificationStatus]))
  const changed: Array<{ plaidAccountId: string; from: string | null; to: string | null }> = []
  for (const account of accounts) {
    const previous = before.get(account.plaidAccountId)
    if (previous === undefined || previous !== account.verificationStatus) {
      changed.push({
        plaidAccountId: account.plaidAccountId,
        from: previous ?? null,
        to: account.verificationStatus,
      })
    }
  }
  if (accounts.length > 0) {
    await tx
      .insert(plaidAccounts)
      .values(accounts.map((account) => ({ ...account, itemId })))
      .onConflictDoUpdate({
        target: [plaidAccounts.itemId, plaidAccounts.plaidAccountId],
        set: {
          name: sql`excluded.name`,
          officialName: sql`excluded.official_name`,
          mask: sql`excluded.mask`,
          type: sql`excluded.type`,
          subtype: sql`excluded.subtype`,
          verificationStatus: sql`excluded.verification_status`,
          updatedAt: sql`now()`,
        },
      })
  }
  return changed
}

/** Live Items with a token (of one workspace when given), least recently touched first. */
export async function listItemsToReconcile(
  db: Queryable,
  limit: number,
  workspaceId?: string,
): Promise<TrackedItem[]> {
  return db
    .select(columns)
    .from(plaidItems)
    .where(
      and(
        notInArray(plaidItems.status, ['removed', 'revoked']),
        isNotNull(plaidItems.accessTokenCiphertext),
        workspaceId ? eq(plaidItems.workspaceId, workspaceId) : undefined,
      ),
    )
    .orderBy(asc(plaidItems.updatedAt))
    .limit(limit)
}

/** Where a Plaid item_id lives on our side: its environment and workspace (the live row first). */
export async function findItemOwner(
  db: Queryable,
  plaidItemId: string,
): Promise<{ environment: PlaidEnvironment; workspaceId: string } | null> {
  const [row] = await db
    .select({ environment: plaidItems.environment, workspaceId: plaidItems.workspaceId })
    .from(plaidItems)
    .where(eq(plaidItems.plaidItemId, plaidItemId))
    .orderBy(sql`${plaidItems.status} = 'removed'`, desc(plaidItems.updatedAt))
    .limit(1)
  return row ?? null
}
