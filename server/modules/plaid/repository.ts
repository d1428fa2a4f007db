import { and, asc, desc, eq, gt, inArray, isNotNull, lt, ne, notInArray, sql } from 'drizzle-orm'
import type { Database, Queryable } from '../../../db/client.ts'
import {
  type ItemStatus,
  linkEvents,
  type PlaidEnvironment,
  plaidAccounts,
  plaidItems,
  plaidLinkResumes,
  workspacePlaidSettings,
} from '../../../db/schema.ts'
import type { PrincipalRef } from '../auth/service.ts'
import type { AccountSummary } from './gateway.ts'

/**
 * Safeclose's rows about bank Items (plaid_items, plaid_accounts, Link events, link tokens kept for an
 * OAuth return): first what a principal's linking does, then what Plaid's notices change.
 */

export type StoredItem = {
  id: string
  workspaceId: string
  userId: string | null
  signerId: string | null
  environment: PlaidEnvironment
  plaidItemId: string
  institutionId: string | null
  institutionName: string | null
  status: ItemStatus
  hasNewAccounts: boolean
  accessTokenCiphertext: string | null
  accessTokenKeyId: string | null
  linkedAt: Date
  updatedAt: Date
}

export type StatusAccount = {
  account_id: string
  name: string
  mask: string | null
  type: string
  subtype: string | null
  /** Plaid's verification_status: null for instant Auth; micro-deposit states otherwise (ADR 0018). */
  verification_status: string | null
}

export type StatusRow = {
  environment: PlaidEnvironment
  item: null | {
    plaidItemId: string
    institutionId: string | null
    institutionName: string | null
    status: ItemStatus
    hasNewAccounts: boolean
    consentExpiresAt: Date | null
    linkedAt: Date
    updatedAt: Date
    accounts: StatusAccount[]
  }
}

/** What every read of an Item selects: which Item it is, its state, and its sealed access token. */
const itemIdentityColumns = {
  id: plaidItems.id,
  workspaceId: plaidItems.workspaceId,
  environment: plaidItems.environment,
  plaidItemId: plaidItems.plaidItemId,
  status: plaidItems.status,
  hasNewAccounts: plaidItems.hasNewAccounts,
  accessTokenCiphertext: plaidItems.accessTokenCiphertext,
  accessTokenKeyId: plaidItems.accessTokenKeyId,
}

/** An Item as its owner's routes read it. */
const itemColumns = {
  ...itemIdentityColumns,
  userId: plaidItems.userId,
  signerId: plaidItems.signerId,
  institutionId: plaidItems.institutionId,
  institutionName: plaidItems.institutionName,
  linkedAt: plaidItems.linkedAt,
  updatedAt: plaidItems.updatedAt,
}

/** The owner columns of a principal's Items: a member's user id or a signer's record id. */
function ownerColumns(owner: PrincipalRef): { userId: string | null; signerId: string | null } {
  return owner.kind === 'member'
    ? { userId: owner.userId, signerId: null }
    : { userId: null, signerId: owner.signerId }
}

/** Rows of this principal (Items, link tokens in flight): always inside its workspace, then its own column. */
function isOwnedBy(
  owner: PrincipalRef,
  table: typeof plaidItems | typeof plaidLinkResumes | typeof linkEvents = plaidItems,
) {
  return and(
    eq(table.workspaceId, owner.workspaceId),
    owner.kind === 'member' ? eq(table.userId, owner.userId) : eq(table.signerId, owner.signerId),
  )
}

/** The principal's live (not removed) Item in one environment, if any. */
export async function findLiveItem(
  db: Queryable,
  owner: PrincipalRef,
  environment: PlaidEnvironment,
): Promise<StoredItem | null> {
  const [row] = await db
    .select(itemColumns)
    .from(plaidItems)
    .where(and(isOwnedBy(owner), eq(plaidItems.environment, environment), ne(plaidItems.status, 'removed')))
    .limit(1)
  return row ?? null
}

/**
 * The status hot path in one statement: the workspace's active environment (or the default), the
 * principal's live Item there and its accounts, through the partial unique index of the principal's
 * kind. Prepared once per database and kind (PostgreSQL keeps its plan) and written as scalar
 * subqueries, which are cheaper to plan than a CTE with a join; on the embedded database planning
 * dominated the cost.
 */
