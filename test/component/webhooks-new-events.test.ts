import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { DAY_MS, newWebhookEvent as newEvent, startNewEventsStore } from '../helpers/new-webhook-events.ts'

/**
 * The one-statement store of new webhook deliveries (ADR 0030), on the repository: events and their
 * jobs together or not at all, pg-boss's own jobs, and a refusal that stores nothing when a body was
 * received before. Concurrent statements and transactions: webhooks-new-events.pg.test.ts.
 */
describe('storing new webhook events in one statement', () => {
  let database: DatabaseHandle
  let newEvents: Awaited<ReturnType<typeof startNewEventsStore>>

  beforeAll(async () => {
    database = await createTestDatabase()
    newEvents = await startNewEventsStore(database, {
      retryLimit: 4,
      retryDelaySeconds: 3,
      expireSeconds: 90,
    })
  })
  afterAll(async () => {
    await newEvents?.stop()
    await database?.close()
  })

  async function stored(ids: string[]) {
    const { rows } = await database.executeSql(
      `select e.id::text as id, e.xmin::text as event_tx, j.xmin::text as job_tx, j.state, j.retry_limit,
              j.retry_delay, j.expire_seconds, j.data
       from webhook_events e left join pgboss.job j on j.name = 'plaid-webhook' and j.data->>'eventId' = e.id::text
       where e.id = any($1::uuid[]) order by e.received_at, e.id`,
      [ids],
    )
    return rows as Array<{
      id: string
      event_tx: string
      job_tx: string | null
      state: string
      retry_limit: number
      retry_delay: number
      expire_seconds: number
      data: unknown
    }>
  }

  async function jobCount(): Promise<number> {
    const { rows } = await database.executeSql(
      "select count(*)::int as count from pgboss.job where name = 'plaid-webhook'",
    )
    return (rows[0] as { count: number }).count
  }

  it('stores every event with one job of its own, all in one transaction, as pg-boss makes jobs', async () => {
    const now = new Date()
    const events = [newEvent(now), newEvent(now), newEvent(new Date(now.getTime() + 1))]
    expect(await newEvents.store(events)).toBe(true)

    const rows = await stored(events.map((event) => event.id))
    expect(rows.map((row) => row.id).sort()).toEqual(events.map((event) => event.id).sort())
    expect(new Set(rows.map((row) => row.event_tx)).size).toBe(1)
    for (const row of rows) {
      expect(row.job_tx).toBe(row.event_tx)
      expect(row.data).toEqual({ eventId: row.id })
      // The queue's own options, as a job made by enqueueMany gets them.
      expect(row).toMatchObject({ state: 'created', retry_limit: 4, retry_delay: 3, expire_seconds: 90 })
    }
    const { rows: columns } = await database.executeSql(
      'select raw_body, delivery_count, state, workspace_id from webhook_events where id = $1::uuid',
      [events[0]?.id],
    )
    expect(columns[0]).toEqual({
      raw_body: events[0]?.rawBody,
      delivery_count: 1,
      state: 'queued',
      workspace_id: null,
    })
  })

  it('stores nothing, neither events nor jobs, when one body was received since the window began', async () => {
    const earlier = new Date(Date.now() - DAY_MS)
    const first = newEvent(earlier)
    expect(await newEvents.store([first], { since: new Date(earlier.getTime() - 2 * DAY_MS) })).toBe(true)
    const jobsBefore = await jobCount()

    const now = new Date()
    const batch = [newEvent(now), newEvent(now, first.dedupeKey), newEvent(now)]
    expect(await newEvents.store(batch)).toBe(false)
    expect(await stored(batch.map((event) => event.id))).toEqual([])
    expect(await jobCount()).toBe(jobsBefore)

    // A delivery received before the window began is another event.
    expect(await newEvents.store(batch, { since: new Date(earlier.getTime() + 1) })).toBe(true)
    expect(await stored(batch.map((event) => event.id))).toHaveLength(3)
    expect(await jobCount()).toBe(jobsBefore + 3)
  })

  it('fails, storing nothing, when a job is not created with its event', async () => {
    // pg-boss's insert skips conflicting rows; an event must never be left without its job.
    const now = new Date()
    const events = [newEvent(now), newEvent(now)]
    await expect(
      newEvents.store(events, { since: new Date(now.getTime() - DAY_MS), jobsFor: events.slice(0, 1) }),
    ).rejects.toThrow(/2 webhook events but 1 jobs/)
    expect(await stored(events.map((event) => event.id))).toEqual([])
  })
})
