import type { Products } from 'plaid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO } from '../helpers/build-app.ts'
import { createRecordingGateway, startTestEmulator, type TestEmulator } from '../helpers/plaid.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { type CapturedDelivery, eventually, startCaptureServer } from '../system/webhook-harness.ts'

type Json = Record<string, unknown>

/**
 * End to end through the offline sandbox: it signs and delivers webhooks to a real server, whose
 * in-process pg-boss workers apply them. State is read back through the public API and the tables.
 */
describe('Plaid webhook processing', () => {
  let emulator: TestEmulator
  let server: TestServer
  let capture: Awaited<ReturnType<typeof startCaptureServer>>
  let recorded: ReturnType<typeof createRecordingGateway>
  let signer: string
  let manager: string
  let admin: string
  let signerToken: string
  let managerToken: string

  beforeAll(async () => {
    emulator = await startTestEmulator()
    capture = await startCaptureServer()
    recorded = createRecordingGateway(emulator.url)
    server = await startTestServer({
      env: {
        PLAID_EMULATOR_URL: emulator.url,
        WEBHOOK_RETRY_LIMIT: '2',
        WEBHOOK_RETRY_DELAY_SECONDS: '0',
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
        // The stranger's webhook below waits this long for its Item before it is an orphan.
        WEBHOOK_ITEM_WAIT_SECONDS: '1',
        WEBHOOK_ITEM_WAIT_FIRST_RETRY_SECONDS: '0.5',
      },
      plaidGateway: recorded.gateway,
    })
    signer = await server.signIn(DEMO.signer)
    manager = await server.signIn(DEMO.manager)
    admin = await server.signIn(DEMO.admin)
    signerToken = await link(signer, 'ins_109508', 'pass_good')
    managerToken = await link(manager, 'ins_109512', 'microdeposits_good')
  })
  afterAll(async () => {
    await server.close()
    await emulator.close()
    await capture.close()
  })

  async function call(method: 'GET' | 'POST', url: string, cookie: string | null, payload?: Json) {
    return server.app.inject({
      method,
      url,
      headers: cookie ? { cookie } : {},
      ...(payload ? { payload } : {}),
    })
  }

  /** Links an Item through our exchange endpoint; its webhooks go to our server. */
  async function link(cookie: string, institutionId: string, password: string): Promise<string> {
    const created = await emulator.plaid.sandboxPublicTokenCreate({
      institution_id: institutionId,
      initial_products: ['auth' as Products],
      options: {
        webhook: `${server.url}/api/webhooks/plaid`,
        override_username: 'user_good',
        override_password: password,
      },
    })
    const response = await call('POST', '/api/plaid/exchange', cookie, {
      public_token: created.data.public_token,
    })
    expect(response.statusCode).toBe(200)
    return recorded.accessTokens.at(-1) as string
  }

  const status = async (cookie: string) => (await call('GET', '/api/plaid/status', cookie)).json()

  async function eventsOf(code: string) {
    const { rows } = await server.database.executeSql(
      'select id, state, attempts, outcome, last_error, delivery_count from webhook_events where webhook_code = $1 order by received_at',
      [code],
    )
    return rows as Array<{
      id: string
      state: string
      attempts: number
      outcome: string | null
      last_error: string | null
      delivery_count: number
    }>
  }

  /** Waits until `count` events with this code exist and none is still waiting to be processed. */
  function settled(code: string, count = 1) {
    return eventually(async () => {
      const events = await eventsOf(code)
      return events.length >= count &&
        events.every((event) => event.state !== 'queued' && event.state !== 'retrying')
        ? events
        : undefined
    }, `${code} processed`)
  }

  async function itemRow(accessTokenOwner: string) {
    const itemId = (await status(accessTokenOwner)).item.item_id
    const { rows } = await server.database.executeSql(
      'select status, has_new_accounts, webhook_url, consent_expires_at, last_webhook_code, access_token_ciphertext from plaid_items where plaid_item_id = $1',
      [itemId],
    )
    return rows[0] as Json
  }

  async function drive(linkToken: string, institutionId: string, password: string) {
    const ui = async (path: string, body: Json) => {
      const response = await fetch(`${emulator.url}/link/v2/stable/api/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return (await response.json()) as Json
    }
    const session = (await ui('session/start', { link_token: linkToken })).link_session_id as string
    const offered = await ui('credentials/submit', {
      link_token: linkToken,
      link_session_id: session,
      institution_id: institutionId,
      username: 'user_good',
      password,
    })
    const accountIds = (offered.accounts as Array<{ account_id: string }>).map(
      (account) => account.account_id,
    )
    const linked = await ui('accounts/submit', {
      link_token: linkToken,
      link_session_id: session,
      account_ids: accountIds,
    })
    return linked.public_token as string
  }

  function deliver(delivery: CapturedDelivery) {
    return server.app.inject({
      method: 'POST',
      url: '/api/webhooks/plaid',
      headers: { 'content-type': 'application/json', 'plaid-verification': delivery.signature },
      payload: delivery.body,
    })
  }

  it('reset login → login_required; update mode in Link → LOGIN_REPAIRED → good', async () => {
    expect((await call('POST', '/api/plaid/sandbox/reset-login', signer)).statusCode).toBe(200)
    const [error] = await settled('ERROR')
    expect(error).toMatchObject({ state: 'processed', attempts: 1, outcome: 'status:login_required' })
    expect(await status(signer)).toMatchObject({
      connected: true,
      item: { status: 'login_required' },
      action: 'update',
    })

    const token = await call('POST', '/api/plaid/link-token', signer)
    expect(token.json().mode).toBe('update')
    await drive(token.json().link_token, 'ins_109508', 'pass_good')
    const [repaired] = await settled('LOGIN_REPAIRED')
    expect(repaired).toMatchObject({ state: 'processed', outcome: 'status:good' })
    expect(await status(signer)).toMatchObject({ item: { status: 'good' }, action: null })

    const trail = await server.database.executeSql(
      "select details from audit_events where action = 'plaid.item_updated_by_webhook' order by sequence",
    )
    expect(trail.rows.map((row) => (row as { details: Json }).details.changes)).toEqual([
      {
        status: { from: 'good', to: 'login_required' },
        errorCode: { from: null, to: 'ITEM_LOGIN_REQUIRED' },
      },
      {
        status: { from: 'login_required', to: 'good' },
        errorCode: { from: 'ITEM_LOGIN_REQUIRED', to: null },
      },
    ])
  })

  it('applies NEW_ACCOUNTS_AVAILABLE, a repeated LOGIN_REPAIRED, PENDING_DISCONNECT and USER_ACCOUNT_REVOKED', async () => {
    const fire = (code: string) =>
      call('POST', '/api/plaid/sandbox/fire-webhook', signer, { webhook_code: code })
    expect((await fire('NEW_ACCOUNTS_AVAILABLE')).statusCode).toBe(200)
    await settled('NEW_ACCOUNTS_AVAILABLE')
    expect(await status(signer)).toMatchObject({ item: { status: 'good' }, action: 'update' })
    expect(await itemRow(signer)).toMatchObject({ has_new_accounts: true })

    // The same bytes as the first LOGIN_REPAIRED: stored once and not processed again; the Item is
    // checked with Plaid once more instead (a re-check job), which finds it healthy.
    expect((await fire('LOGIN_REPAIRED')).statusCode).toBe(200)
    await eventually(
      async () => ((await eventsOf('LOGIN_REPAIRED'))[0]?.delivery_count === 2 ? true : undefined),
      'redelivery counted',
    )
    expect(await eventsOf('LOGIN_REPAIRED')).toMatchObject([{ attempts: 1, state: 'processed' }])

    await fire('PENDING_DISCONNECT')
    await settled('PENDING_DISCONNECT')
    expect(await status(signer)).toMatchObject({ item: { status: 'pending_disconnect' }, action: 'update' })
    expect((await itemRow(signer)).consent_expires_at).not.toBeNull()

    // Update mode renews the Item (Link, then the exchange the page makes): good, nothing pending.
    const token = await call('POST', '/api/plaid/link-token', signer)
    expect(token.json().mode).toBe('update')
    const publicToken = await drive(token.json().link_token, 'ins_109508', 'pass_good')
    expect(
      (await call('POST', '/api/plaid/exchange', signer, { public_token: publicToken })).statusCode,
    ).toBe(200)
    expect(await status(signer)).toMatchObject({ item: { status: 'good' }, action: null })

    const accountsBefore = (await status(signer)).item.accounts.length
    await fire('USER_ACCOUNT_REVOKED')
    const [revoked] = await settled('USER_ACCOUNT_REVOKED')
    expect(revoked?.outcome).toBe('account_revoked')
    expect((await status(signer)).item.accounts).toHaveLength(accountsBefore - 1)
  })

  it('records a new webhook URL from WEBHOOK_UPDATE_ACKNOWLEDGED', async () => {
    const moved = `${server.url}/api/webhooks/plaid?moved=1`
    await emulator.plaid.itemWebhookUpdate({ access_token: signerToken, webhook: moved })
    await settled('WEBHOOK_UPDATE_ACKNOWLEDGED')
    expect((await itemRow(signer)).webhook_url).toBe(moved)
  })

  it('refreshes verification status from Plaid on AUTH AUTOMATICALLY_VERIFIED and DEFAULT_UPDATE', async () => {
    const { rows } = await server.database.executeSql(
      "select plaid_account_id, verification_status from plaid_accounts where verification_status = 'pending_automatic_verification'",
    )
    const pending = rows[0] as { plaid_account_id: string }
    expect(pending).toBeDefined()
    await emulator.plaid.sandboxItemSetVerificationStatus({
      access_token: managerToken,
      account_id: pending.plaid_account_id,
      verification_status: 'automatically_verified' as never,
    })
    const [verified] = await settled('AUTOMATICALLY_VERIFIED')
    expect(verified?.outcome).toBe('accounts_refreshed')
    const after = await server.database.executeSql(
      'select verification_status from plaid_accounts where plaid_account_id = $1',
      [pending.plaid_account_id],
    )
    expect(after.rows[0]).toEqual({ verification_status: 'automatically_verified' })

    await emulator.plaid.sandboxItemFireWebhook({
      access_token: managerToken,
      webhook_type: 'AUTH' as never,
      webhook_code: 'DEFAULT_UPDATE' as never,
    })
    const [update] = await settled('DEFAULT_UPDATE')
    expect(update).toMatchObject({ state: 'processed', outcome: 'accounts_refreshed' })
  })

  it('converges whatever the order and however often a webhook arrives; orphans are stored, not fatal', async () => {
    // The admin's Item sends its webhooks to the capture server, so the test decides the order.
    const created = await emulator.createPublicToken({ webhook: capture.url })
    expect((await call('POST', '/api/plaid/exchange', admin, { public_token: created })).statusCode).toBe(200)
    const adminToken = recorded.accessTokens.at(-1) as string
    const errorDelivery = capture.next()
    await emulator.plaid.sandboxItemResetLogin({ access_token: adminToken })
    const error = await errorDelivery
    const repairDelivery = capture.next()
    const token = await call('POST', '/api/plaid/link-token', admin, { mode: 'update' })
    await drive(token.json().link_token, 'ins_109508', 'pass_good')
    const repaired = await repairDelivery

    // Newest first, then the older error, then the error again: the Item ends as Plaid has it.
    const repairedReceipt = await deliver(repaired)
    expect(repairedReceipt.json().duplicate).toBe(false)
    const first = await deliver(error)
    const second = await deliver(error)
    expect(second.json()).toEqual({ received: true, event_id: first.json().event_id, duplicate: true })
    const final = await eventually(async () => {
      const { rows } = await server.database.executeSql(
        'select id, state, attempts, delivery_count, outcome from webhook_events where id = any($1::uuid[])',
        [[repairedReceipt.json().event_id, first.json().event_id]],
      )
      return rows.every((row) => (row as Json).state === 'processed') && rows.length === 2 ? rows : undefined
    }, 'both processed')
    expect(final).toEqual(
      expect.arrayContaining([
        {
          id: first.json().event_id,
          state: 'processed',
          attempts: 1,
          delivery_count: 2,
          outcome: 'status:good',
        },
        {
          id: repairedReceipt.json().event_id,
          state: 'processed',
          attempts: 1,
          delivery_count: 1,
          outcome: 'status:good',
        },
      ]),
    )
    expect((await status(admin)).item.status).toBe('good')

    // A webhook for an Item we never linked.
    const strangerToken = (
      await emulator.plaid.itemPublicTokenExchange({
        public_token: await emulator.createPublicToken({ webhook: capture.url }),
      })
    ).data.access_token
    const strangerDelivery = capture.next()
    await emulator.plaid.sandboxItemFireWebhook({
      access_token: strangerToken,
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE' as never,
    })
    const orphan = await deliver(await strangerDelivery)
    expect(orphan.statusCode).toBe(200)
    await eventually(async () => {
      const { rows } = await server.database.executeSql(
        'select state, outcome from webhook_events where id = $1',
        [orphan.json().event_id],
      )
      return (rows[0] as Json).state === 'orphaned' ? true : undefined
    }, 'orphan stored')
  })

  it('retries a failing handler, dead-letters it, stays up, and processes it once an admin re-drives it', async () => {
    emulator.sandbox.control.failNext({ endpoint: '/item/get', httpStatus: 500, times: 3 })
    await call('POST', '/api/plaid/sandbox/reset-login', manager)
    const dead = await eventually(async () => {
      const events = await eventsOf('ERROR')
      const last = events.at(-1)
      return last && last.state === 'dead' ? last : undefined
    }, 'dead-lettered ERROR')
    expect(dead).toMatchObject({ attempts: 3, last_error: expect.stringContaining('Plaid answered 500') })
    expect((await call('GET', '/healthz', null)).statusCode).toBe(200)
    expect((await status(manager)).item.status).toBe('good')

    const listed = (await call('GET', '/api/admin/webhooks?state=dead', admin)).json()
    expect(listed.events.map((event: Json) => event.id)).toEqual([dead.id])
    expect(listed.counts.dead).toBe(1)

    const redriven = await call('POST', `/api/admin/webhooks/${dead.id}/redrive`, admin)
    expect(redriven.json()).toEqual({ id: dead.id, state: 'queued' })
    expect((await call('POST', `/api/admin/webhooks/${dead.id}/redrive`, admin)).statusCode).toBe(409)
    await eventually(
      async () => ((await status(manager)).item.status === 'login_required' ? true : undefined),
      'redrive',
    )
    expect((await eventsOf('ERROR')).at(-1)).toMatchObject({ state: 'processed', attempts: 4 })
  })

  it('reconciles an Item whose webhook was lost', async () => {
    const token = await call('POST', '/api/plaid/link-token', manager)
    await drive(token.json().link_token, 'ins_109512', 'microdeposits_good')
    await eventually(
      async () => ((await status(manager)).item.status === 'good' ? true : undefined),
      'repaired',
    )

    emulator.sandbox.control.dropWebhooks(1)
    await emulator.plaid.sandboxItemResetLogin({ access_token: managerToken })
    expect((await status(manager)).item.status).toBe('good')
    expect((await call('POST', '/api/admin/webhooks/reconcile', manager)).statusCode).toBe(403)
    expect((await call('POST', '/api/admin/webhooks/reconcile', admin)).statusCode).toBe(202)
    await eventually(
      async () => ((await status(manager)).item.status === 'login_required' ? true : undefined),
      'reconciled',
    )
    const { rows } = await server.database.executeSql(
      "select count(*)::int as count from audit_events where action = 'plaid.item_reconciled'",
    )
    expect((rows[0] as { count: number }).count).toBeGreaterThanOrEqual(1)
  })

  it('revokes the Item and deletes its access token on USER_PERMISSION_REVOKED', async () => {
    await call('POST', '/api/plaid/sandbox/fire-webhook', signer, { webhook_code: 'USER_PERMISSION_REVOKED' })
    await settled('USER_PERMISSION_REVOKED')
    expect(await status(signer)).toMatchObject({
      connected: false,
      item: { status: 'revoked' },
      action: 'link',
    })
    expect((await itemRow(signer)).access_token_ciphertext).toBeNull()
    // Later notices about it are recorded and change nothing.
    await emulator.plaid.sandboxItemFireWebhook({
      access_token: signerToken,
      webhook_code: 'PENDING_DISCONNECT' as never,
    })
    await eventually(
      async () =>
        (await eventsOf('PENDING_DISCONNECT')).some((event) => event.outcome === 'item_revoked')
          ? true
          : undefined,
      'ignored',
    )
    expect((await status(signer)).item.status).toBe('revoked')
  })

  it('adds an Item status change from a webhook to the audit trail of the signing package that relies on it', async () => {
    const ok = async (method: 'GET' | 'POST', url: string, cookie: string, payload?: Json) => {
      const response = await call(method, url, cookie, payload)
      if (response.statusCode >= 300)
        throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
      return response.json()
    }
    const signing = await ok('POST', '/api/signings', manager, { title: 'Closing at 9 Birch Road' })
    await ok('POST', `/api/signings/${signing.id}/documents`, manager, {
      title: 'Payout instructions',
      kind: 'markdown',
      markdown: 'Funds go to the verified account.',
    })
    await ok('POST', `/api/signings/${signing.id}/signers`, manager, {
      legal_name: 'Pat Payee',
      email: 'pat.payee@example.test',
    })
    const activated = await ok('POST', `/api/signings/${signing.id}/activate`, manager)
    const linkToken = new URL(activated.invitations[0].url).pathname.split('/').at(-1)
    const opened = await call('POST', '/api/signing-links/open', null, { token: linkToken })
    const session = opened.cookies.find((entry) => entry.name === 'safeclose_session')
    const payee = `${session?.name}=${session?.value}`
    const flow = await ok('GET', '/api/signer/signing', payee)
    for (const document of flow.documents)
      await ok('POST', `/api/signer/signing/documents/${document.id}/reviewed`, payee, {})
    await link(payee, 'ins_109508', 'pass_good')
    await ok('POST', '/api/signer/signing/bank/account', payee, {
      account_id: (await status(payee)).item.accounts[0].account_id,
      link_session_id: 'link-session-webhook-test',
    })

    await ok('POST', '/api/plaid/sandbox/reset-login', payee)

    const recorded = await eventually(async () => {
      const trail = await ok('GET', `/api/signings/${signing.id}/audit`, manager)
      const change = trail.events.find((event: Json) => event.action === 'bank.item_status_changed')
      return change ? { trail, change } : undefined
    }, 'the status change in the signing audit trail')
    expect(recorded.change.details).toMatchObject({ status: 'login_required', webhook_code: 'ERROR' })
    expect(recorded.trail.verification).toMatchObject({ is_valid: true })
  })
  it('clears a pending disconnect when the login is repaired, even by a LOGIN_REPAIRED with the bytes of an earlier one', async () => {
    // A fresh Item of its own, so no earlier test's notices share its bytes.
    const unlinked = await server.app.inject({
      method: 'DELETE',
      url: '/api/plaid/item',
      headers: { cookie: signer },
    })
    expect(unlinked.statusCode).toBe(200)
    const token = await call('POST', '/api/plaid/link-token', signer)
    const publicToken = await drive(token.json().link_token, 'ins_109508', 'pass_good')
    await call('POST', '/api/plaid/exchange', signer, { public_token: publicToken })
    const fire = (code: string) =>
      call('POST', '/api/plaid/sandbox/fire-webhook', signer, { webhook_code: code })
    const lastCode = async () => (await itemRow(signer)).last_webhook_code

    await fire('LOGIN_REPAIRED')
    await eventually(async () => ((await lastCode()) === 'LOGIN_REPAIRED' ? true : undefined), 'first repair')
    await fire('PENDING_DISCONNECT')
    await eventually(
      async () => ((await status(signer)).item.status === 'pending_disconnect' ? true : undefined),
      'pending disconnect',
    )
    // Plaid's LOGIN_REPAIRED body names no time: this one repeats the first one's bytes exactly, so it is
    // not processed again but makes the Item be checked with Plaid, as a LOGIN_REPAIRED after the notice.
    expect((await fire('LOGIN_REPAIRED')).statusCode).toBe(200)
    await eventually(
      async () => ((await status(signer)).item.status === 'good' ? true : undefined),
      'the repaired Item',
    )
    expect(await status(signer)).toMatchObject({
      item: { status: 'good', consent_expires_at: null },
      action: null,
    })
  })
})