export async function findStatus(
  db: Database,
  input: { owner: PrincipalRef; defaultEnvironment: PlaidEnvironment },
): Promise<StatusRow> {
  let statements = statusStatements.get(db)
  if (!statements) {
    statements = { member: prepareStatusLookup(db, 'member'), signer: prepareStatusLookup(db, 'signer') }
    statusStatements.set(db, statements)
  }
  const { owner } = input
  const [row] = await statements[owner.kind].execute({
    workspaceId: owner.workspaceId,
    ownerId: owner.kind === 'member' ? owner.userId : owner.signerId,
    defaultEnvironment: input.defaultEnvironment,
  })
  const environment = row?.environment as PlaidEnvironment
  const item = row?.item ? parseJson<StatusItemJson>(row.item) : null
  if (!item) return { environment, item: null }
  return {
    environment,
    item: {
      plaidItemId: item.plaid_item_id,
      institutionId: item.institution_id,
      institutionName: item.institution_name,
      status: item.status,
      hasNewAccounts: item.has_new_accounts,
      consentExpiresAt: item.consent_expires_at ? new Date(item.consent_expires_at) : null,
      linkedAt: new Date(item.linked_at),
      updatedAt: new Date(item.updated_at),
      accounts: item.accounts,
    },
  }
}

type StatusItemJson = {
  plaid_item_id: string
  institution_id: string | null
  institution_name: string | null
  status: ItemStatus
  has_new_accounts: boolean
  consent_expires_at: string | null
  linked_at: string
  updated_at: string
  accounts: StatusAccount[]
}

type StatusStatement = ReturnType<typeof prepareStatusLookup>
const statusStatements = new WeakMap<Database, Record<PrincipalRef['kind'], StatusStatement>>()

function prepareStatusLookup(db: Database, kind: PrincipalRef['kind']) {
  const ownerColumn = kind === 'member' ? sql`item.user_id` : sql`item.signer_id`
  const activeEnvironment = sql`coalesce(
    (select ${workspacePlaidSettings.environment} from ${workspacePlaidSettings}
      where ${workspacePlaidSettings.workspaceId} = ${sql.placeholder('workspaceId')}),
    ${sql.placeholder('defaultEnvironment')}::text)`
  return db
    .select({
      environment: sql<string>`active.environment`,
      item: sql<unknown>`(
        select json_build_object(
          'plaid_item_id', item.plaid_item_id, 'institution_id', item.institution_id,
          'institution_name', item.institution_name, 'status', item.status,
          'has_new_accounts', item.has_new_accounts, 'consent_expires_at', item.consent_expires_at,
          'linked_at', item.linked_at, 'updated_at', item.updated_at,
          'accounts', coalesce((
            select json_agg(json_build_object(
              'account_id', account.plaid_account_id, 'name', account.name, 'mask', account.mask,
              'type', account.type, 'subtype', account.subtype,
              'verification_status', account.verification_status) order by account.name, account.plaid_account_id)
            from plaid_accounts account
            where account.item_id = item.id and not account.is_revoked), '[]'::json))
        from plaid_items item
        where item.workspace_id = ${sql.placeholder('workspaceId')}::uuid
          and ${ownerColumn} = ${sql.placeholder('ownerId')}::uuid
          and item.environment = active.environment and item.status <> 'removed')`,
    })
    .from(sql`(select ${activeEnvironment} as environment) as active`)
    .prepare(`plaid_status_${kind}`)
}

