import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import * as repository from '../../server/modules/webhooks/repository.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { newWebhookEvent, startNewEventsStore } from '../helpers/new-webhook-events.ts'
import { eventually } from '../system/webhook-harness.ts'

/**
 * The one-statement store of new deliveries (ADR 0030) beside concurrent writers of the same body,
 * which only PostgreSQL has: the statement waits for the body's lock and then sees what the holder
 * committed, however old its own statement snapshot is.
 */
describe('storing new webhook events in one statement, concurrently (PostgreSQL)', () => {
  let database: DatabaseHandle
  let newEvents: Awaited<ReturnType<typeof startNewEventsStore>>

  beforeAll(async () => {
    database = await createTestDatabase()
    if (database.kind !== 'postgres') throw new Error('this file runs in the component-postgres project')
    newEvents = await startNewEventsStore(database, {
      retryLimit: 2,
      retryDelaySeconds: 1,
      expireSeconds: 60,
    })
  })
  afterAll(async () => {
    await newEvents?.stop()
    await database?.close()
  })

  const newEvent = (dedupeKey?: string) => newWebhookEvent(new Date(), dedupeKey)
  const store = (events: repository.NewWebhookEvent[]) => newEvents.store(events)

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
