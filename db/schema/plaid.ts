import { sql } from 'drizzle-orm'
import {
  bigserial,
  boolean,
  check,
  index,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, type PlaidEnvironment, users, workspaces } from './foundation.ts'
// Only referenced lazily (inside `references`), so the import cycle with signing.ts is harmless.
import { signers } from './signing.ts'

export const ITEM_STATUSES = [
  'good',
  'login_required',
  'pending_expiration',
  'pending_disconnect',
  'revoked',
  'removed',
] as const
export type ItemStatus = (typeof ITEM_STATUSES)[number]

/**
 * A bank connection (Plaid Item). The access token is stored only as AES-256-GCM ciphertext bound
 * to this row's id; it is set to null once the Item is revoked or removed. An Item belongs to one
 * principal inside its workspace: a member (`user_id`) or a signer (`signer_id`), never both.
 */
export const plaidItems = pgTable(
  'plaid_items',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    signerId: uuid('signer_id').references(() => signers.id, { onDelete: 'cascade' }),
    environment: text('environment').$type<PlaidEnvironment>().notNull(),
    plaidItemId: text('plaid_item_id').notNull(),
    institutionId: text('institution_id'),
    institutionName: text('institution_name'),
    status: text('status').$type<ItemStatus>().notNull(),
    /** Plaid said new accounts can be shared (NEW_ACCOUNTS_AVAILABLE): offer update mode. */
    hasNewAccounts: boolean('has_new_accounts').notNull().default(false),
    errorCode: text('error_code'),
    consentExpiresAt: timestamp('consent_expires_at', { withTimezone: true }),
    webhookUrl: text('webhook_url'),
    lastWebhookCode: text('last_webhook_code'),
    accessTokenCiphertext: text('access_token_ciphertext'),
    accessTokenKeyId: text('access_token_key_id'),
    linkedAt: timestamp('linked_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (table) => [
    check(
      'plaid_items_status_check',
      sql`${table.status} in ('good', 'login_required', 'pending_expiration', 'pending_disconnect', 'revoked', 'removed')`,
    ),
    check(
      'plaid_items_token_pair_check',
      sql`(${table.accessTokenCiphertext} is null) = (${table.accessTokenKeyId} is null)`,
    ),
    // Tokens never cross environments, and one Plaid Item is stored once.
    uniqueIndex('plaid_items_environment_item_key').on(table.environment, table.plaidItemId),
    // Webhooks name an item_id without its environment: the owner look-up (plaid_item_owner).
    index('plaid_items_plaid_item_idx').on(table.plaidItemId),
    check('plaid_items_owner_check', sql`(${table.userId} is null) <> (${table.signerId} is null)`),
    // At most one live connection per principal and environment; also the status hot path's indexes.
    uniqueIndex('plaid_items_one_live_per_member_key')
      .on(table.workspaceId, table.userId, table.environment)
      .where(sql`${table.userId} is not null and ${table.status} <> 'removed'`),
    uniqueIndex('plaid_items_one_live_per_signer_key')
      .on(table.signerId, table.environment)
      .where(sql`${table.signerId} is not null and ${table.status} <> 'removed'`),
  ],
)

/** Accounts of an Item: display data and verification status only, never account numbers. */
export const plaidAccounts = pgTable(
  'plaid_accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    itemId: uuid('item_id')
      .notNull()
      .references(() => plaidItems.id, { onDelete: 'cascade' }),
    plaidAccountId: text('plaid_account_id').notNull(),
    name: text('name').notNull(),
    officialName: text('official_name'),
    mask: text('mask'),
    type: text('type').notNull(),
    subtype: text('subtype'),
    verificationStatus: text('verification_status'),
    isRevoked: boolean('is_revoked').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('plaid_accounts_item_account_key').on(table.itemId, table.plaidAccountId)],
)

/** What Plaid Link reported from the browser (onEvent / onExit), kept for support. */
export const linkEvents = pgTable(
  'link_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    signerId: uuid('signer_id').references(() => signers.id, { onDelete: 'cascade' }),
    environment: text('environment').$type<PlaidEnvironment>().notNull(),
    kind: text('kind').$type<'event' | 'exit'>().notNull(),
    eventName: text('event_name'),
    viewName: text('view_name'),
    linkSessionId: text('link_session_id'),
    requestId: text('request_id'),
    errorType: text('error_type'),
    errorCode: text('error_code'),
    institutionId: text('institution_id'),
    exitStatus: text('exit_status'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('link_events_session_idx').on(table.linkSessionId),
    index('link_events_user_idx').on(table.userId, table.receivedAt),
    index('link_events_signer_idx').on(table.signerId, table.receivedAt),
    check('link_events_owner_check', sql`(${table.userId} is null) <> (${table.signerId} is null)`),
  ],
)

/**
 * The link token a principal has in flight, kept server-side (encrypted like access tokens) so that
 * `/oauth-return` can re-open Link with it after a bank's OAuth redirect, without the token ever
 * travelling in a URL. One per principal; short-lived; deleted when the exchange succeeds.
 */
export const plaidLinkResumes = pgTable(
  'plaid_link_resumes',
  {
    id: uuid('id').primaryKey(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    signerId: uuid('signer_id').references(() => signers.id, { onDelete: 'cascade' }),
    environment: text('environment').$type<PlaidEnvironment>().notNull(),
    mode: text('mode').$type<'create' | 'update'>().notNull(),
    linkTokenCiphertext: text('link_token_ciphertext').notNull(),
    linkTokenKeyId: text('link_token_key_id').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    check('plaid_link_resumes_owner_check', sql`(${table.userId} is null) <> (${table.signerId} is null)`),
    check('plaid_link_resumes_mode_check', sql`${table.mode} in ('create', 'update')`),
    uniqueIndex('plaid_link_resumes_member_key')
      .on(table.workspaceId, table.userId)
      .where(sql`${table.userId} is not null`),
    uniqueIndex('plaid_link_resumes_signer_key').on(table.signerId).where(sql`${table.signerId} is not null`),
  ],
)