/** Serializes linking for one principal and environment, so a relink and its replacement cannot interleave. */
export async function lockPrincipalEnvironment(
  tx: Queryable,
  owner: PrincipalRef,
  environment: PlaidEnvironment,
): Promise<void> {
  const ownerKey =
    owner.kind === 'member' ? `${owner.workspaceId}:user:${owner.userId}` : `signer:${owner.signerId}`
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`plaid-link:${ownerKey}:${environment}`}, 0))`,
  )
}

export async function insertItem(
  tx: Queryable,
  item: {
    id: string
    owner: PrincipalRef
    environment: PlaidEnvironment
    plaidItemId: string
    institutionId: string | null
    institutionName: string | null
    webhookUrl: string | null
    consentExpiresAt: Date | null
    accessTokenCiphertext: string
    accessTokenKeyId: string
  },
): Promise<void> {
  const { owner, ...columns } = item
  await tx
    .insert(plaidItems)
    .values({ ...columns, workspaceId: owner.workspaceId, ...ownerColumns(owner), status: 'good' })
}

/** Update-mode relink of the same Item: fresh token and a clean state. */
export async function refreshItem(
  tx: Queryable,
  owner: PrincipalRef,
  id: string,
  changes: {
    institutionName: string | null
    accessTokenCiphertext: string
    accessTokenKeyId: string
    consentExpiresAt: Date | null
  },
): Promise<void> {
  await tx
    .update(plaidItems)
    .set({ ...changes, status: 'good', errorCode: null, hasNewAccounts: false, updatedAt: new Date() })
    .where(and(eq(plaidItems.id, id), isOwnedBy(owner)))
}

export async function markItemRemoved(tx: Queryable, owner: PrincipalRef, id: string): Promise<void> {
  const now = new Date()
  await tx
    .update(plaidItems)
    .set({
      status: 'removed',
      accessTokenCiphertext: null,
      accessTokenKeyId: null,
      removedAt: now,
      updatedAt: now,
    })
    .where(and(eq(plaidItems.id, id), isOwnedBy(owner)))
}

/**
 * Retires an Item replaced by a newer link: out of every view at once, while its token is kept only
 * until Plaid has removed the Item too (see clearRetiredAccessToken).
 */
export async function markItemReplaced(tx: Queryable, owner: PrincipalRef, id: string): Promise<void> {
  const now = new Date()
  await tx
    .update(plaidItems)
    .set({ status: 'removed', removedAt: now, updatedAt: now })
    .where(and(eq(plaidItems.id, id), isOwnedBy(owner)))
}

/** A removed Item whose token is still stored, because Plaid has not confirmed its removal yet. */
export async function findRetiredItemWithToken(db: Queryable, id: string): Promise<StoredItem | null> {
  const [row] = await db
    .select(itemColumns)
    .from(plaidItems)
    .where(
      and(
        eq(plaidItems.id, id),
        eq(plaidItems.status, 'removed'),
        isNotNull(plaidItems.accessTokenCiphertext),
      ),
    )
  return row ?? null
}

export async function clearRetiredAccessToken(db: Queryable, id: string): Promise<void> {
  await db
    .update(plaidItems)
    .set({ accessTokenCiphertext: null, accessTokenKeyId: null, updatedAt: new Date() })
    .where(and(eq(plaidItems.id, id), eq(plaidItems.status, 'removed')))
}

export async function replaceAccounts(
  tx: Queryable,
  itemId: string,
  accounts: Array<{
    plaidAccountId: string
    name: string
    officialName: string | null
    mask: string | null
    type: string
    subtype: string | null
    verificationStatus: string | null
  }>,
): Promise<void> {
  await tx.delete(plaidAccounts).where(eq(plaidAccounts.itemId, itemId))
  if (accounts.length > 0)
    await tx.insert(plaidAccounts).values(accounts.map((account) => ({ ...account, itemId })))
}

export async function insertLinkEvents(
  db: Queryable,
  owner: PrincipalRef,
  events: Array<Omit<typeof linkEvents.$inferInsert, 'workspaceId' | 'userId' | 'signerId'>>,
): Promise<void> {
  const ownedBy = { workspaceId: owner.workspaceId, ...ownerColumns(owner) }
  if (events.length > 0) await db.insert(linkEvents).values(events.map((event) => ({ ...event, ...ownedBy })))
}

/** The principal's latest Link callbacks in one environment (newest last), for the lab's timeline. */
export async function listLinkEvents(
  db: Queryable,
  owner: PrincipalRef,
  environment: PlaidEnvironment,
  limit: number,
) {
  const rows = await db
    .select()
    .from(linkEvents)
    .where(and(isOwnedBy(owner, linkEvents), eq(linkEvents.environment, environment)))
    .orderBy(desc(linkEvents.id))
    .limit(limit)
  return rows.reverse()
}

/** Every stored access token, for key rotation. */
export async function listEncryptedAccessTokens(
  db: Queryable,
): Promise<Array<{ id: string; accessTokenCiphertext: string; accessTokenKeyId: string }>> {
  const rows = await db
    .select({
      id: plaidItems.id,
      accessTokenCiphertext: plaidItems.accessTokenCiphertext,
      accessTokenKeyId: plaidItems.accessTokenKeyId,
    })
    .from(plaidItems)
    .where(isNotNull(plaidItems.accessTokenCiphertext))
  return rows as Array<{ id: string; accessTokenCiphertext: string; accessTokenKeyId: string }>
}

export async function replaceAccessTokenCiphertext(
  db: Queryable,
  id: string,
  value: { accessTokenCiphertext: string; accessTokenKeyId: string },
): Promise<void> {
  await db.update(plaidItems).set(value).where(eq(plaidItems.id, id))
}

export type LinkResume = {
  id: string
  environment: PlaidEnvironment
  mode: 'create' | 'update'
  linkTokenCiphertext: string
  linkTokenKeyId: string
  expiresAt: Date
}

/**
 * Remembers the principal's link token in flight, replacing any earlier one. One statement against
 * the principal's unique index, so two link tokens requested at once (a double click) both succeed
 * and the later write wins, rather than one failing on the index.
 */
export async function saveLinkResume(db: Queryable, owner: PrincipalRef, resume: LinkResume): Promise<void> {
  await db
    .insert(plaidLinkResumes)
    .values({ ...resume, workspaceId: owner.workspaceId, ...ownerColumns(owner) })
    .onConflictDoUpdate(
      owner.kind === 'member'
        ? {
            target: [plaidLinkResumes.workspaceId, plaidLinkResumes.userId],
            targetWhere: sql`${plaidLinkResumes.userId} is not null`,
            set: resume,
          }
        : {
            target: plaidLinkResumes.signerId,
            targetWhere: sql`${plaidLinkResumes.signerId} is not null`,
            set: resume,
          },
    )
}

/** The principal's link token in flight, unless it has expired. */
export async function findLinkResume(
  db: Queryable,
  owner: PrincipalRef,
  now: Date,
): Promise<LinkResume | null> {
  const [row] = await db
    .select({
      id: plaidLinkResumes.id,
      environment: plaidLinkResumes.environment,
      mode: plaidLinkResumes.mode,
      linkTokenCiphertext: plaidLinkResumes.linkTokenCiphertext,
      linkTokenKeyId: plaidLinkResumes.linkTokenKeyId,
      expiresAt: plaidLinkResumes.expiresAt,
    })
    .from(plaidLinkResumes)
    .where(and(isOwnedBy(owner, plaidLinkResumes), gt(plaidLinkResumes.expiresAt, now)))
    .limit(1)
  return row ?? null
}

export async function deleteLinkResume(db: Queryable, owner: PrincipalRef): Promise<void> {
  await db.delete(plaidLinkResumes).where(isOwnedBy(owner, plaidLinkResumes))
}

export async function deleteExpiredLinkResumes(db: Queryable, now: Date): Promise<number> {
  const deleted = await db
    .delete(plaidLinkResumes)
    .where(lt(plaidLinkResumes.expiresAt, now))
    .returning({ id: plaidLinkResumes.id })
  return deleted.length
}

// node-postgres parses json columns; PGlite may hand back text for json built in a query.
function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

// ---------------------------------------------------------------- what Plaid's notices change

/**
 * The Item reads and writes that Plaid's notifications (webhooks and reconciliation) cause, by Item
 * rather than by principal. Other modules reach them through item-state-service.ts.
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

/** An Item as webhooks and jobs track it (TrackedItem). */
const trackedItemColumns = {
  ...itemIdentityColumns,
  errorCode: plaidItems.errorCode,
  consentExpiresAt: plaidItems.consentExpiresAt,
  webhookUrl: plaidItems.webhookUrl,
}

export async function findItem(
  db: Queryable,
  environment: PlaidEnvironment,
  plaidItemId: string,
): Promise<TrackedItem | null> {
  const [row] = await db
    .select(trackedItemColumns)
    .from(plaidItems)
    .where(and(eq(plaidItems.environment, environment), eq(plaidItems.plaidItemId, plaidItemId)))
  return row ?? null
}

export async function lockItem(tx: Queryable, id: string): Promise<TrackedItem | null> {
  const [row] = await tx
    .select(trackedItemColumns)
    .from(plaidItems)
    .where(eq(plaidItems.id, id))
    .for('update')
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
    .select(trackedItemColumns)
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

/**
 * findItemOwner for several item_ids in one query (the webhook receiver groups concurrent look-ups,
 * ADR 0029): the same row per item_id as findItemOwner would choose. Unknown item_ids are absent.
 */
export async function findItemOwners(
  db: Queryable,
  plaidItemIds: readonly string[],
): Promise<Map<string, { environment: PlaidEnvironment; workspaceId: string }>> {
  const distinct = [...new Set(plaidItemIds)]
  if (distinct.length === 0) return new Map()
  if (distinct.length === 1) {
    const id = distinct[0] as string
    const owner = await findItemOwner(db, id)
    return new Map(owner ? [[id, owner]] : [])
  }
  const rows = await db
    .selectDistinctOn([plaidItems.plaidItemId], {
      plaidItemId: plaidItems.plaidItemId,
      environment: plaidItems.environment,
      workspaceId: plaidItems.workspaceId,
    })
    .from(plaidItems)
    .where(inArray(plaidItems.plaidItemId, distinct))
    .orderBy(plaidItems.plaidItemId, sql`${plaidItems.status} = 'removed'`, desc(plaidItems.updatedAt))
  return new Map(rows.map(({ plaidItemId, ...owner }) => [plaidItemId, owner]))
}
