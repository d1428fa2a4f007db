import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../../server/logger.ts'
import { PERSIST_HINT, rotateStoredAccessTokens } from '../../server/modules/plaid/service.ts'
import { createKeyring, generateKeyEntry } from '../../server/security/keyring.ts'
import { buildTestApp, DEMO, TEST_KEYRING, type TestApp } from '../helpers/build-app.ts'
import {
  createRecordingGateway,
  isItemKnown,
  startTestEmulator,
  type TestEmulator,
} from '../helpers/plaid.ts'
import { eventually } from '../system/webhook-harness.ts'

describe('bank linking', () => {
  let emulator: TestEmulator
  let t: TestApp
  let recorded: ReturnType<typeof createRecordingGateway>
  let signerCookie: string
  let managerCookie: string
  let logOutput = ''
  const responseBodies: string[] = []

  beforeAll(async () => {
    emulator = await startTestEmulator()
    recorded = createRecordingGateway(emulator.url)
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logOutput += chunk.toString()
        done()
      },
    })
    t = await buildTestApp({
      // Replaced Items are removed at Plaid by jobs: run them promptly, and retry without a wait.
      env: {
        PLAID_EMULATOR_URL: emulator.url,
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        WEBHOOK_RETRY_DELAY_SECONDS: '0',
      },
      plaidGateway: recorded.gateway,
      logger: pino(loggerOptions('debug'), sink),
    })
    signerCookie = await t.signIn(DEMO.signer)
    managerCookie = await t.signIn(DEMO.manager)
  })
  afterAll(async () => {
    await t.close()
    await emulator.close()
  })

  async function call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    cookie: string | null,
    payload?: unknown,
  ) {
    const response = await t.app.inject({
      method,
      url,
      headers: cookie ? { cookie } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    responseBodies.push(response.body)
    return response
  }

  /** The decrypted access token of the user's live Item, read the way the server reads it. */
  async function currentAccessToken(cookie: string): Promise<string> {
    const itemId = (await call('GET', '/api/plaid/status', cookie)).json().item.item_id
    const { rows } = await t.database.executeSql(
      'select id, access_token_ciphertext, access_token_key_id from plaid_items where plaid_item_id = $1',
      [itemId],
    )
    const row = rows[0] as { id: string; access_token_ciphertext: string; access_token_key_id: string }
    return t.keyring.decrypt(
      { keyId: row.access_token_key_id, ciphertext: row.access_token_ciphertext },
      { purpose: 'plaid_items.access_token', rowId: row.id },
    )
  }

  const exchange = (cookie: string, publicToken: unknown) =>
    call('POST', '/api/plaid/exchange', cookie, { public_token: publicToken })

  it.each([
    ['POST', '/api/plaid/link-token'],
    ['POST', '/api/plaid/exchange'],
    ['GET', '/api/plaid/status'],
    ['DELETE', '/api/plaid/item'],
    ['POST', '/api/plaid/link-events'],
    ['GET', '/api/plaid/link-events'],
    ['POST', '/api/plaid/sandbox/reset-login'],
    ['POST', '/api/plaid/sandbox/fire-webhook'],
  ] as const)('%s %s answers 401 JSON without a session', async (method, url) => {
    const response = await call(method, url, null, method === 'GET' ? undefined : { bogus: true })
    expect(response.statusCode).toBe(401)
    expect(response.json().error.code).toBe('UNAUTHENTICATED')
    const forged = await call(method, url, 'safeclose_session=not-a-session')
    expect(forged.statusCode).toBe(401)
  })

  it('creates a link token for the signed-in user with an opaque user id and our webhook', async () => {
    const response = await call('POST', '/api/plaid/link-token', signerCookie)
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(body).toEqual({
      link_token: expect.stringMatching(/^link-sandbox-[0-9a-f-]{36}$/),
      expiration: expect.any(String),
      environment: 'emulator',
      mode: 'create',
      persist_ready: true,
    })
    const session = (await call('GET', '/api/session', signerCookie)).json()
    const { data } = await emulator.plaid.linkTokenGet({ link_token: body.link_token })
    expect(data.metadata.client_name).toBe('Safeclose')
    expect(data.metadata.webhook).toBe('http://127.0.0.1:3000/api/webhooks/plaid')
    // The user id we send Plaid is our opaque id: no e-mail, no name.
    expect(recorded.linkTokenRequests.at(-1)).toEqual({
      clientUserId: session.user.id,
      webhookUrl: 'http://127.0.0.1:3000/api/webhooks/plaid',
      // OAuth banks send a mobile browser back to our own page.
      redirectUri: 'http://127.0.0.1:3000/oauth-return',
    })
  })

  it('shows no connection before linking', async () => {
    const response = await call('GET', '/api/plaid/status', signerCookie)
    expect(response.json()).toEqual({ connected: false, environment: 'emulator', item: null, action: 'link' })
  })

  it.each([
    ['a missing public_token', {}, 'public_token is required'],
    ['a non-string public_token', { public_token: 123 }, 'public_token'],
    ['an empty public_token', { public_token: '' }, 'public_token'],
    ['an over-long public_token', { public_token: `public-sandbox-${'a'.repeat(260)}` }, 'public_token'],
    [
      'a token of the wrong form',
      { public_token: 'access-sandbox-00000000-0000-0000-0000-000000000000' },
      'public_token',
    ],
    ['an unknown field', { public_token: 'public-sandbox-00000000-0000', extra: 1 }, 'extra'],
  ])('rejects %s with 400 and sends nothing to Plaid', async (_case, payload, message) => {
    const tripwire = emulator.sandbox.control.failNext({
      endpoint: '/item/public_token/exchange',
      httpStatus: 500,
    })
    const response = await call('POST', '/api/plaid/exchange', signerCookie, payload)
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('VALIDATION_FAILED')
    expect(response.json().error.message).toContain(message)
    // An untouched fault proves no exchange call reached Plaid.
    expect(emulator.sandbox.control.faults().find((fault) => fault.id === tripwire.id)?.remaining).toBe(1)
    emulator.sandbox.control.clearFaults()
  })

  it('rejects a non-JSON body with 415', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/plaid/exchange',
      headers: { cookie: signerCookie, 'content-type': 'text/plain' },
      payload: 'public-sandbox-x',
    })
    expect(response.statusCode).toBe(415)
  })

  it('exchanges a public token, stores the Item encrypted and reports it connected', async () => {
    const response = await exchange(signerCookie, await emulator.createPublicToken())
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      item_id: expect.stringMatching(/^[A-Za-z0-9]{37}$/),
      institution_id: 'ins_109508',
      persisted: true,
      persist_hint: null,
    })

    const status = (await call('GET', '/api/plaid/status', signerCookie)).json()
    expect(status).toMatchObject({
      connected: true,
      environment: 'emulator',
      action: null,
      item: {
        item_id: response.json().item_id,
        institution_id: 'ins_109508',
        institution_name: 'First Platypus Bank',
        status: 'good',
        consent_expires_at: null,
      },
    })
    expect(status.item.accounts.length).toBeGreaterThan(0)
    for (const account of status.item.accounts) {
      expect(account).toEqual({
        account_id: expect.any(String),
        name: expect.any(String),
        mask: expect.stringMatching(/^\d{4}$/),
        type: expect.any(String),
        subtype: expect.anything(),
        // Instant Auth: no micro-deposit verification state (ADR 0018).
        verification_status: null,
      })
    }

    const accessToken = recorded.accessTokens.at(-1) as string
    const { rows } = await t.database.executeSql(
      'select id, access_token_ciphertext, access_token_key_id from plaid_items where plaid_item_id = $1',
      [response.json().item_id],
    )
    const row = rows[0] as { id: string; access_token_ciphertext: string; access_token_key_id: string }
    expect(row.access_token_ciphertext).not.toContain(accessToken)
    expect(
      t.keyring.decrypt(
        { keyId: row.access_token_key_id, ciphertext: row.access_token_ciphertext },
        { purpose: 'plaid_items.access_token', rowId: row.id },
      ),
    ).toBe(accessToken)
  })

  it.each([
    [
      'an already used public token',
      async () => {
        const token = await emulator.createPublicToken()
        expect((await exchange(managerCookie, token)).statusCode).toBe(200)
        return token
      },
    ],
    ['an unknown public token', async () => 'public-sandbox-00000000-0000-4000-8000-000000000000'],
    [
      'an expired public token',
      async () => {
        const token = await emulator.createPublicToken()
        emulator.sandbox.control.advanceClock(31 * 60_000)
        return token
      },
    ],
  ])('answers 400 INVALID_PUBLIC_TOKEN for %s', async (_case, makeToken) => {
    const response = await exchange(managerCookie, await makeToken())
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('INVALID_PUBLIC_TOKEN')
    expect(response.json().error.plaid_request_id).toEqual(expect.any(String))
  })

  it('answers 502 when Plaid fails, 422 when Plaid refuses, and 503 when the credentials are rejected', async () => {
    emulator.sandbox.control.failNext({ endpoint: '/item/public_token/exchange', httpStatus: 500 })
    const down = await exchange(managerCookie, await emulator.createPublicToken())
    expect(down.statusCode).toBe(502)
    expect(down.json().error).toMatchObject({
      code: 'PLAID_UNAVAILABLE',
      plaid_request_id: expect.any(String),
    })

    // A Plaid refusal (4xx) is no outage: it never says "try again".
    emulator.sandbox.control.failNext({
      endpoint: '/sandbox/item/fire_webhook',
      errorCode: 'SANDBOX_PRODUCT_NOT_ENABLED',
    })
    await exchange(managerCookie, await emulator.createPublicToken())
    const refused = await call('POST', '/api/plaid/sandbox/fire-webhook', managerCookie, {
      webhook_code: 'DEFAULT_UPDATE',
    })
    expect(refused.statusCode).toBe(422)
    expect(refused.json().error).toMatchObject({
      code: 'PLAID_REFUSED',
      plaid_error_code: 'SANDBOX_PRODUCT_NOT_ENABLED',
      plaid_request_id: expect.any(String),
    })
    expect(refused.json().error.message).not.toMatch(/try again/i)
    // A rate limit is worth another try.
    emulator.sandbox.control.failNext({ endpoint: '/link/token/create', httpStatus: 429 })
    expect((await call('POST', '/api/plaid/link-token', managerCookie, {})).json().error.code).toBe(
      'PLAID_UNAVAILABLE',
    )

    emulator.sandbox.control.failNext({ endpoint: '/link/token/create', errorCode: 'INVALID_API_KEYS' })
    const misconfigured = await call('POST', '/api/plaid/link-token', managerCookie, {})
    expect(misconfigured.statusCode).toBe(503)
    expect(misconfigured.json().error.code).toBe('PLAID_NOT_CONFIGURED')
    expect(misconfigured.json().error.message).toMatch(/administrator/)
  })

  it('removes the exchanged Item at Plaid when it cannot be kept, so nothing is orphaned', async () => {
    const cookie = await t.signIn(DEMO.admin)
    const before = await call('GET', '/api/plaid/status', cookie)
    emulator.sandbox.control.failNext({ endpoint: '/accounts/get', httpStatus: 500 })
    const tokensBefore = recorded.accessTokens.length
    const failed = await exchange(cookie, await emulator.createPublicToken())
    expect(failed.statusCode).toBe(502)
    const exchangedToken = recorded.accessTokens[tokensBefore] as string
    expect(exchangedToken).toMatch(/^access-sandbox-/)
    expect(await isItemKnown(emulator, exchangedToken)).toBe(false)
    expect((await call('GET', '/api/plaid/status', cookie)).json()).toEqual(before.json())
  })

  it('stores exactly one Item when the same public token is exchanged twice at once', async () => {
    const adminCookie = await t.signIn(DEMO.admin)
    const token = await emulator.createPublicToken()
    const [first, second] = await Promise.all([exchange(adminCookie, token), exchange(adminCookie, token)])
    expect([first.statusCode, second.statusCode].sort()).toEqual([200, 400])
    const { rows } = await t.database.executeSql(
      `select count(*)::int as n from plaid_items i join users u on u.id = i.user_id where u.email = $1 and status <> 'removed'`,
      [DEMO.admin],
    )
    expect(rows).toEqual([{ n: 1 }])
  })

  it('replaces the previous Item on relink; a removal job removes the old one at Plaid', async () => {
    const before = (await call('GET', '/api/plaid/status', signerCookie)).json()
    const oldAccessToken = await currentAccessToken(signerCookie)
    const relinked = await exchange(
      signerCookie,
      await emulator.createPublicToken({ institutionId: 'ins_109509' }),
    )
    expect(relinked.statusCode).toBe(200)
    const after = (await call('GET', '/api/plaid/status', signerCookie)).json()
    expect(after.item.item_id).toBe(relinked.json().item_id)
    expect(after.item.item_id).not.toBe(before.item.item_id)
    expect(after.item.institution_name).toBe('First Gingham Credit Union')
    await expectRemovedAtPlaid(before.item.item_id, oldAccessToken)
  })

  it('keeps retrying the removal of a replaced Item at Plaid until Plaid agrees', async () => {
    const oldAccessToken = await currentAccessToken(signerCookie)
    const oldItemId = (await call('GET', '/api/plaid/status', signerCookie)).json().item.item_id
    const failure = emulator.sandbox.control.failNext({ endpoint: '/item/remove', httpStatus: 500 })
    const relinked = await exchange(signerCookie, await emulator.createPublicToken())
    expect(relinked.statusCode).toBe(200)
    expect((await call('GET', '/api/plaid/status', signerCookie)).json().item.item_id).toBe(
      relinked.json().item_id,
    )
    await expectRemovedAtPlaid(oldItemId, oldAccessToken)
    // The first attempt met the injected failure; a retry did the work.
    expect(emulator.sandbox.control.faults().find((fault) => fault.id === failure.id)).toBeUndefined()
  })

  /** The removal job (in-process workers) removed the Item at Plaid, then forgot its token. */
  async function expectRemovedAtPlaid(plaidItemId: string, accessToken: string) {
    await eventually(
      async () => ((await isItemKnown(emulator, accessToken)) ? undefined : true),
      'the replaced Item to be removed at Plaid',
    )
    const cleared = await eventually(async () => {
      const { rows } = await t.database.executeSql(
        'select status, access_token_ciphertext from plaid_items where plaid_item_id = $1',
        [plaidItemId],
      )
      return (rows[0] as { access_token_ciphertext: string | null }).access_token_ciphertext === null
        ? rows
        : undefined
    }, 'the replaced Item to forget its token')
    expect(cleared).toEqual([{ status: 'removed', access_token_ciphertext: null }])
  }

  it("keeps users apart: one user's link never shows or replaces another's", async () => {
    const signerItem = (await call('GET', '/api/plaid/status', signerCookie)).json().item.item_id
    const managerStatus = (await call('GET', '/api/plaid/status', managerCookie)).json()
    expect(managerStatus.item?.item_id).not.toBe(signerItem)
    await exchange(managerCookie, await emulator.createPublicToken())
    expect((await call('GET', '/api/plaid/status', signerCookie)).json().item.item_id).toBe(signerItem)
  })

  it('runs update mode for a connection and simulates a login reset in the emulator', async () => {
    const simulated = await call('POST', '/api/plaid/sandbox/reset-login', signerCookie)
    expect(simulated.json()).toEqual({ ok: true })
    const token = await call('POST', '/api/plaid/link-token', signerCookie, { mode: 'update' })
    expect(token.statusCode).toBe(200)
    expect(token.json().mode).toBe('update')
    const { data } = await emulator.plaid.linkTokenGet({ link_token: token.json().link_token })
    // Plaid gives update-mode tokens 30 minutes (4 hours for new links); measured on the emulator's clock.
    const lifetimeMs = new Date(data.expiration as string).getTime() - emulator.sandbox.control.now()
    expect(lifetimeMs).toBeGreaterThan(29 * 60_000)
    expect(lifetimeMs).toBeLessThanOrEqual(30 * 60_000)
    expect(recorded.linkTokenRequests.at(-1)?.accessToken).toBe(await currentAccessToken(signerCookie))
  })

  it('records Link events for support and refuses token-shaped values', async () => {
    const accepted = await call('POST', '/api/plaid/link-events', signerCookie, {
      events: [
        {
          type: 'event',
          event_name: 'OPEN',
          view_name: null,
          link_session_id: '79e772be-547d-4c9c-8b76-4ac4ed4c441a',
          timestamp: new Date().toISOString(),
        },
        {
          type: 'exit',
          event_name: 'EXIT',
          error_code: 'INVALID_LINK_TOKEN',
          error_type: 'INVALID_INPUT',
          exit_status: 'requires_credentials',
        },
      ],
    })
    expect(accepted.statusCode).toBe(202)
    const rejected = await call('POST', '/api/plaid/link-events', signerCookie, {
      events: [{ type: 'event', request_id: 'public-sandbox-66666666-7777-8888-9999-000000000000' }],
    })
    expect(rejected.statusCode).toBe(400)
    const { rows } = await t.database.executeSql('select count(*)::int as n from link_events')
    expect(rows).toEqual([{ n: 2 }])

    // The lab's timeline reads them back after a reload: the reporter's own, oldest first.
    const listed = await call('GET', '/api/plaid/link-events', signerCookie)
    expect(listed.statusCode).toBe(200)
    expect(listed.json().events).toEqual([
      expect.objectContaining({
        type: 'event',
        event_name: 'OPEN',
        link_session_id: '79e772be-547d-4c9c-8b76-4ac4ed4c441a',
        timestamp: expect.any(String),
      }),
      expect.objectContaining({
        type: 'exit',
        event_name: 'EXIT',
        error_code: 'INVALID_LINK_TOKEN',
        exit_status: 'requires_credentials',
      }),
    ])
    expect((await call('GET', '/api/plaid/link-events', managerCookie)).json()).toEqual({ events: [] })
  })

  it('unlinks idempotently: removed at Plaid, token deleted, status disconnected', async () => {
    const accessToken = await currentAccessToken(signerCookie)
    expect(await isItemKnown(emulator, accessToken)).toBe(true)
    const first = await call('DELETE', '/api/plaid/item', signerCookie)
    expect(first.json()).toEqual({ removed: true })
    expect((await call('DELETE', '/api/plaid/item', signerCookie)).json()).toEqual({ removed: false })
    expect((await call('GET', '/api/plaid/status', signerCookie)).json()).toMatchObject({
      connected: false,
      item: null,
      action: 'link',
    })
    expect(await isItemKnown(emulator, accessToken)).toBe(false)
  })

  it('never lets an access token reach a response, a log line or any table but the encrypted column', async () => {
    expect(recorded.accessTokens.length).toBeGreaterThanOrEqual(4)
    const { rows: tables } = await t.database.executeSql(
      `select table_name from information_schema.tables where table_schema = 'public'`,
    )
    const dumps: string[] = []
    for (const { table_name: table } of tables as Array<{ table_name: string }>) {
      const { rows } = await t.database.executeSql(`select row_to_json(t)::text as row from "${table}" t`)
      for (const { row } of rows as Array<{ row: string }>) dumps.push(row)
    }
    for (const accessToken of recorded.accessTokens) {
      for (const body of responseBodies) expect(body).not.toContain(accessToken)
      expect(logOutput).not.toContain(accessToken)
      for (const row of dumps) expect(row).not.toContain(accessToken)
    }
  })
  it('re-encrypts every stored access token under a new active key, once (keys:rotate)', async () => {
    const managerToken = await currentAccessToken(managerCookie)
    const rotatedKeyring = createKeyring(`${generateKeyEntry('rotated')},${TEST_KEYRING}`)
    const rotated = await rotateStoredAccessTokens({ db: t.database.db, keyring: rotatedKeyring })
    expect(rotated).toBeGreaterThan(0)
    expect(await rotateStoredAccessTokens({ db: t.database.db, keyring: rotatedKeyring })).toBe(0)
    const { rows } = await t.database.executeSql(
      `select distinct access_token_key_id from plaid_items where access_token_ciphertext is not null`,
    )
    expect(rows).toEqual([{ access_token_key_id: 'rotated' }])
    const itemId = (await call('GET', '/api/plaid/status', managerCookie)).json().item.item_id
    const { rows: itemRows } = await t.database.executeSql(
      'select id, access_token_ciphertext from plaid_items where plaid_item_id = $1',
      [itemId],
    )
    const row = itemRows[0] as { id: string; access_token_ciphertext: string }
    expect(
      rotatedKeyring.decrypt(
        { keyId: 'rotated', ciphertext: row.access_token_ciphertext },
        { purpose: 'plaid_items.access_token', rowId: row.id },
      ),
    ).toBe(managerToken)
  })
})

