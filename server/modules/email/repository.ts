import { and, desc, eq } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import { type OutboxStatus, outboxMessages } from '../../../db/schema.ts'

export type OutboxRow = {
  id: string
  recipient: string
  subject: string
  textBody: string | null
  status: OutboxStatus
  createdAt: Date
  sentAt: Date | null
}

export async function insertMessages(
  db: Queryable,
  messages: Array<{
    workspaceId: string
    kind: string
    recipient: string
    subject: string
    textBody: string
    htmlBody: string
    status: OutboxStatus
  }>,
): Promise<string[]> {
  if (messages.length === 0) return []
  const rows = await db.insert(outboxMessages).values(messages).returning({ id: outboxMessages.id })
  return rows.map((row) => row.id)
}

/** Delivered: the body (which carried a link that signs someone in) is dropped. */
export async function markSent(db: Queryable, ids: string[], sentAt: Date): Promise<void> {
  for (const id of ids) {
    await db
      .update(outboxMessages)
      .set({ status: 'sent', sentAt, textBody: null, htmlBody: null, lastError: null })
      .where(eq(outboxMessages.id, id))
  }
}

export async function markFailed(db: Queryable, ids: string[], error: string): Promise<void> {
  for (const id of ids) {
    await db
      .update(outboxMessages)
      .set({ status: 'failed', lastError: error })
      .where(and(eq(outboxMessages.id, id), eq(outboxMessages.status, 'sending')))
  }
}

/** A workspace's messages, newest first. */
export async function listMessages(db: Queryable, workspaceId: string, limit: number): Promise<OutboxRow[]> {
  return db
    .select({
      id: outboxMessages.id,
      recipient: outboxMessages.recipient,
      subject: outboxMessages.subject,
      textBody: outboxMessages.textBody,
      status: outboxMessages.status,
      createdAt: outboxMessages.createdAt,
      sentAt: outboxMessages.sentAt,
    })
    .from(outboxMessages)
    .where(eq(outboxMessages.workspaceId, workspaceId))
    .orderBy(desc(outboxMessages.createdAt), desc(outboxMessages.id))
    .limit(limit)
}
