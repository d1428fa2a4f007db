import { randomUUID } from 'node:crypto'
import type { Products } from 'plaid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlaidGateway } from '../../server/modules/plaid/gateway.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'

/**
 * A flood of deliveries naming kids nobody knows, against the real verifier and key endpoint: the
 * number of outbound key fetches stays bounded, and genuine webhooks keep verifying through it, both
 * when their key is already cached and when it is fetched for the first time after the flood.
 */
describe('Plaid webhooks under a flood of forged key ids', () => {
  let sandbox: SandboxWithSigningKey
  let t: TestApp
  let itemId: string
  const keyFetches: string[] = []
  const FETCHES_PER_MINUTE = 10

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
    const real = createPlaidGateway({ emulatorUrl: sandbox.url })
    t = await buildTestApp({
      env: {
        PLAID_EMULATOR_URL: sandbox.url,
        WEBHOOK_WORKERS_IN_PROCESS: 'false',
        WEBHOOK_KEY_FETCHES_PER_MINUTE: String(FETCHES_PER_MINUTE),
      },
      plaidGateway: {
        ...real,
        async getWebhookVerificationKey(connection, kid) {
          keyFetches.push(kid)
          return real.getWebhookVerificationKey(connection, kid)
        },
      },
    })
    // An Item of ours, linked through the exchange (its webhooks go nowhere: the test sends them).
    const signer = await t.signIn(DEMO.signer)
    const created = await sandbox.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: ['auth' as Products],
      options: { webhook: 'http://127.0.0.1:9/unreachable' },
    })
    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/api/plaid/exchange',
      headers: { cookie: signer },
      payload: { public_token: created.data.public_token },
    })
    expect(exchanged.statusCode, exchanged.body).toBe(200)
    itemId = exchanged.json().item_id
  })
  afterAll(async () => {
    await t?.close()
    await sandbox?.close()
  })

  function deliver(body: string, signature: string) {
    return t.app.inject({
      method: 'POST',
      url: '/api/webhooks/plaid',
      headers: { 'content-type': 'application/json', 'plaid-verification': signature },
      payload: body,
    })
  }

  let sequence = 0
  /** A genuine webhook for our Item, signed now with the sandbox's current key. */
  function genuine() {
    sequence += 1
    return sandbox.sign({
      webhook_type: 'ITEM',
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
      item_id: itemId,
      error: null,
      sequence,
    })
  }

  /** A forgery: a real signature's claims and bytes under a header naming a fresh, random kid. */
  async function forge(namedItemId: string | null) {
    const template = await sandbox.signBody(
      JSON.stringify({ webhook_type: 'ITEM', webhook_code: 'ERROR', item_id: namedItemId ?? undefined }),
    )
    const [, claims, signature] = template.signature.split('.') as [string, string, string]
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: randomUUID(), typ: 'JWT' })).toString(
      'base64url',
    )
    return { body: template.body, signature: `${header}.${claims}.${signature}` }
  }

  /** Sends `count` forgeries with distinct kids; returns how they were answered, by reason. */
  async function flood(count: number, itemIdFor: (index: number) => string | null) {
    const reasons: Record<string, number> = {}
    for (let index = 0; index < count; index += 1) {
      const forged = await forge(itemIdFor(index))
      const response = await deliver(forged.body, forged.signature)
      expect(response.statusCode === 401 || response.statusCode === 503, response.body).toBe(true)
      const reason = response.json().error.reason as string
      reasons[reason] = (reasons[reason] ?? 0) + 1
    }
    return reasons
  }

  async function rejectionCount(reason: string): Promise<number> {
    const { rows } = await t.database.executeSql(
      'select coalesce(sum(count), 0)::int as count from webhook_rejections where reason = $1',
      [reason],
    )
    return (rows[0] as { count: number }).count
  }

  it('keeps a first genuine webhook verifiable after 200 forgeries, and its key cached through 200 more', async () => {
    // 200 forgeries naming no Item or Items we do not hold: only the open half of the budget is spent.
    const first = await flood(200, (index) => (index % 2 === 0 ? null : `item-${randomUUID()}`))
    expect(keyFetches.length).toBeLessThanOrEqual(FETCHES_PER_MINUTE / 2)
    expect(first.unknown_key).toBe(keyFetches.length)
    expect(first.key_fetch_budget_exhausted).toBe(200 - keyFetches.length)
    expect(await rejectionCount('key_fetch_budget_exhausted')).toBe(first.key_fetch_budget_exhausted)

    // The genuine key is not cached yet: the delivery names our Item, so the reserve pays for its fetch.
    const firstGenuine = await genuine()
    const accepted = await deliver(firstGenuine.body, firstGenuine.signature)
    expect(accepted.statusCode, accepted.body).toBe(200)
    expect(keyFetches.at(-1)).toBe(sandbox.kid)
    const fetchesAfterGenuine = keyFetches.length

    // 200 more, some naming our Item (whose reserve share is spent this minute), others anything.
    const second = await flood(200, (index) => (index % 4 === 0 ? itemId : `item-${randomUUID()}`))
    expect(second.key_fetch_budget_exhausted).toBeGreaterThan(190)
    expect(keyFetches.length).toBeLessThanOrEqual(FETCHES_PER_MINUTE)

    // The genuine key verified a webhook, so no forged kid evicted it: verified at once, no fetch.
    const fetchesBefore = keyFetches.length
    for (let round = 0; round < 3; round += 1) {
      const next = await genuine()
      const response = await deliver(next.body, next.signature)
      expect(response.statusCode, response.body).toBe(200)
    }
    expect(keyFetches.length).toBe(fetchesBefore)
    expect(fetchesAfterGenuine).toBeLessThanOrEqual(FETCHES_PER_MINUTE / 2 + 1)
    expect(keyFetches.filter((kid) => kid === sandbox.kid)).toHaveLength(1)
  })

  it('does not fetch a kid again that Plaid just said it does not know', async () => {
    const forged = await forge(null)
    // Budget is spent for this minute, so this kid has no answer and gets a 503 without a fetch.
    const before = keyFetches.length
    expect((await deliver(forged.body, forged.signature)).statusCode).toBe(503)
    expect(keyFetches.length).toBe(before)
    // A kid refused earlier in the flood with "unknown" is answered from memory: 401, no fetch.
    const rememberedKid = keyFetches.find((kid) => kid !== sandbox.kid) as string
    const [, claims, signature] = forged.signature.split('.') as [string, string, string]
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: rememberedKid, typ: 'JWT' })).toString(
      'base64url',
    )
    const again = await deliver(forged.body, `${header}.${claims}.${signature}`)
    expect(again.statusCode).toBe(401)
    expect(again.json().error.reason).toBe('unknown_key')
    expect(keyFetches.length).toBe(before)
  })
})