describe('bank linking without an encryption key', () => {
  let emulator: TestEmulator
  let t: TestApp
  let recorded: ReturnType<typeof createRecordingGateway>
  beforeAll(async () => {
    emulator = await startTestEmulator()
    recorded = createRecordingGateway(emulator.url)
    t = await buildTestApp({
      keyring: null,
      env: { PLAID_EMULATOR_URL: emulator.url },
      plaidGateway: recorded.gateway,
    })
  })
  afterAll(async () => {
    await t.close()
    await emulator.close()
  })

  it('warns before Link opens, completes the exchange, then removes the Item at Plaid', async () => {
    const cookie = await t.signIn(DEMO.signer)
    const token = await t.app.inject({ method: 'POST', url: '/api/plaid/link-token', headers: { cookie } })
    expect(token.json().persist_ready).toBe(false)

    const response = await t.app.inject({
      method: 'POST',
      url: '/api/plaid/exchange',
      headers: { cookie },
      payload: { public_token: await emulator.createPublicToken() },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      item_id: expect.any(String),
      institution_id: 'ins_109508',
      persisted: false,
      persist_hint: PERSIST_HINT,
    })
    expect(PERSIST_HINT).toMatch(/administrator/)
    expect(await isItemKnown(emulator, recorded.accessTokens[0] as string)).toBe(false)
    const { rows } = await t.database.executeSql('select count(*)::int as n from plaid_items')
    expect(rows).toEqual([{ n: 0 }])
    const status = await t.app.inject({ method: 'GET', url: '/api/plaid/status', headers: { cookie } })
    expect(status.json().connected).toBe(false)
  })
})

describe('link token rate limit', () => {
  let emulator: TestEmulator
  let t: TestApp
  beforeAll(async () => {
    emulator = await startTestEmulator()
    t = await buildTestApp({ env: { PLAID_EMULATOR_URL: emulator.url, LINK_TOKENS_PER_MINUTE: '2' } })
  })
  afterAll(async () => {
    await t.close()
    await emulator.close()
  })

  it('answers 429 JSON past the per-user limit', async () => {
    const cookie = await t.signIn(DEMO.signer)
    const statuses: number[] = []
    for (let index = 0; index < 3; index += 1) {
      statuses.push(
        (await t.app.inject({ method: 'POST', url: '/api/plaid/link-token', headers: { cookie } }))
          .statusCode,
      )
    }
    expect(statuses).toEqual([200, 200, 429])
    const otherUser = await t.signIn(DEMO.manager)
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/plaid/link-token', headers: { cookie: otherUser } }))
        .statusCode,
    ).toBe(200)
  })
})
