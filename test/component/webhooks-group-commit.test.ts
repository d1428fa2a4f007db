import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'
import { createTestDatabase } from '../helpers/database.ts'
import {
  type SandboxWithSigningKey,
  type SignedDelivery,
  startSandboxWithSigningKey,
} from '../helpers/webhook-signing.ts'
import { eventually } from '../system/webhook-harness.ts'

type Receipt = { status: number; eventId: string | null; duplicate: boolean | null }

/** The batch size of these tests: a full queue starts its batch, so batches form deterministically. */
const BATCH = 8

/**
 * Group commit of webhook acknowledgements (ADR 0020), observed in the database: triggers record the
 * transaction id that inserted each event and each of its jobs, so the tests see which deliveries
 * shared a transaction, that every job committed with its event, and what a failed batch left.
 */
describe('webhook acknowledgements committed in groups', () => {
  let sandbox: SandboxWithSigningKey

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
  })
  afterAll(async () => {
    await sandbox?.close()
  })

  function sign(itemId: string): Promise<SignedDelivery> {
    return sandbox.sign({
      webhook_type: 'ITEM',
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
      item_id: itemId,
      error: null,
    })
  }

  async function deliver(t: TestApp, signed: SignedDelivery): Promise<Receipt> {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks/plaid',
      headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
      payload: signed.body,
    })
    if (response.statusCode !== 200) return { status: response.statusCode, eventId: null, duplicate: null }
    const body = response.json() as { event_id: string; duplicate: boolean }
    return { status: 200, eventId: body.event_id, duplicate: body.duplicate }
  }

  /** Records, per inserted event and per inserted plaid-webhook job, the inserting transaction. */
  async function recordTransactions(database: DatabaseHandle): Promise<void> {
    for (const statement of [
      'create table test_inserted (kind text not null, event_id text not null, tx bigint not null)',
      `create function test_record_event() returns trigger language plpgsql as $$
         begin insert into test_inserted values ('event', new.id::text, txid_current()); return new; end $$`,
      `create function test_record_job() returns trigger language plpgsql as $$
         begin
           if new.name = 'plaid-webhook' then
             insert into test_inserted values ('job', new.data->>'eventId', txid_current());
           end if;
           return new;
         end $$`,
      'create trigger test_record_event after insert on webhook_events for each row execute function test_record_event()',
      'create trigger test_record_job after insert on pgboss.job for each row execute function test_record_job()',
    ]) {
      await database.executeSql(statement)
    }
  }

  async function inserted(database: DatabaseHandle, kind: 'event' | 'job'): Promise<Map<string, string[]>> {
    const { rows } = await database.executeSql(
      'select event_id, tx::text as tx from test_inserted where kind = $1',
      [kind],
    )
    const byEvent = new Map<string, string[]>()
    for (const row of rows as Array<{ event_id: string; tx: string }>) {
      byEvent.set(row.event_id, [...(byEvent.get(row.event_id) ?? []), row.tx])
    }
    return byEvent
  }

  /** The transaction that stored each event, after checking it stored exactly one job with it. */
  async function transactionsOf(database: DatabaseHandle, eventIds: string[]): Promise<string[]> {
    const events = await inserted(database, 'event')
    const jobs = await inserted(database, 'job')
    return eventIds.map((id) => {
      expect(events.get(id), `event ${id} inserted once`).toHaveLength(1)
      // Exactly one processing job, committed in the event's own transaction.
      expect(jobs.get(id), `job of event ${id}`).toEqual(events.get(id))
      return events.get(id)?.[0] as string
    })
  }

  async function deliveryCount(database: DatabaseHandle, eventId: string): Promise<number> {
    const { rows } = await database.executeSql(
      'select delivery_count from webhook_events where id = $1::uuid',
      [eventId],
    )
    return (rows[0] as { delivery_count: number }).delivery_count
  }

  describe('batches formed while a commit is in flight', () => {
    let t: TestApp
    let gate: ReturnType<typeof gateTransactions>

    beforeAll(async () => {
      gate = gateTransactions(await createTestDatabase())
      t = await buildTestApp({
        database: gate.database,
        env: {
          PLAID_EMULATOR_URL: sandbox.url,
          WEBHOOK_WORKERS_IN_PROCESS: 'false',
          PLAID_RECONCILE_CRON: 'off',
          WEBHOOK_GROUP_COMMIT_MAX_BATCH: String(BATCH),
          // Longer than any test: a batch here starts when its queue is full or the commit before it ends.
          WEBHOOK_GROUP_COMMIT_WINDOW_MS: '10000',
        },
      })
      await recordTransactions(t.database)
    })
    afterAll(async () => {
      await t?.close()
    })

    /**
     * Holds transactions at the gate while `first` is committed alone and then `batch` (BATCH
     * deliveries) queues behind it and starts as one full batch; then lets both through.
     */
    async function sendBehindACommit(first: SignedDelivery, batch: SignedDelivery[]) {
      expect(batch).toHaveLength(BATCH)
      const arrivedBefore = gate.arrived()
      gate.shut()
      const firstReceipt = deliver(t, first)
      await eventually(async () => (gate.arrived() === arrivedBefore + 1 ? true : undefined), 'first commit')
      const receipts = batch.map((signed) => deliver(t, signed))
      await eventually(async () => (gate.arrived() === arrivedBefore + 2 ? true : undefined), 'full batch')
      gate.open()
      return { first: await firstReceipt, batch: await Promise.all(receipts) }
    }

    it('stores concurrent deliveries in one transaction, each with its job, deduplicating inside and across batches', async () => {
      const first = await sign(`itemGroupA${randomUUID().replaceAll('-', '')}`)
      const twice = await sign(`itemGroupD${randomUUID().replaceAll('-', '')}`)
      const distinct = await Promise.all(
        Array.from({ length: BATCH - 3 }, () => sign(`itemGroupG${randomUUID().replaceAll('-', '')}`)),
      )
      // The batch: distinct deliveries, one body twice, and a redelivery of the first (in flight).
      const { first: firstReceipt, batch } = await sendBehindACommit(first, [
        ...distinct,
        twice,
        twice,
        first,
      ])
      const distinctReceipts = batch.slice(0, distinct.length)
      const twiceReceipts = batch.slice(distinct.length, distinct.length + 2)
      const redelivery = batch.at(-1) as Receipt
      expect([firstReceipt, ...batch].map((receipt) => receipt.status)).toEqual(Array(BATCH + 1).fill(200))

      // Each body is one event, whichever of its deliveries committed first.
      expect(redelivery.eventId).toBe(firstReceipt.eventId)
      expect([firstReceipt.duplicate, redelivery.duplicate].sort()).toEqual([false, true])
      expect(twiceReceipts[0]?.eventId).toBe(twiceReceipts[1]?.eventId)
      expect(twiceReceipts.map((receipt) => receipt.duplicate).sort()).toEqual([false, true])
      expect(new Set(distinctReceipts.map((receipt) => receipt.eventId)).size).toBe(distinct.length)
      expect(distinctReceipts.every((receipt) => receipt.duplicate === false)).toBe(true)
      expect(await deliveryCount(t.database, firstReceipt.eventId as string)).toBe(2)
      expect(await deliveryCount(t.database, twiceReceipts[0]?.eventId as string)).toBe(2)

      // The batch's new events and their jobs share one transaction.
      const batchEvents = [...distinctReceipts, twiceReceipts[0] as Receipt].map(
        (receipt) => receipt.eventId as string,
      )
      expect(new Set(await transactionsOf(t.database, batchEvents)).size).toBe(1)
      await transactionsOf(t.database, [firstReceipt.eventId as string])
      const { rows } = await t.database.executeSql(
        "select count(*)::int as events, (select count(*)::int from pgboss.job where name = 'plaid-webhook') as jobs from webhook_events",
      )
      expect(rows[0]).toEqual({ events: distinct.length + 2, jobs: distinct.length + 2 })
    })

    it('stores the others of a batch with a failing row one by one, and fails only that delivery', async () => {
      await t.database.executeSql(
        `create function test_refuse_poison() returns trigger language plpgsql as $$
           begin
             if new.plaid_item_id like 'itemPoison%' then raise exception 'refused by the test'; end if;
             return new;
           end $$`,
      )
      await t.database.executeSql(
        'create trigger test_refuse_poison before insert on webhook_events for each row execute function test_refuse_poison()',
      )
      const first = await sign(`itemFallbackA${randomUUID().replaceAll('-', '')}`)
      const poison = await sign(`itemPoison${randomUUID().replaceAll('-', '')}`)
      const twice = await sign(`itemFallbackD${randomUUID().replaceAll('-', '')}`)
      const good = await Promise.all(
        Array.from({ length: BATCH - 3 }, () => sign(`itemFallbackG${randomUUID().replaceAll('-', '')}`)),
      )
      const { first: firstReceipt, batch } = await sendBehindACommit(first, [
        ...good.slice(0, 2),
        poison,
        twice,
        ...good.slice(2),
        twice,
      ])
      const poisonReceipt = batch[2] as Receipt
      const twiceReceipts = [batch[3], batch.at(-1)] as Receipt[]
      const goodReceipts = [...batch.slice(0, 2), ...batch.slice(4, -1)]

      expect(firstReceipt.status).toBe(200)
      // The bad row's delivery fails (Plaid retries it); it left no event and no job.
      expect(poisonReceipt.status).toBe(500)
      const { rows } = await t.database.executeSql(
        "select count(*)::int as count from webhook_events where plaid_item_id like 'itemPoison%'",
      )
      expect(rows[0]).toEqual({ count: 0 })
      // Every other delivery of the batch was stored and acknowledged, duplicates still deduplicated.
      expect([...goodReceipts, ...twiceReceipts].map((receipt) => receipt.status)).toEqual(
        Array(BATCH - 1).fill(200),
      )
      expect(twiceReceipts[0]?.eventId).toBe(twiceReceipts[1]?.eventId)
      expect(twiceReceipts.map((receipt) => receipt.duplicate).sort()).toEqual([false, true])
      expect(await deliveryCount(t.database, twiceReceipts[0]?.eventId as string)).toBe(2)
      // ... each in a transaction of its own, with its job: the batch's transaction was rolled back.
      const stored = [...goodReceipts, twiceReceipts[0] as Receipt].map(
        (receipt) => receipt.eventId as string,
      )
      expect(new Set(await transactionsOf(t.database, stored)).size).toBe(stored.length)
      const events = await inserted(t.database, 'event')
      expect(events.size).toBe(await storedEventCount(t.database))
    })
  })

  describe('under real concurrency, with the workers on', () => {
    let t: TestApp

    beforeAll(async () => {
      t = await buildTestApp({
        env: {
          PLAID_EMULATOR_URL: sandbox.url,
          JOB_POLLING_INTERVAL_SECONDS: '0.5',
          PLAID_RECONCILE_CRON: 'off',
          // These Items are nobody's: orphaned at their first processing.
          WEBHOOK_ITEM_WAIT_SECONDS: '0',
        },
      })
      await recordTransactions(t.database)
    })
    afterAll(async () => {
      await t?.close()
    })

    it('acknowledges concurrent deliveries in fewer transactions and processes each exactly once', async () => {
      const count = 40
      const signed = await Promise.all(
        Array.from({ length: count }, () => sign(`itemConcurrent${randomUUID().replaceAll('-', '')}`)),
      )
      const receipts = await Promise.all(signed.map((delivery) => deliver(t, delivery)))
      expect(receipts.map((receipt) => receipt.status)).toEqual(Array(count).fill(200))
      const eventIds = receipts.map((receipt) => receipt.eventId as string)
      expect(new Set(eventIds).size).toBe(count)
      const transactions = await transactionsOf(t.database, eventIds)
      expect(new Set(transactions).size).toBeLessThan(count)

      const rows = await eventually(async () => {
        const { rows } = await t.database.executeSql(
          `select e.state, e.attempts, e.outcome,
                  (select count(*)::int from pgboss.job j where j.name = 'plaid-webhook' and j.data->>'eventId' = e.id::text) as jobs,
                  (select count(*)::int from pgboss.job j where j.name = 'plaid-webhook' and j.data->>'eventId' = e.id::text and j.state = 'completed') as completed
             from webhook_events e where e.id = any($1::uuid[])`,
          [eventIds],
        )
        const done = rows as Array<{ state: string; completed: number }>
        return done.length === count && done.every((row) => row.state !== 'queued' && row.completed === 1)
          ? done
          : undefined
      }, 'every event processed')
      // Processed exactly once: one finishing transaction (attempts 1) and one completed job each.
      expect(new Set(rows.map((row) => JSON.stringify(row)))).toEqual(
        new Set([
          JSON.stringify({ state: 'orphaned', attempts: 1, outcome: 'unknown_item', jobs: 1, completed: 1 }),
        ]),
      )
    })

    it('groups deliveries that arrive together when their key needs no look-up before verifying', async () => {
      // The key has verified genuine webhooks by now (the test above), so these are verified before
      // anything is looked up (ADR 0030) and nothing before verification leaves the event loop's turn:
      // only the turn taken before verifying (ADR 0029) lets the others announce themselves first.
      expect(await deliver(t, await sign(`itemWarm${randomUUID().replaceAll('-', '')}`))).toMatchObject({
        status: 200,
      })
      const count = 8
      const signed = await Promise.all(
        Array.from({ length: count }, () => sign(`itemTogether${randomUUID().replaceAll('-', '')}`)),
      )
      const receipts = await Promise.all(signed.map((delivery) => deliver(t, delivery)))
      expect(receipts.map((receipt) => receipt.status)).toEqual(Array(count).fill(200))
      const transactions = await transactionsOf(
        t.database,
        receipts.map((receipt) => receipt.eventId as string),
      )
      expect(new Set(transactions).size).toBe(1)
    })
  })
})

