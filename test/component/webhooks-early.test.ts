import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertItem } from '../../server/modules/plaid/repository.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'
import { eventually } from '../system/webhook-harness.ts'

type Json = Record<string, unknown>

const WAIT_SECONDS = 2
const FIRST_RETRY_SECONDS = 0.5

/**
 * Plaid can send an Item's first webhook before the exchange that stores the Item has committed. Such
 * an event is re-checked with growing delays for WEBHOOK_ITEM_WAIT_SECONDS (small here) and processed
 * once its Item exists; only an Item that never appears makes it an orphan, after the wait.
 */
describe('webhooks that arrive before their Item', () => {
  let sandbox: SandboxWithSigningKey
  let t: TestApp

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
    t = await buildTestApp({
      env: {
        PLAID_EMULATOR_URL: sandbox.url,
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
        WEBHOOK_ITEM_WAIT_SECONDS: String(WAIT_SECONDS),
        WEBHOOK_ITEM_WAIT_FIRST_RETRY_SECONDS: String(FIRST_RETRY_SECONDS),
      },
    })
  })
  afterAll(async () => {
    await t?.close()
    await sandbox?.close()
  })

  async function deliver(itemId: string): Promise<string> {
    const signed = await sandbox.sign({
      webhook_type: 'ITEM',
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
      item_id: itemId,
      error: null,
    })
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks/plaid',
      headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
      payload: signed.body,
    })
    expect(response.statusCode, response.body).toBe(200)
    return response.json().event_id
  }

  async function eventRow(id: string) {
    const { rows } = await t.database.executeSql(
      `select state, outcome, attempts, last_error, workspace_id, received_at, processed_at,
              (select count(*)::int from pgboss.job where name = 'plaid-webhook' and data->>'eventId' = $1::uuid::text) as jobs
         from webhook_events where id = $1::uuid`,
      [id],
    )
    return rows[0] as Json
  }

  /** The Item row the exchange would have written (no Plaid call is needed for this webhook code). */
  async function insertTheItem(plaidItemId: string): Promise<void> {
    const { rows } = await t.database.executeSql('select id from users where email = $1', [DEMO.signer])
    await insertItem(t.database.db, {
      id: randomUUID(),
      owner: { kind: 'member', workspaceId: t.workspaceId, userId: (rows[0] as { id: string }).id },
      environment: 'emulator',
      plaidItemId,
      institutionId: 'ins_109508',
      institutionName: 'First Platypus Bank',
      webhookUrl: null,
      consentExpiresAt: null,
      // NEW_ACCOUNTS_AVAILABLE needs no Plaid call, so the token is never decrypted here.
      accessTokenCiphertext: 'unused-ciphertext',
      accessTokenKeyId: 'test2',
    })
  }

  it('processes a webhook received before its Item was stored, once the Item exists', async () => {
    const plaidItemId = `itemEarly${randomUUID().replaceAll('-', '')}`
    const eventId = await deliver(plaidItemId)
    expect(await eventRow(eventId)).toMatchObject({ workspace_id: null })

    // Its first processing finds no Item: it waits instead of becoming an orphan.
    const waiting = await eventually(async () => {
      const row = await eventRow(eventId)
      return row.state === 'retrying' ? row : undefined
    }, 'event waiting for its Item')
    expect(waiting).toMatchObject({ attempts: 0, last_error: expect.stringContaining('not known yet') })

    // The exchange commits.
    await insertTheItem(plaidItemId)
    const done = await eventually(async () => {
      const row = await eventRow(eventId)
      return row.state !== 'queued' && row.state !== 'retrying' ? row : undefined
    }, 'early event processed')
    expect(done).toMatchObject({
      state: 'processed',
      outcome: 'new_accounts_flagged',
      attempts: 1,
      last_error: null,
      // Attributed to the Item's workspace once the Item was known.
      workspace_id: t.workspaceId,
    })
    const { rows } = await t.database.executeSql(
      'select has_new_accounts, last_webhook_code from plaid_items where plaid_item_id = $1',
      [plaidItemId],
    )
    expect(rows[0]).toEqual({ has_new_accounts: true, last_webhook_code: 'NEW_ACCOUNTS_AVAILABLE' })

    // So its workspace's admin sees it.
    const admin = await t.signIn(DEMO.admin)
    const listed = await t.app.inject({
      method: 'GET',
      url: '/api/admin/webhooks',
      headers: { cookie: admin },
    })
    expect(listed.json().events.map((event: Json) => event.id)).toContain(eventId)
  })

  it('declares a webhook orphaned only after the wait, with a bounded number of re-checks', async () => {
    const eventId = await deliver(`itemNever${randomUUID().replaceAll('-', '')}`)
    const orphaned = await eventually(async () => {
      const row = await eventRow(eventId)
      return row.state === 'orphaned' ? row : undefined
    }, 'orphaned after the wait')
    expect(orphaned).toMatchObject({ outcome: 'unknown_item', attempts: 1, workspace_id: null })
    const waitedMs =
      new Date(orphaned.processed_at as string).getTime() - new Date(orphaned.received_at as string).getTime()
    expect(waitedMs).toBeGreaterThanOrEqual(WAIT_SECONDS * 1000)
    // First job, then re-checks after 0.5 s, 0.5 s and 1 s (the delay grows, capped by the window).
    expect(orphaned.jobs).toBeGreaterThanOrEqual(3)
    expect(orphaned.jobs).toBeLessThanOrEqual(6)
  })

  it('orphans at once a webhook that names no Item (there is nothing to wait for)', async () => {
    const signed = await sandbox.sign({ webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE' })
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks/plaid',
      headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
      payload: signed.body,
    })
    const eventId = response.json().event_id as string
    const orphaned = await eventually(async () => {
      const row = await eventRow(eventId)
      return row.state === 'orphaned' ? row : undefined
    }, 'orphaned at once')
    expect(orphaned.jobs).toBe(1)
  })
})
