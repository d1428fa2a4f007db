import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { createdAt, workspaces } from './foundation.ts'

/**
 * - `stored`: no SMTP server is configured; administrators read the message at /admin/outbox.
 * - `sending`: handed to the SMTP server, no answer yet.
 * - `sent`: the SMTP server took it; the body is dropped (it carried a link that signs someone in).
 * - `failed`: the SMTP server refused it or could not be reached; the body stays for administrators.
 */
export const OUTBOX_STATUSES = ['stored', 'sending', 'sent', 'failed'] as const
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number]

/** Every e-mail the app sends, per workspace: what it was, to whom, and whether it went out. */
export const outboxMessages = pgTable(
  'outbox_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    /** Plain text and HTML bodies; null once the message was delivered. */
    textBody: text('text_body'),
    htmlBody: text('html_body'),
    status: text('status').$type<OutboxStatus>().notNull(),
    lastError: text('last_error'),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (table) => [
    check('outbox_messages_status_check', sql`${table.status} in ('stored', 'sending', 'sent', 'failed')`),
    index('outbox_messages_workspace_idx').on(table.workspaceId, table.createdAt),
  ],
)
