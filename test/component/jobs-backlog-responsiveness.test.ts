import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'

/** Enough webhook jobs for the workers to take seconds over, on either database. */
const BACKLOG = 400

/**
 * A server restarted with a backlog of jobs answers requests while its workers work through it. On
 * the embedded database every query runs on the event loop's thread, and a worker whose batch comes
 * back full fetches the next at once: without a turn of the event loop between jobs, the backlog was
 * drained in one unbroken chain of promises, and the server accepted no connection until it was gone
 * (146 s for 25,000 webhook jobs in bench/webhooks.ts).
 */
describe('job workers draining a backlog', () => {
  let sandbox: SandboxWithSigningKey
  let restarted: TestApp | undefined

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
  })
  afterAll(async () => {
    await restarted?.close()
    await sandbox?.close()
  })

  const env = (workers: boolean) => ({
    PLAID_EMULATOR_URL: sandbox.url,
    JOB_WORKERS_IN_PROCESS: String(workers),
    JOB_POLLING_INTERVAL_SECONDS: '0.5',
    PLAID_RECONCILE_CRON: 'off',
    // These Items are nobody's: orphaned at their first processing, without a call to Plaid.
    WEBHOOK_ITEM_WAIT_SECONDS: '0',
  })

  async function queuedEvents(t: TestApp): Promise<number> {
    const { rows } = await t.database.executeSql(
      "select count(*)::int as count from webhook_events where state = 'queued'",
    )
    return (rows[0] as { count: number }).count
  }

  it('leaves the server answering while the workers work through it', async () => {
    const first = await buildTestApp({ env: env(false) })
    for (let start = 0; start < BACKLOG; start += 25) {
      const signed = await Promise.all(
        Array.from({ length: 25 }, () =>
          sandbox.sign({
            webhook_type: 'ITEM',
            webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
            item_id: `itemBacklog${randomUUID().replaceAll('-', '')}`,
            error: null,
          }),
        ),
      )
      const statuses = await Promise.all(
        signed.map(async (delivery) => {
          const response = await first.app.inject({
            method: 'POST',
            url: '/api/webhooks/plaid',
            headers: { 'content-type': 'application/json', 'plaid-verification': delivery.signature },
            payload: delivery.body,
          })
          return response.statusCode
        }),
      )
      expect(statuses).toEqual(Array(25).fill(200))
    }
    // The first server stops; the next one, on the same database, starts its workers on the backlog.
    await first.app.close()
    expect(await queuedEvents(first)).toBe(BACKLOG)

    restarted = await buildTestApp({ database: first.database, seedDemo: false, env: env(true) })
    await restarted.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = restarted.app.server.address() as AddressInfo
    const response = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(response.status).toBe(200)
    // Answered while most of the backlog was still waiting, not once it was gone.
    expect(await queuedEvents(restarted)).toBeGreaterThan(BACKLOG / 2)
  })
})