async function storedEventCount(database: DatabaseHandle): Promise<number> {
  const { rows } = await database.executeSql('select count(*)::int as count from webhook_events')
  return (rows[0] as { count: number }).count
}

/**
 * The database with a gate in front of its commits: while shut, a transaction, or a named statement
 * (the receiver's one-statement store, ADR 0030), waits before it begins (and is counted as arrived).
 * Other queries pass. Only the webhook receiver opens transactions or names statements in these tests
 * (no sign-ins, workers off).
 */
function gateTransactions(handle: DatabaseHandle) {
  let gate: Promise<void> | null = null
  let release: () => void = () => {}
  let arrived = 0
  async function pass(): Promise<void> {
    if (gate) {
      arrived += 1
      await gate
    }
  }
  const db = new Proxy(handle.db, {
    get(target, property, receiver) {
      if (property !== 'transaction') return Reflect.get(target, property, receiver)
      return async (...args: Parameters<typeof target.transaction>) => {
        await pass()
        return target.transaction(...args)
      }
    },
  })
  // A batch of new deliveries commits as one named statement instead (ADR 0030).
  const executeSql: DatabaseHandle['executeSql'] = async (text, values, name) => {
    if (name) await pass()
    return handle.executeSql(text, values, name)
  }
  return {
    database: { ...handle, db, executeSql } as DatabaseHandle,
    arrived: () => arrived,
    shut() {
      gate = new Promise((resolve) => {
        release = resolve
      })
    },
    open() {
      gate = null
      release()
    },
  }
}
