import { createHmac, generateKeyPairSync } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlaidGateway } from '../../server/modules/plaid/gateway.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { type CapturedDelivery, startCaptureServer, startSkewableSandbox } from '../system/webhook-harness.ts'

const WEBHOOK_URL = '/api/webhooks/plaid'

/**
 * The verification matrix, against signatures the offline sandbox really produced: every forged,
 * late or tampered delivery is refused with a reason, counted, and leaves nothing stored.
 */
describe('Plaid webhook verification', () => {
  let sandbox: Awaited<ReturnType<typeof startSkewableSandbox>>
  let capture: Awaited<ReturnType<typeof startCaptureServer>>
  let t: TestApp
  let accessToken: string
  const keyFetches: string[] = []
  const acceptedEventIds = new Set<string>()

  beforeAll(async () => {
    sandbox = await startSkewableSandbox()
    capture = await startCaptureServer()
    const real = createPlaidGateway({ emulatorUrl: sandbox.url })
    t = await buildTestApp({
      env: { PLAID_EMULATOR_URL: sandbox.url, WEBHOOK_WORKERS_IN_PROCESS: 'false' },
      plaidGateway: {
        ...real,
        async getWebhookVerificationKey(connection, kid) {
          keyFetches.push(kid)
          return real.getWebhookVerificationKey(connection, kid)
        },
      },
    })
    accessToken = await sandbox.createItem(capture.url)
  })
  afterAll(async () => {
    await t.close()
    await sandbox.close()
    await capture.close()
  })

  /** Makes the sandbox sign and send one webhook, and returns it as received. */
  async function signedDelivery(code = 'NEW_ACCOUNTS_AVAILABLE'): Promise<CapturedDelivery> {
    const next = capture.next()
    await sandbox.plaid.sandboxItemFireWebhook({ access_token: accessToken, webhook_code: code as never })
    return next
  }

  async function deliver(body: Buffer | string, signature?: string, contentType = 'application/json') {
    const response = await t.app.inject({
      method: 'POST',
      url: WEBHOOK_URL,
      headers: {
        'content-type': contentType,
        ...(signature === undefined ? {} : { 'plaid-verification': signature }),
      },
      payload: body,
    })
    if (response.statusCode === 200) acceptedEventIds.add(response.json().event_id)
    return response
  }

  async function storedEventCount(): Promise<number> {
    const { rows } = await t.database.executeSql('select count(*)::int as count from webhook_events')
    return (rows[0] as { count: number }).count
  }

  async function expectRejected(
    response: Awaited<ReturnType<typeof deliver>>,
    status: number,
    reason: string,
  ): Promise<void> {
    expect(response.statusCode).toBe(status)
    expect(response.json()).toMatchObject({ error: { reason }, request_id: expect.any(String) })
  }

  function parts(signature: string): [string, string, string] {
    const [header, claims, sig] = signature.split('.')
    return [header as string, claims as string, sig as string]
  }

  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

  it('accepts a genuine delivery, fetching the unknown kid once, and stores it before answering', async () => {
    const delivery = await signedDelivery()
    const kid = JSON.parse(Buffer.from(parts(delivery.signature)[0], 'base64url').toString()).kid
    const response = await deliver(delivery.body, delivery.signature)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({ received: true, event_id: expect.any(String), duplicate: false })
    expect(keyFetches).toEqual([kid])

    const { rows } = await t.database.executeSql(
      'select raw_body, webhook_type, webhook_code, key_id, state from webhook_events where id = $1',
      [response.json().event_id],
    )
    expect(rows[0]).toEqual({
      raw_body: delivery.body.toString('utf8'),
      webhook_type: 'ITEM',
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
      key_id: kid,
      state: 'queued',
    })
    // Its job was created in the same transaction.
    const jobs = await t.database.executeSql(
      "select count(*)::int as count from pgboss.job where name = 'plaid-webhook' and data->>'eventId' = $1",
      [response.json().event_id],
    )
    expect((jobs.rows[0] as { count: number }).count).toBe(1)

    // A second delivery of the same body is a duplicate: 200, not stored or queued again.
    const again = await deliver(delivery.body, delivery.signature)
    expect(again.json()).toEqual({ received: true, event_id: response.json().event_id, duplicate: true })
    expect(keyFetches).toHaveLength(1)
  })

  it('fetches a key once for many concurrent deliveries naming the same new kid', async () => {
    sandbox.sandbox.control.rotateSigningKey()
    const deliveries = [await signedDelivery('LOGIN_REPAIRED'), await signedDelivery('PENDING_DISCONNECT')]
    const before = keyFetches.length
    const responses = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((index) => {
        const delivery = deliveries[index % 2] as CapturedDelivery
        return deliver(delivery.body, delivery.signature)
      }),
    )
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200, 200, 200])
    expect(keyFetches.length - before).toBe(1)
  })

  it.each([
    ['none', (h: string, c: string, s: string) => `${b64({ alg: 'none', kid: kidOf(h) })}.${c}.${s}`],
    ['HS256', (h: string, c: string) => hmacToken(kidOf(h), c)],
    [
      'ES384',
      (h: string, c: string, s: string) => `${b64({ alg: 'ES384', kid: kidOf(h), typ: 'JWT' })}.${c}.${s}`,
    ],
  ])('refuses alg %s without asking Plaid for a key', async (_alg, forge) => {
    const delivery = await signedDelivery()
    const before = keyFetches.length
    const count = await storedEventCount()
    await expectRejected(
      await deliver(delivery.body, forge(...parts(delivery.signature))),
      401,
      'unsupported_algorithm',
    )
    expect(keyFetches.length).toBe(before)
    expect(await storedEventCount()).toBe(count)
  })

  it('refuses an RS256 token signed with a key of its own', async () => {
    const delivery = await signedDelivery()
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const claims = JSON.parse(Buffer.from(parts(delivery.signature)[1], 'base64url').toString())
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: kidOf(parts(delivery.signature)[0]) })
      .sign(privateKey)
    await expectRejected(await deliver(delivery.body, forged), 401, 'unsupported_algorithm')
  })

  it('refuses a changed signature, a changed byte and changed whitespace', async () => {
    const delivery = await signedDelivery('PENDING_DISCONNECT')
    const [header, claims, signature] = parts(delivery.signature)
    const flipped = signature.slice(0, 20) + (signature[20] === 'A' ? 'B' : 'A') + signature.slice(21)
    await expectRejected(await deliver(delivery.body, `${header}.${claims}.${flipped}`), 401, 'bad_signature')

    const oneByte = Buffer.from(delivery.body)
    const index = oneByte.indexOf('PENDING_DISCONNECT')
    oneByte[index] = 'Q'.charCodeAt(0)
    await expectRejected(await deliver(oneByte, delivery.signature), 401, 'body_hash_mismatch')

    const compact = JSON.stringify(JSON.parse(delivery.body.toString('utf8')))
    await expectRejected(await deliver(compact, delivery.signature), 401, 'body_hash_mismatch')
    await expectRejected(
      await deliver(`${delivery.body.toString('utf8')}\n`, delivery.signature),
      401,
      'body_hash_mismatch',
    )

    // Claims lifted onto another body by re-signing are impossible without the key; swapping the
    // claims segment breaks the signature.
    const otherClaims = b64({ iat: Math.floor(Date.now() / 1000), request_body_sha256: 'f'.repeat(64) })
    await expectRejected(
      await deliver(delivery.body, `${header}.${otherClaims}.${signature}`),
      401,
      'bad_signature',
    )
  })

  it('refuses deliveries signed more than 5 minutes ago or too far in the future', async () => {
    sandbox.setSkewMs(-(5 * 60 + 20) * 1000)
    const late = await signedDelivery('LOGIN_REPAIRED')
    sandbox.setSkewMs(5 * 60 * 1000)
    const early = await signedDelivery('LOGIN_REPAIRED')
    sandbox.setSkewMs(-(4 * 60) * 1000)
    const fourMinutesOld = await signedDelivery('NEW_ACCOUNTS_AVAILABLE')
    sandbox.setSkewMs(0)
    await expectRejected(await deliver(late.body, late.signature), 401, 'stale_signature')
    await expectRejected(await deliver(early.body, early.signature), 401, 'future_signature')
    expect((await deliver(fourMinutesOld.body, fourMinutesOld.signature)).statusCode).toBe(200)
  })

  // A genuinely signed body that is not JSON: webhooks-signed-payloads.test.ts.
  it('refuses a missing header, a malformed JWT, an unknown kid, an oversize body and a non-JSON media type', async () => {
    const delivery = await signedDelivery()
    await expectRejected(await deliver(delivery.body), 401, 'missing_signature')
    await expectRejected(await deliver(delivery.body, 'not-a-jwt'), 400, 'malformed_signature')
    await expectRejected(await deliver(delivery.body, 'a.b.c'), 400, 'malformed_signature')
    const [, claims, signature] = parts(delivery.signature)
    const unknownKid = `${b64({ alg: 'ES256', kid: '00000000-0000-4000-8000-000000000000', typ: 'JWT' })}.${claims}.${signature}`
    await expectRejected(await deliver(delivery.body, unknownKid), 401, 'unknown_key')

    const huge = Buffer.alloc(64 * 1024 + 1, 0x20)
    const oversize = await deliver(huge, delivery.signature)
    expect(oversize.statusCode).toBe(413)
    expect(oversize.json().error.code).toBe('PAYLOAD_TOO_LARGE')
    expect((await deliver('{}', delivery.signature, 'text/plain')).statusCode).toBe(415)
  })

  it('rejects a key after its expiry, learning of the expiry when a new kid appears', async () => {
    const signedWithOldKey = await signedDelivery('LOGIN_REPAIRED')
    expect((await deliver(signedWithOldKey.body, signedWithOldKey.signature)).statusCode).toBe(200)
    sandbox.sandbox.control.rotateSigningKey({ graceMs: 0 })
    const signedWithNewKey = await signedDelivery('PENDING_DISCONNECT')
    expect((await deliver(signedWithNewKey.body, signedWithNewKey.signature)).statusCode).toBe(200)
    // A retry of the old delivery now meets the old key's expiry.
    await expectRejected(await deliver(signedWithOldKey.body, signedWithOldKey.signature), 401, 'expired_key')
  })

  it('counts every rejection by reason for operators (not in any admin view), and stored nothing for them', async () => {
    const admin = await t.signIn(DEMO.admin)
    const view = await t.app.inject({ method: 'GET', url: '/api/admin/webhooks', headers: { cookie: admin } })
    expect(view.statusCode).toBe(200)
    // Rejected deliveries name no workspace anyone can trust, so no workspace's admin sees them.
    expect(view.json()).not.toHaveProperty('rejected_last_24h')
    const counters = await t.database.executeSql(
      'select reason, sum(count)::int as count from webhook_rejections group by reason',
    )
    const byReason = Object.fromEntries(
      (counters.rows as Array<{ reason: string; count: number }>).map((row) => [row.reason, row.count]),
    )
    const rejected = { by_reason: byReason, total: Object.values(byReason).reduce((sum, n) => sum + n, 0) }
    expect(rejected.by_reason).toMatchObject({
      unsupported_algorithm: 4,
      bad_signature: 2,
      body_hash_mismatch: 3,
      stale_signature: 1,
      future_signature: 1,
      missing_signature: 1,
      malformed_signature: 2,
      unknown_key: 1,
      expired_key: 1,
      body_too_large: 1,
      unsupported_media_type: 1,
    })
    expect(rejected.total).toBe(18)
    // Only the accepted deliveries were stored: no rejected body ever reached the table.
    const { rows } = await t.database.executeSql('select id from webhook_events')
    expect(new Set(rows.map((row) => (row as { id: string }).id))).toEqual(acceptedEventIds)
    // This file's Item was made at the sandbox, not linked in a workspace: its events belong to no
    // workspace, so no admin sees them (webhooks-workspace-isolation.test.ts covers attributed ones).
    expect(acceptedEventIds.size).toBeGreaterThan(0)
    expect(view.json().events).toEqual([])
  })

  it('answers 403 to non-admins on the admin API', async () => {
    const manager = await t.signIn(DEMO.manager)
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/admin/webhooks',
      headers: { cookie: manager },
    })
    expect(response.statusCode).toBe(403)
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/webhooks' })).statusCode).toBe(401)
  })
})

function kidOf(header: string): string {
  return JSON.parse(Buffer.from(header, 'base64url').toString()).kid
}

function hmacToken(kid: string, claims: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', kid, typ: 'JWT' })).toString('base64url')
  const signature = createHmac('sha256', kid).update(`${header}.${claims}`).digest('base64url')
  return `${header}.${claims}.${signature}`
}
