import type { Products } from 'plaid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../helpers/build-app.ts'
import { createRecordingGateway } from '../helpers/plaid.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'
import { eventually } from '../system/webhook-harness.ts'

type Json = Record<string, unknown>

/**
 * Deliveries whose signature is genuine but whose content the sandbox (like Plaid's) never sends:
 * bodies that are not JSON or lack the fields every webhook has, and PENDING_EXPIRATION. They are signed
 * with the sandbox's own current key, which the server fetches from the sandbox as for any webhook.
 */
describe('Plaid webhooks with genuine signatures over unusual bodies', () => {
  let emulator: SandboxWithSigningKey
  let server: TestServer
  let recorded: ReturnType<typeof createRecordingGateway>
  let admin: string
  let signer: string

  beforeAll(async () => {
    emulator = await startSandboxWithSigningKey()
    recorded = createRecordingGateway(emulator.url)
    server = await startTestServer({
      env: {
        PLAID_EMULATOR_URL: emulator.url,
        WEBHOOK_RETRY_LIMIT: '1',
        WEBHOOK_RETRY_DELAY_SECONDS: '0',
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
      },
      plaidGateway: recorded.gateway,
    })
    admin = await server.signIn(DEMO.admin)
    signer = await server.signIn(DEMO.signer)
  })
  afterAll(async () => {
    await server?.close()
    await emulator?.close()
  })

  async function call(method: 'GET' | 'POST', url: string, cookie: string, payload?: Json) {
    return server.app.inject({ method, url, headers: { cookie }, ...(payload ? { payload } : {}) })
  }

  function deliver(body: string, signature: string) {
    return server.app.inject({
      method: 'POST',
      url: '/api/webhooks/plaid',
      headers: { 'content-type': 'application/json', 'plaid-verification': signature },
      payload: body,
    })
  }

  /** Stored events and their pg-boss jobs: a refused delivery must add to neither. */
  async function storedCounts(): Promise<{ events: number; jobs: number }> {
    const { rows } = await server.database.executeSql(
      "select (select count(*)::int from webhook_events) as events, (select count(*)::int from pgboss.job where name = 'plaid-webhook') as jobs",
    )
    return rows[0] as { events: number; jobs: number }
  }

  /** The operators' rejection counters (no admin view shows them). */
  async function rejectedByReason(): Promise<Record<string, number>> {
    const { rows } = await server.database.executeSql(
      'select reason, sum(count)::int as count from webhook_rejections group by reason',
    )
    return Object.fromEntries(
      (rows as Array<{ reason: string; count: number }>).map((row) => [row.reason, row.count]),
    )
  }

  async function expectMalformed(response: Awaited<ReturnType<typeof deliver>>): Promise<void> {
    expect(response.statusCode, response.body).toBe(400)
    expect(response.json()).toMatchObject({
      error: { code: 'WEBHOOK_MALFORMED', reason: 'malformed_body' },
      request_id: expect.any(String),
    })
  }

  async function linkItem(cookie: string): Promise<string> {
    const created = await emulator.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: ['auth' as Products],
      options: { webhook: `${server.url}/api/webhooks/plaid` },
    })
    const exchanged = await call('POST', '/api/plaid/exchange', cookie, {
      public_token: created.data.public_token,
    })
    expect(exchanged.statusCode, exchanged.body).toBe(200)
    return exchanged.json().item_id
  }

  async function eventRow(id: string) {
    const { rows } = await server.database.executeSql(
      'select webhook_type, webhook_code, plaid_item_id, workspace_id, key_id, state, attempts, outcome from webhook_events where id = $1',
      [id],
    )
    return rows[0] as Json | undefined
  }

  function settled(id: string) {
    return eventually(async () => {
      const row = await eventRow(id)
      return row && row.state !== 'queued' && row.state !== 'retrying' ? row : undefined
    }, `event ${id} processed`)
  }

  it('refuses a correctly signed body that is not JSON with 400 malformed_body, storing and queueing nothing', async () => {
    const before = await storedCounts()
    const rejectedBefore = (await rejectedByReason()).malformed_body ?? 0
    const notJson = [
      'this is not JSON',
      '{"webhook_type": "ITEM", "webhook_code": "ERROR", "item_id": "abc"',
      "{webhook_type: 'ITEM', webhook_code: 'ERROR'}",
      '',
    ]
    for (const body of notJson) {
      const delivery = await emulator.signBody(body)
      await expectMalformed(await deliver(delivery.body, delivery.signature))
    }
    // The body is judged only after the signature holds: the same bytes under a broken signature are a
    // trust failure, not a malformed body.
    const signed = await emulator.signBody('this is not JSON')
    const [header, claims, signature] = signed.signature.split('.') as [string, string, string]
    const broken = `${header}.${claims}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    const refused = await deliver(signed.body, broken)
    expect(refused.statusCode).toBe(401)
    expect(refused.json().error.reason).toBe('bad_signature')

    expect(await storedCounts()).toEqual(before)
    expect((await rejectedByReason()).malformed_body).toBe(rejectedBefore + notJson.length)
  })

  it('refuses signed JSON without webhook_type or webhook_code; accepts one without item_id as an orphan', async () => {
    const itemId = 'itemIdThatNoOneLinked000000000000000'
    const before = await storedCounts()
    const rejectedBefore = (await rejectedByReason()).malformed_body ?? 0
    const lacking: Json[] = [
      { webhook_code: 'NEW_ACCOUNTS_AVAILABLE', item_id: itemId },
      { webhook_type: 'ITEM', item_id: itemId },
      { item_id: itemId },
      { webhook_type: 'ITEM', webhook_code: '', item_id: itemId },
      { webhook_type: 7, webhook_code: 'NEW_ACCOUNTS_AVAILABLE', item_id: itemId },
      { webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE', item_id: 12345 },
    ]
    for (const payload of lacking) {
      const delivery = await emulator.sign(payload)
      await expectMalformed(await deliver(delivery.body, delivery.signature))
    }
    for (const json of ['null', '[]', '"ITEM"', '42']) {
      const delivery = await emulator.signBody(json)
      await expectMalformed(await deliver(delivery.body, delivery.signature))
    }
    expect(await storedCounts()).toEqual(before)
    expect((await rejectedByReason()).malformed_body).toBe(rejectedBefore + lacking.length + 4)

    // item_id is not required of every Plaid webhook (ADR 0005: type and code are): stored, then
    // recorded as belonging to no Item.
    const withoutItem = await emulator.sign({ webhook_type: 'ITEM', webhook_code: 'NEW_ACCOUNTS_AVAILABLE' })
    const accepted = await deliver(withoutItem.body, withoutItem.signature)
    expect(accepted.statusCode, accepted.body).toBe(200)
    expect(accepted.json()).toEqual({ received: true, event_id: expect.any(String), duplicate: false })
    expect(await settled(accepted.json().event_id)).toMatchObject({
      plaid_item_id: null,
      workspace_id: null,
      key_id: emulator.kid,
      state: 'orphaned',
      outcome: 'unknown_item',
    })
  })

  it('applies PENDING_EXPIRATION end to end: status pending_expiration with the consent expiry, update offered', async () => {
    const itemId = await linkItem(signer)
    expect((await call('GET', '/api/plaid/status', signer)).json()).toMatchObject({
      item: { item_id: itemId, status: 'good' },
      action: null,
    })

    // As Plaid sends it, seven days before the consent ends.
    const consentExpiresAt = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000)
    consentExpiresAt.setUTCMilliseconds(0)
    const delivery = await emulator.sign({
      webhook_type: 'ITEM',
      webhook_code: 'PENDING_EXPIRATION',
      item_id: itemId,
      consent_expiration_time: consentExpiresAt.toISOString(),
    })
    const received = await deliver(delivery.body, delivery.signature)
    expect(received.statusCode, received.body).toBe(200)
    const eventId = received.json().event_id
    expect(await settled(eventId)).toMatchObject({
      webhook_type: 'ITEM',
      webhook_code: 'PENDING_EXPIRATION',
      plaid_item_id: itemId,
      workspace_id: server.workspaceId,
      key_id: emulator.kid,
      state: 'processed',
      attempts: 1,
      outcome: 'status:pending_expiration',
    })

    const status = (await call('GET', '/api/plaid/status', signer)).json()
    expect(status).toMatchObject({
      connected: true,
      item: {
        item_id: itemId,
        status: 'pending_expiration',
        consent_expires_at: consentExpiresAt.toISOString(),
      },
      action: 'update',
    })
    const { rows } = await server.database.executeSql(
      'select status, consent_expires_at, last_webhook_code from plaid_items where plaid_item_id = $1',
      [itemId],
    )
    expect(rows[0]).toEqual({
      status: 'pending_expiration',
      consent_expires_at: consentExpiresAt,
      last_webhook_code: 'PENDING_EXPIRATION',
    })
    const trail = await server.database.executeSql(
      "select details from audit_events where action = 'plaid.item_updated_by_webhook' and subject_id = $1",
      [itemId],
    )
    expect(trail.rows.map((row) => (row as { details: Json }).details)).toEqual([
      expect.objectContaining({
        webhook_event_id: eventId,
        webhook_code: 'PENDING_EXPIRATION',
        changes: {
          status: { from: 'good', to: 'pending_expiration' },
          consentExpiresAt: { from: null, to: consentExpiresAt.toISOString() },
        },
      }),
    ])

    // The update the status offers is real: the next link token is for update mode.
    const token = await call('POST', '/api/plaid/link-token', signer)
    expect(token.statusCode, token.body).toBe(200)
    expect(token.json().mode).toBe('update')

    // The admin page lists it as verified with the sandbox's key and processed.
    const listed = (await call('GET', '/api/admin/webhooks', admin)).json()
    expect(listed.events.find((event: Json) => event.id === eventId)).toMatchObject({
      webhook_code: 'PENDING_EXPIRATION',
      item_id: itemId,
      state: 'processed',
      verification: { key_id: emulator.kid },
    })
  })
})
