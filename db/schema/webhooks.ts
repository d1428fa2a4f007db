import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import type { PlaidEnvironment } from './foundation.ts'
import { workspaces } from './foundation.ts'

export const WEBHOOK_EVENT_STATES = [
  'queued',
  'processed',
  'ignored',
  'orphaned',
  'retrying',
  'dead',
] as const
export type WebhookEventState = (typeof WEBHOOK_EVENT_STATES)[number]

/**
 * Every verified Plaid webhook, stored before its 200 is sent. The raw body is kept byte for byte
 * (it is what the signature covered); type, code and item are copied out for queries. Processing
 * state and attempts belong to the event, not to the job queue, so they survive queue cleanup and
 * an admin can see and re-drive what failed.
 */
export const webhookEvents = pgTable(
  'webhook_events',
  {
    id: uuid('id').primaryKey(),
    /** SHA-256 (hex) of the raw body: a redelivery of the same webhook has the same key. */
    dedupeKey: text('dedupe_key').notNull(),
    environment: text('environment').$type<PlaidEnvironment>().notNull(),
    /** The workspace of the Item when it was known at receipt; null for orphans. */
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    webhookType: text('webhook_type').notNull(),
    webhookCode: text('webhook_code').notNull(),
    plaidItemId: text('plaid_item_id'),
    rawBody: text('raw_body').notNull(),
    /** Verification facts: which key signed it and when Plaid issued the signature. */
    keyId: text('key_id').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    /** How many verified deliveries of this body arrived (Plaid retries and duplicates). */
    deliveryCount: integer('delivery_count').notNull().default(1),
    lastDeliveredAt: timestamp('last_delivered_at', { withTimezone: true }).notNull().defaultNow(),
    state: text('state').$type<WebhookEventState>().notNull().default('queued'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** What processing did, in a word or two (e.g. "status:login_required", "accounts_refreshed"). */
    outcome: text('outcome'),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check(
      'webhook_events_state_check',
      sql`${table.state} in ('queued', 'processed', 'ignored', 'orphaned', 'retrying', 'dead')`,
    ),
    index('webhook_events_dedupe_idx').on(table.dedupeKey, table.receivedAt),
    index('webhook_events_received_idx').on(table.receivedAt),
    index('webhook_events_item_idx').on(table.plaidItemId),
  ],
)

/**
 * Rejected deliveries counted per minute and reason. Counters rather than rows per request: a flood of
 * forged requests grows this table by at most one row per reason and minute.
 */
export const webhookRejections = pgTable(
  'webhook_rejections',
  {
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    reason: text('reason').notNull(),
    count: integer('count').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.minute, table.reason] })],
)
