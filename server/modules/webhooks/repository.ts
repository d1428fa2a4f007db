import { and, desc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm'
import type { Queryable, SqlExecutor } from '../../../db/client.ts'
import { type WebhookEventState, webhookEvents, webhookRejections } from '../../../db/schema.ts'

export type StoredWebhookEvent = typeof webhookEvents.$inferSelect

/**
 * Serializes receipts of one body (across instances), so "is this a redelivery?" and "store it" are
 * one decision.
 */
export async function lockDedupeKey(tx: Queryable, dedupeKey: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`webhook:${dedupeKey}`}, 0))`)
}

/** A delivery of the same body received since `since`: Plaid's retry window, plus margin. */
export async function findRecentDelivery(
  tx: Queryable,
  dedupeKey: string,
  since: Date,
): Promise<{ id: string; state: WebhookEventState } | null> {
  const [row] = await tx
    .select({ id: webhookEvents.id, state: webhookEvents.state })
    .from(webhookEvents)
    .where(and(eq(webhookEvents.dedupeKey, dedupeKey), gt(webhookEvents.receivedAt, since)))
    .orderBy(desc(webhookEvents.receivedAt))
    .limit(1)
  return row ?? null
}

/**
 * The batch form of lockDedupeKey, for a group commit: one statement, the locks taken in ascending
 * lock-id order so that two batches sharing keys queue behind each other instead of deadlocking.
 */
export async function lockDedupeKeys(tx: Queryable, dedupeKeys: string[]): Promise<void> {
  if (dedupeKeys.length === 0) return
  if (dedupeKeys.length === 1) return lockDedupeKey(tx, dedupeKeys[0] as string)
  const names = sql.join(
    dedupeKeys.map((key) => sql`${`webhook:${key}`}`),
    sql`, `,
  )
  await tx.execute(sql`
    select count(pg_advisory_xact_lock(lock_id)) from (
      select distinct hashtextextended(name, 0) as lock_id from unnest(array[${names}]::text[]) as name
      order by lock_id
    ) as ordered`)
}

/** findRecentDelivery for several bodies at once: the latest delivery of each, received since `since`. */
export async function findRecentDeliveries(
  tx: Queryable,
  dedupeKeys: string[],
  since: Date,
): Promise<Map<string, { id: string; state: WebhookEventState; receivedAt: Date }>> {
  if (dedupeKeys.length === 0) return new Map()
  const rows = await tx
    .selectDistinctOn([webhookEvents.dedupeKey], {
      dedupeKey: webhookEvents.dedupeKey,
      id: webhookEvents.id,
      state: webhookEvents.state,
      receivedAt: webhookEvents.receivedAt,
    })
    .from(webhookEvents)
    .where(and(inArray(webhookEvents.dedupeKey, dedupeKeys), gt(webhookEvents.receivedAt, since)))
    .orderBy(webhookEvents.dedupeKey, desc(webhookEvents.receivedAt))
  return new Map(rows.map(({ dedupeKey, ...row }) => [dedupeKey, row]))
}

export async function countRedelivery(tx: Queryable, id: string, at: Date): Promise<void> {
  await tx
    .update(webhookEvents)
    .set({ deliveryCount: sql`${webhookEvents.deliveryCount} + 1`, lastDeliveredAt: at })
    .where(eq(webhookEvents.id, id))
}

export async function insertEvent(tx: Queryable, event: typeof webhookEvents.$inferInsert): Promise<void> {
  await tx.insert(webhookEvents).values(event)
}

/** Further deliveries of a stored event: `count` more, the last at `at`. */
export async function countRedeliveries(tx: Queryable, id: string, count: number, at: Date): Promise<void> {
  await tx
    .update(webhookEvents)
    .set({
      deliveryCount: sql`${webhookEvents.deliveryCount} + ${count}`,
      lastDeliveredAt: sql`greatest(${webhookEvents.lastDeliveredAt}, ${at.toISOString()}::timestamptz)`,
    })
    .where(eq(webhookEvents.id, id))
}

/** A new event as the acknowledgement stores it; the other columns keep their defaults. */
export type NewWebhookEvent = {
  id: string
  dedupeKey: string
  environment: string
  workspaceId: string | null
  webhookType: string
  webhookCode: string
  plaidItemId: string | null
  rawBody: string
  keyId: string
  issuedAt: Date
  receivedAt: Date
  deliveryCount: number
  lastDeliveredAt: Date
  updatedAt: Date
}

/**
 * The new events of a group commit in one statement with one parameter, whatever their number: the
 * rows travel as a JSON array and `json_to_recordset` types them, so the SQL text is the same for
 * every batch and nothing is built per row and column (ADR 0029).
 */
export async function insertEvents(tx: Queryable, events: NewWebhookEvent[]): Promise<void> {
  if (events.length === 0) return
  await tx.execute(sql`${sql.raw(INSERT_EVENTS_FROM)}${eventRows(events)}${sql.raw(EVENT_RECORD)}`)
}

const EVENT_COLUMNS = `id, dedupe_key, environment, workspace_id, webhook_type, webhook_code,
  plaid_item_id, raw_body, key_id, issued_at, received_at, delivery_count, last_delivered_at, updated_at`
const INSERT_EVENTS_FROM = `insert into webhook_events (${EVENT_COLUMNS})
  select ${EVENT_COLUMNS} from json_to_recordset(`
const EVENT_RECORD = `::json) as row(id uuid, dedupe_key text, environment text,
  workspace_id uuid, webhook_type text, webhook_code text, plaid_item_id text, raw_body text,
  key_id text, issued_at timestamptz, received_at timestamptz, delivery_count integer,
  last_delivered_at timestamptz, updated_at timestamptz)`

function eventRows(events: NewWebhookEvent[]): string {
  return JSON.stringify(
    events.map((event) => ({
      id: event.id,
      dedupe_key: event.dedupeKey,
      environment: event.environment,
      workspace_id: event.workspaceId,
      webhook_type: event.webhookType,
      webhook_code: event.webhookCode,
      plaid_item_id: event.plaidItemId,
      raw_body: event.rawBody,
      key_id: event.keyId,
      issued_at: event.issuedAt.toISOString(),
      received_at: event.receivedAt.toISOString(),
      delivery_count: event.deliveryCount,
      last_delivered_at: event.lastDeliveredAt.toISOString(),
      updated_at: event.updatedAt.toISOString(),
    })),
  )
}

/**
 * SQLSTATEs of webhook_claim_new_bodies (migration 0015): a body of the batch was received before; a
 * delivery was verified for another environment than its Item's.
 */
const DELIVERED_BEFORE = 'SCW01'
const ENVIRONMENT_MISMATCH = 'SCW02'

/**
 * The single statement that stores new events and their jobs (ADR 0030). It claims the bodies (their
 * advisory locks, then no earlier delivery since `$3`, and each delivery's environment, `$6`, that of
 * its Item `$5` or the default `$7`), inserts the events (`$1`), each filed under its Item's workspace,
 * and runs pg-boss's own job insert (`jobsInsert`, reading `$4`) as data-modifying CTEs, and fails
 * unless every event got its job. A single statement is its own transaction: all of it, or none.
 */
export function newEventsStatement(jobsInsert: string): string {
  const values = EVENT_COLUMNS.split(',').map((column) =>
    column.trim() === 'workspace_id' ? 'owner.workspace_id' : `row.${column.trim()}`,
  )
  return `with claimed as (
  select webhook_claim_new_bodies($2::text[], $3::timestamptz, $5::text[], $6::text[], $7::text) as is_claimed
), stored as (
  insert into webhook_events (${EVENT_COLUMNS})
  select ${values.join(', ')}
  from json_to_recordset($1${EVENT_RECORD}
  left join lateral plaid_item_owner(row.plaid_item_id) as owner on true
  cross join claimed where claimed.is_claimed
  returning 1
), jobs as (
  ${jobsInsert}
)
select webhook_expect_jobs((select count(*) from stored), (select count(*) from jobs)) as stored`
}

/**
 * Runs newEventsStatement for `events`, all of distinct bodies. False, with nothing stored, when a
 * body was received since `since` or an event's environment is not its Item's (nor, for an Item we
 * do not hold, `defaultEnvironment`): the caller then decides each delivery in a transaction.
 */
export async function storeNewEvents(
  execute: SqlExecutor,
  statement: { name: string; text: string },
  batch: { events: NewWebhookEvent[]; since: Date; defaultEnvironment: string; jobs: string },
): Promise<boolean> {
  const { events } = batch
  try {
    await execute(
      statement.text,
      [
        eventRows(events),
        events.map((event) => event.dedupeKey),
        batch.since.toISOString(),
        batch.jobs,
        events.map((event) => event.plaidItemId),
        events.map((event) => event.environment),
        batch.defaultEnvironment,
      ],
      statement.name,
    )
    return true
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === DELIVERED_BEFORE || code === ENVIRONMENT_MISMATCH) return false
    throw error
  }
}

export async function countRejection(db: Queryable, reason: string, at: Date): Promise<void> {
  const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000)
  await db
    .insert(webhookRejections)
    .values({ minute, reason, count: 1 })
    .onConflictDoUpdate({
      target: [webhookRejections.minute, webhookRejections.reason],
      set: { count: sql`${webhookRejections.count} + 1` },
    })
}

export async function deleteRejectionsBefore(db: Queryable, before: Date): Promise<void> {
  await db.delete(webhookRejections).where(sql`${webhookRejections.minute} < ${before}`)
}

/** The event row, locked for the processing transaction so two workers cannot both apply it. */
export async function lockEvent(tx: Queryable, id: string): Promise<StoredWebhookEvent | null> {
  const [row] = await tx.select().from(webhookEvents).where(eq(webhookEvents.id, id)).for('update')
  return row ?? null
}

export async function findEvent(db: Queryable, id: string): Promise<StoredWebhookEvent | null> {
  const [row] = await db.select().from(webhookEvents).where(eq(webhookEvents.id, id))
  return row ?? null
}

export async function finishEvent(
  tx: Queryable,
  id: string,
  result: {
    state: Extract<WebhookEventState, 'processed' | 'ignored' | 'orphaned'>
    outcome: string
    at: Date
  },
): Promise<void> {
  await tx
    .update(webhookEvents)
    .set({
      state: result.state,
      outcome: result.outcome,
      attempts: sql`${webhookEvents.attempts} + 1`,
      lastError: null,
      processedAt: result.at,
      updatedAt: result.at,
    })
    .where(eq(webhookEvents.id, id))
}

/**
 * The event names an Item we do not know yet: it waits (state `retrying`, attempts unchanged, the
 * reason in last_error) for the re-check queued with it. False when the event is no longer waiting
 * to be processed.
 */
export async function markWaitingForItem(
  tx: Queryable,
  id: string,
  note: string,
  at: Date,
): Promise<boolean> {
  const rows = await tx
    .update(webhookEvents)
    .set({ state: 'retrying', lastError: note, updatedAt: at })
    .where(
      and(
        eq(webhookEvents.id, id),
        or(eq(webhookEvents.state, 'queued'), eq(webhookEvents.state, 'retrying')),
      ),
    )
    .returning({ id: webhookEvents.id })
  return rows.length > 0
}

/** Attributes an event to the workspace of the Item it turned out to be about (an early webhook). */
export async function attributeEvent(tx: Queryable, id: string, workspaceId: string): Promise<void> {
  await tx
    .update(webhookEvents)
    .set({ workspaceId })
    .where(and(eq(webhookEvents.id, id), isNull(webhookEvents.workspaceId)))
}

/** A failed attempt: `retrying` while attempts remain, `dead` after the last one. */
export async function recordFailedAttempt(
  db: Queryable,
  id: string,
  failure: { error: string; isFinal: boolean; at: Date },
): Promise<void> {
  await db
    .update(webhookEvents)
    .set({
      state: failure.isFinal ? 'dead' : 'retrying',
      attempts: sql`${webhookEvents.attempts} + 1`,
      lastError: failure.error,
      updatedAt: failure.at,
    })
    .where(
      and(
        eq(webhookEvents.id, id),
        or(
          eq(webhookEvents.state, 'queued'),
          eq(webhookEvents.state, 'retrying'),
          eq(webhookEvents.state, 'dead'),
        ),
      ),
    )
}

/** Puts a dead event back in the queue state; returns false when it was not dead (already re-driven). */
export async function reviveDeadEvent(tx: Queryable, id: string, at: Date): Promise<boolean> {
  const rows = await tx
    .update(webhookEvents)
    .set({ state: 'queued', updatedAt: at })
    .where(and(eq(webhookEvents.id, id), eq(webhookEvents.state, 'dead')))
    .returning({ id: webhookEvents.id })
  return rows.length > 0
}

export type EventListFilter = { workspaceId: string; limit: number; state?: WebhookEventState }

/**
 * Recent events attributed to a workspace, newest first. Events with no workspace (no Item of ours,
 * or not yet) belong to no tenant and are never listed: they name other parties' Items.
 */
export async function listRecentEvents(db: Queryable, filter: EventListFilter) {
  return db
    .select({
      id: webhookEvents.id,
      webhookType: webhookEvents.webhookType,
      webhookCode: webhookEvents.webhookCode,
      plaidItemId: webhookEvents.plaidItemId,
      environment: webhookEvents.environment,
      keyId: webhookEvents.keyId,
      issuedAt: webhookEvents.issuedAt,
      receivedAt: webhookEvents.receivedAt,
      deliveryCount: webhookEvents.deliveryCount,
      state: webhookEvents.state,
      attempts: webhookEvents.attempts,
      lastError: webhookEvents.lastError,
      outcome: webhookEvents.outcome,
      processedAt: webhookEvents.processedAt,
    })
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.workspaceId, filter.workspaceId),
        filter.state ? eq(webhookEvents.state, filter.state) : undefined,
      ),
    )
    .orderBy(desc(webhookEvents.receivedAt), desc(webhookEvents.id))
    .limit(filter.limit)
}

export async function countEventsByState(
  db: Queryable,
  workspaceId: string,
): Promise<Array<{ state: WebhookEventState; count: number }>> {
  const rows = await db
    .select({ state: webhookEvents.state, count: sql<number>`count(*)::int` })
    .from(webhookEvents)
    .where(eq(webhookEvents.workspaceId, workspaceId))
    .groupBy(webhookEvents.state)
  return rows.map((row) => ({ state: row.state, count: Number(row.count) }))
}

/** When an Item last got one of these notices (by receipt), if ever. */
export async function findLatestNoticeAt(
  db: Queryable,
  item: { environment: string; plaidItemId: string },
  webhookCodes: string[],
): Promise<Date | null> {
  const [row] = await db
    .select({
      receivedAt: sql<Date | null>`max(${webhookEvents.receivedAt})`.mapWith((value) =>
        value ? new Date(value) : null,
      ),
    })
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.environment, item.environment as StoredWebhookEvent['environment']),
        eq(webhookEvents.plaidItemId, item.plaidItemId),
        inArray(webhookEvents.webhookCode, webhookCodes),
      ),
    )
  return row?.receivedAt ?? null
}
