import { randomBytes, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import { createJobQueue, type JobQueue, QUEUES } from '../../server/jobs/queue.ts'
import * as repository from '../../server/modules/webhooks/repository.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { eventually } from '../system/webhook-harness.ts'

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * The one-statement store of new deliveries (ADR 0030) beside concurrent writers of the same body,
 * which only PostgreSQL has: the statement waits for the body's lock and then sees what the holder
 * committed, however old its own statement snapshot is.
 */
describe('storing new webhook events in one statement, concurrently (PostgreSQL)', () => {
  let database: DatabaseHandle
  let queue: JobQueue
  let statement: { name: string; text: string }
  let jobsParameter: (data: ReadonlyArray<{ eventId: string }>) => string

  beforeAll(async () => {
    database = await createTestDatabase()
    if (database.kind !== 'postgres') throw new Error('this file runs in the component-postgres project')
    queue = createJobQueue(database, {
      retryLimit: 2,
      retryDelaySeconds: 1,
      expireSeconds: 60,
      pollingIntervalSeconds: 0.5,
    })
    await queue.start()
    const insert = await queue.foldedInsert(QUEUES.plaidWebhook, 4)
    statement = { name: 'test_store_new_events', text: repository.newEventsStatement(insert.text) }
    jobsParameter = insert.jobsParameter
  })
  afterAll(async () => {
    await queue?.stop()
    await database?.close()
  })

  function newEvent(dedupeKey = randomBytes(32).toString('hex')) {
    const now = new Date()
    return {
      id: randomUUID(),
      dedupeKey,
      environment: 'sandbox',
      workspaceId: null,
      webhookType: 'ITEM',
      webhookCode: 'NEW_ACCOUNTS_AVAILABLE',
      plaidItemId: `item${randomUUID().replaceAll('-', '')}`,
      rawBody: `{"n":"${randomUUID()}"}`,
      keyId: 'kid-1',
      issuedAt: now,
      receivedAt: now,
      deliveryCount: 1,
      lastDeliveredAt: now,
      updatedAt: now,
    }
  }

  function store(events: Array<ReturnType<typeof newEvent>>) {
    return repository.storeNewEvents(database.executeSql, statement, {
      events,
      since: new Date(Date.now() - 2 * DAY_MS),
      defaultEnvironment: 'sandbox',
      jobs: jobsParameter(events.map((event) => ({ eventId: event.id }))),
    })
  }

  async function storedIds(dedupeKey: string): Promise<string[]> {
    const { rows } = await database.executeSql(
      'select id::text as id from webhook_events where dedupe_key = $1 order by received_at',
      [dedupeKey],
    )
    return (rows as Array<{ id: string }>).map((row) => row.id)
  }

  async function waitingForAdvisoryLock(): Promise<number> {
    const { rows } = await database.executeSql(
      `select count(*)::int as count from pg_locks where locktype = 'advisory' and not granted
         and database = (select oid from pg_database where datname = current_database())`,
    )
    return (rows[0] as { count: number }).count
  }

  it('waits for a transaction holding the body and then refuses, seeing what it committed', async () => {
    const held = newEvent()
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let isLocked: () => void = () => {}
    const locked = new Promise<void>((resolve) => {
      isLocked = resolve
    })
    // The transaction path of another delivery of the same body, paused between its insert and its commit.
    const transaction = database.db.transaction(async (tx) => {
      await repository.lockDedupeKeys(tx, [held.dedupeKey])
      await repository.insertEvents(tx, [held])
      isLocked()
      await released
    })
    await locked

    const redelivery = newEvent(held.dedupeKey)
    const outcome = store([newEvent(), redelivery])
    await eventually(
      async () => ((await waitingForAdvisoryLock()) > 0 ? true : undefined),
      'statement waiting',
    )
    release()
    await transaction

    expect(await outcome).toBe(false)
    expect(await storedIds(held.dedupeKey)).toEqual([held.id])
  })

  it('stores a body once when two statements carry it at the same time', async () => {
    for (let round = 0; round < 5; round++) {
      const shared = randomBytes(32).toString('hex')
      const outcomes = await Promise.all([
        store([newEvent(), newEvent(shared)]),
        store([newEvent(shared), newEvent()]),
      ])
      expect(outcomes.sort()).toEqual([false, true])
      expect(await storedIds(shared)).toHaveLength(1)
    }
  })
})
