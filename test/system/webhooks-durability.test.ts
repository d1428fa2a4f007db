import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createScratchDatabase, type ServerProcess, serverProcess, withClient } from './server-process.ts'
import { startSigningKeyServer } from './webhook-harness.ts'

const adminUrl = process.env.TEST_DATABASE_URL
// In CI these tests must run: a missing server database is a failure there, never a quiet pass.
if (!adminUrl && process.env.CI) {
  throw new Error('CI must set TEST_DATABASE_URL: the crash-safety and two-instance tests need PostgreSQL')
}
if (!adminUrl) {
  console.warn(
    '\n⚠ SKIPPED test/system/webhooks-durability.test.ts: set TEST_DATABASE_URL to a PostgreSQL server ' +
      '(e.g. postgres://safeclose@127.0.0.1:54330/postgres) to run the crash-safety and two-instance tests.\n',
  )
}

type Delivery = { itemId: string; accepted: Set<string>; attempts: number }

/**
 * Real `node server/main.ts` processes on one PostgreSQL database. A Plaid-like sender signs every
 * attempt afresh and retries until it gets a 200, as Plaid does; the tests then check that what was
 * acknowledged was stored and processed exactly once, through SIGKILLs and with two instances.
 */
describe.skipIf(!adminUrl)('webhook durability with real server processes', () => {
  let keys: Awaited<ReturnType<typeof startSigningKeyServer>>

  beforeAll(async () => {
    keys = await startSigningKeyServer()
  })
  afterAll(async () => {
    await keys?.close()
  })

  /** Sends every delivery until one attempt gets a 200, `concurrency` at a time, across `targets`. */
  async function sendAll(
    deliveries: Delivery[],
    targets: () => string[],
    options: { concurrency: number; onAccepted?: (acceptedSoFar: number) => Promise<void> },
  ): Promise<void> {
    let next = 0
    let acceptedCount = 0
    const deadline = Date.now() + 120_000
    async function lane(): Promise<void> {
      for (let index = next++; index < deliveries.length; index = next++) {
        const delivery = deliveries[index] as Delivery
        for (;;) {
          if (Date.now() > deadline) throw new Error('deliveries did not get through in time')
          delivery.attempts += 1
          const receipts = await Promise.all(targets().map((target) => post(target, delivery)))
          const ids = receipts.filter((id): id is string => id !== null)
          for (const id of ids) delivery.accepted.add(id)
          if (ids.length > 0) break
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        acceptedCount += 1
        await options.onAccepted?.(acceptedCount)
      }
    }
    await Promise.all(Array.from({ length: options.concurrency }, lane))
  }

  async function post(baseUrl: string, delivery: Delivery): Promise<string | null> {
    const signed = await keys.sign({
      webhook_type: 'ITEM',
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
      item_id: delivery.itemId,
      error: null,
    })
    try {
      const response = await fetch(`${baseUrl}/api/webhooks/plaid`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
        body: signed.body,
        signal: AbortSignal.timeout(10_000),
      })
      if (response.status !== 200) {
        await response.body?.cancel()
        return null
      }
      return ((await response.json()) as { event_id: string }).event_id
    } catch {
      return null // refused or reset while the server was down: Plaid would retry, so do we
    }
  }

  function newDeliveries(count: number): Delivery[] {
    return Array.from({ length: count }, () => ({
      itemId: randomBytes(18).toString('base64url').replace(/[-_]/g, 'x').slice(0, 37),
      accepted: new Set<string>(),
      attempts: 0,
    }))
  }

  async function waitUntilProcessed(databaseUrl: string, expected: number): Promise<void> {
    const deadline = Date.now() + 90_000
    for (;;) {
      const counts = await withClient(databaseUrl, async (client) => {
        const events = await client.query(
          "select count(*)::int as total, count(*) filter (where state in ('queued', 'retrying'))::int as pending from webhook_events",
        )
        const jobs = await client.query(
          "select count(*)::int as open from pgboss.job where name = 'plaid-webhook' and state <> 'completed'",
        )
        return {
          ...(events.rows[0] as { total: number; pending: number }),
          ...(jobs.rows[0] as { open: number }),
        }
      })
      if (counts.total >= expected && counts.pending === 0 && counts.open === 0) return
      if (Date.now() > deadline) throw new Error(`processing did not finish: ${JSON.stringify(counts)}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  async function expectEachProcessedOnce(databaseUrl: string, deliveries: Delivery[]): Promise<void> {
    const rows = await withClient(databaseUrl, async (client) => {
      const result = await client.query(
        'select id, plaid_item_id, state, attempts, outcome from webhook_events',
      )
      return result.rows as Array<{ id: string; plaid_item_id: string; state: string; attempts: number }>
    })
    // One stored event per webhook: nothing lost, nothing stored twice.
    expect(rows).toHaveLength(deliveries.length)
    const byItem = new Map(rows.map((row) => [row.plaid_item_id, row]))
    for (const delivery of deliveries) {
      const row = byItem.get(delivery.itemId)
      expect(row, `webhook for ${delivery.itemId} was acknowledged but not stored`).toBeDefined()
      // Every 200 this webhook got named the same stored event.
      expect([...delivery.accepted]).toEqual([row?.id])
    }
    // Processed exactly once: the finishing transaction ran once per event (a second run would see the
    // final state and stop; a failed one would have been counted as an attempt).
    expect(new Set(rows.map((row) => `${row.state}/${row.attempts}`))).toEqual(new Set(['orphaned/1']))
  }

  it('stores and processes every acknowledged webhook exactly once while the server is SIGKILLed twice', async () => {
    const database = await createScratchDatabase(adminUrl as string)
    const server = await serverProcess({ databaseUrl: database.url, plaidEmulatorUrl: keys.url })
    try {
      await server.start()
      const deliveries = newDeliveries(1_000)
      const kills: number[] = []
      let restarting: Promise<void> | null = null
      await sendAll(deliveries, () => [server.url], {
        concurrency: 16,
        async onAccepted(accepted) {
          if ((accepted === 300 || accepted === 650) && !restarting) {
            kills.push(accepted)
            restarting = (async () => {
              await server.kill('SIGKILL')
              await server.start()
              restarting = null
            })()
          }
        },
      })
      await waitUntilProcessed(database.url, deliveries.length)
      expect(kills).toEqual([300, 650])
      expect(deliveries.some((delivery) => delivery.attempts > 1)).toBe(true)
      await expectEachProcessedOnce(database.url, deliveries)
    } finally {
      await server.kill('SIGTERM')
      await database.drop()
    }
  }, 240_000)

  it('processes each event once with two server processes receiving the same deliveries', async () => {
    const database = await createScratchDatabase(adminUrl as string)
    const servers: ServerProcess[] = [
      await serverProcess({ databaseUrl: database.url, plaidEmulatorUrl: keys.url }),
      await serverProcess({ databaseUrl: database.url, plaidEmulatorUrl: keys.url }),
    ]
    try {
      await Promise.all(servers.map((server) => server.start()))
      const deliveries = newDeliveries(400)
      // Every webhook goes to both instances at the same moment: the worst case for deduplication.
      await sendAll(deliveries, () => servers.map((server) => server.url), { concurrency: 12 })
      await waitUntilProcessed(database.url, deliveries.length)
      await expectEachProcessedOnce(database.url, deliveries)
      const redeliveries = await withClient(database.url, (client) =>
        client.query('select count(*)::int as count from webhook_events where delivery_count = 2'),
      )
      expect((redeliveries.rows[0] as { count: number }).count).toBe(deliveries.length)
    } finally {
      await Promise.all(servers.map((server) => server.kill('SIGTERM')))
      await database.drop()
    }
  }, 240_000)
})
