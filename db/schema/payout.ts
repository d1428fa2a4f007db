import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { users, workspaces } from './foundation.ts'
import { signers, signingPackages } from './signing.ts'

/**
 * The Auth numbers (account, ACH routing, wire routing) of a signer's chosen payout account, from
 * Plaid's /auth/get when the account was chosen. The numbers are one AES-256-GCM ciphertext bound to
 * the signer id (purpose `signer_payout_numbers.numbers`); nothing else here is secret. Only the
 * manager reveal (after re-authentication) decrypts them.
 */
export const signerPayoutNumbers = pgTable('signer_payout_numbers', {
  signerId: uuid('signer_id')
    .primaryKey()
    .references(() => signers.id, { onDelete: 'cascade' }),
  plaidItemId: text('plaid_item_id').notNull(),
  plaidAccountId: text('plaid_account_id').notNull(),
  numbersCiphertext: text('numbers_ciphertext').notNull(),
  numbersKeyId: text('numbers_key_id').notNull(),
  /** Plaid's is_tokenized_account_number (Chase and others hand out a tokenized number); null when not given. */
  isTokenizedAccountNumber: boolean('is_tokenized_account_number'),
  accountMask: text('account_mask'),
  /** Last four digits of the ACH routing number, for the frozen instruction and the page. */
  routingMask: text('routing_mask'),
  holderNames: jsonb('holder_names').$type<string[]>().notNull().default([]),
  verificationMethod: text('verification_method').notNull(),
  fetchedAt: timestamp('fetched_at', { withTimezone: true }).notNull(),
})

/**
 * A signer's verified payout instruction, frozen when the package completed (also in the chain as
 * `payout.instruction_locked`). `observed_*` holds the numbers Plaid last reported for the account
 * (encrypted, purpose `payout_instructions.observed_numbers`), so an Auth DEFAULT_UPDATE raises one
 * alert per actual change, however often it is delivered.
 */
export const payoutInstructions = pgTable(
  'payout_instructions',
  {
    signerId: uuid('signer_id')
      .primaryKey()
      .references(() => signers.id, { onDelete: 'cascade' }),
    packageId: uuid('package_id')
      .notNull()
      .references(() => signingPackages.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    plaidItemId: text('plaid_item_id').notNull(),
    plaidAccountId: text('plaid_account_id').notNull(),
    instruction: jsonb('instruction').$type<Record<string, unknown>>().notNull(),
    observedCiphertext: text('observed_ciphertext'),
    observedKeyId: text('observed_key_id'),
    lockedAt: timestamp('locked_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('payout_instructions_item_idx').on(table.plaidItemId)],
)

export const PAYOUT_ALERT_REASONS = [
  'account_changed',
  'item_relinked',
  'item_removed',
  'permission_revoked',
  'account_revoked',
  'pending_disconnect',
  'pending_expiration',
  'login_required',
  'new_accounts_available',
  'numbers_changed',
] as const
export type PayoutAlertReason = (typeof PAYOUT_ALERT_REASONS)[number]

/**
 * A change to a locked payout instruction. `dedupe_key` names the change (a webhook event, a
 * reconciliation, a replacement), so a change raises exactly one alert. A resolution is a manager's
 * note; with the workspace's four-eyes policy it is first proposed, then confirmed by another manager.
 */
export const payoutAlerts = pgTable(
  'payout_alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    packageId: uuid('package_id')
      .notNull()
      .references(() => signingPackages.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    signerId: uuid('signer_id')
      .notNull()
      .references(() => signers.id, { onDelete: 'cascade' }),
    reason: text('reason').$type<PayoutAlertReason>().notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    raisedAt: timestamp('raised_at', { withTimezone: true }).notNull(),
    proposedBy: uuid('proposed_by').references(() => users.id, { onDelete: 'set null' }),
    proposedNote: text('proposed_note'),
    proposedAt: timestamp('proposed_at', { withTimezone: true }),
    resolvedBy: uuid('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    confirmedBy: uuid('confirmed_by').references(() => users.id, { onDelete: 'set null' }),
    note: text('note'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('payout_alerts_dedupe_key').on(table.signerId, table.dedupeKey),
    index('payout_alerts_package_idx').on(table.packageId, table.raisedAt),
    check('payout_alerts_resolution_check', sql`(${table.resolvedAt} is null) = (${table.note} is null)`),
  ],
)

/** Per-workspace payout policy. Absent row = one manager resolves an alert alone. */
export const workspacePayoutSettings = pgTable('workspace_payout_settings', {
  workspaceId: uuid('workspace_id')
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  requireSecondManager: boolean('require_second_manager').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
})
