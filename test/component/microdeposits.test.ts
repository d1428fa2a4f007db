import type { Products } from 'plaid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobAttemptHooks } from '../../server/jobs/queue.ts'
import type { PlaidGateway } from '../../server/modules/plaid/gateway.ts'
import { PAYOUT_NUMBERS_PURPOSE } from '../../server/modules/signing/payout-service.ts'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { DEMO } from '../helpers/build-app.ts'
import { jobsSettled } from '../helpers/jobs.ts'
import { createRecordingGateway, simulatedPlaidOutage } from '../helpers/plaid.ts'
import { activeReviewedPackage } from '../helpers/signer-package.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'
import { eventually } from '../system/webhook-harness.ts'

// Plaid's Same-Day sandbox numbers (plaid-sandbox/README.md, "Micro-deposits") and deposit code.
const SAME_DAY_ROUTING = '110000000'
const SAME_DAY_ACCOUNT = '1111222233330000'
// Instant Micro-deposits (ADR 0025): Windowpane Bank's routing number in Plaid's testing guide.
const INSTANT_ROUTING = '333333334'
const OWNER = 'Alberta Charleson'

type Body = JsonBody

/**
 * Micro-deposits in Safeclose (ADR 0018), through a listening server and the offline sandbox with
 * its signed webhooks: link tokens enable both fallbacks, a pending account keeps the signer on the
 * bank step, Same-Day is confirmed through update mode, AUTOMATICALLY_VERIFIED moves the step on and
 * VERIFICATION_EXPIRED back, the verdict is "needs review", and numbers are fetched only once verified.
 */
describe('micro-deposits', () => {
  let sandbox: SandboxWithSigningKey
  let server: TestServer
  let recorded: ReturnType<typeof createRecordingGateway>
  let manager: string
  /** Account ids whose Auth numbers the server asked Plaid for (/auth/get). */
  const authRequests: string[] = []
  /** /auth/get calls still to fail with a 500 (a Plaid outage). */
  let authOutages = 0
  /** Faults injected around job attempts (a worker dying after the job's work). */
  const jobFaults: JobAttemptHooks = {}

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
    recorded = createRecordingGateway(sandbox.url)
    const real = recorded.gateway
    const gateway: PlaidGateway = {
      ...real,
      async getAuthNumbers(connection, accessToken, accountId) {
        authRequests.push(accountId)
        if (authOutages > 0) {
          authOutages -= 1
          throw simulatedPlaidOutage()
        }
        return real.getAuthNumbers(connection, accessToken, accountId)
      },
    }
    server = await startTestServer({
      env: {
        PLAID_EMULATOR_URL: sandbox.url,
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
        WEBHOOK_RETRY_DELAY_SECONDS: '0',
      },
      plaidGateway: gateway,
      jobAttemptHooks: { afterAttempt: async (queue, job) => jobFaults.afterAttempt?.(queue, job) },
    })
    manager = await server.signIn(DEMO.manager)
  })
  afterAll(async () => {
    await server?.close()
    await sandbox?.close()
  })

  const { call, ok } = apiClient(() => server.app)

  /** The emulated Link's private API, as the Link frame calls it. */
  async function linkUi(path: string, body: Record<string, unknown>) {
    const response = await fetch(`${sandbox.url}/link/v2/stable/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as Body }
  }

  /** An active package with one signer who has reviewed the documents; the signer's session cookie. */
  function activePackage(email: string) {
    return activeReviewedPackage({ call, ok }, manager, { legalName: OWNER, email })
  }

  /** The signer's payout numbers as stored (decrypted), with the holder names stored beside them. */
  async function storedPayoutNumbers(signerId: string) {
    const { rows } = await server.database.executeSql(
      'select numbers_ciphertext, numbers_key_id, holder_names from signer_payout_numbers where signer_id = $1',
      [signerId],
    )
    const row = rows[0] as { numbers_ciphertext: string; numbers_key_id: string; holder_names: unknown }
    const numbers: unknown = JSON.parse(
      server.keyring.decrypt(
        { keyId: row.numbers_key_id, ciphertext: row.numbers_ciphertext },
        { purpose: PAYOUT_NUMBERS_PURPOSE, rowId: signerId },
      ),
    )
    return { holderNames: row.holder_names, numbers }
  }

  /** The manager sees "needs review" on the signer and accepts the account: the signer may sign. */
  async function acceptAndExpectSign(pkg: { id: string; signerId: string; signer: string }, view: Body) {
    const signerView = view.signers.find((entry: Body) => entry.id === pkg.signerId)
    expect(signerView.bank).toMatchObject({ verdict: 'needs_review', acceptance_required: true })
    await ok('POST', `/api/signings/${pkg.id}/signers/${pkg.signerId}/ownership-review`, manager, {
      decision: 'accept',
      note: 'Called the signer on the number on file; the account is theirs.',
    })
    expect((await ok('GET', '/api/signer/signing', pkg.signer)).step).toBe('sign')
  }

  /** Same-Day through Safeclose's own link token: the signer types the numbers in Link. */
  async function linkSameDay(cookie: string) {
    const token = await ok('POST', '/api/plaid/link-token', cookie, {})
    const started = await linkUi('session/start', { link_token: token.link_token })
    expect(started.body.manual_entry).not.toBeNull()
    const linked = await linkUi('numbers/submit', {
      link_token: token.link_token,
      link_session_id: started.body.link_session_id,
      routing_number: SAME_DAY_ROUTING,
      account_number: SAME_DAY_ACCOUNT,
      name: OWNER,
      account_subtype: 'checking',
    })
    expect(linked.status).toBe(200)
    await ok('POST', '/api/plaid/exchange', cookie, { public_token: linked.body.public_token })
    const status = await ok('GET', '/api/plaid/status', cookie)
    return status.item.accounts[0] as Body
  }

  /** Automated micro-deposits at Houndstooth, with webhooks to this server. */
  async function linkAutomated(cookie: string) {
    const created = await sandbox.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109512',
      initial_products: ['auth' as Products],
      options: {
        webhook: `${server.url}/api/webhooks/plaid`,
        override_username: 'user_good',
        override_password: 'microdeposits_good',
      },
    })
    await ok('POST', '/api/plaid/exchange', cookie, { public_token: created.data.public_token })
    const status = await ok('GET', '/api/plaid/status', cookie)
    return { itemId: status.item.item_id as string, account: status.item.accounts[0] as Body }
  }

  async function trail(id: string) {
    return (await ok('GET', `/api/signings/${id}/audit`, manager)).events as Array<{
      action: string
      details: Record<string, unknown>
    }>
  }

  async function processed(itemId: string, code: string) {
    await sandbox.sandbox.control.flushWebhooks()
    await eventually(async () => {
      const { rows } = await server.database.executeSql(
        'select state from webhook_events where plaid_item_id = $1 and webhook_code = $2',
        [itemId, code],
      )
      const events = rows as Array<{ state: string }>
      return events.length > 0 && events.every((event) => event.state === 'processed') ? true : undefined
    }, `${code} processed`)
    // The signing checks are jobs queued with the event's effect.
    await jobsSettled(server.database)
  }

  it('link tokens enable Same-Day, Automated and Instant micro-deposits in Link', async () => {
    const pkg = await activePackage('options@example.test')
    const token = await ok('POST', '/api/plaid/link-token', pkg.signer, {})
    const started = await linkUi('session/start', { link_token: token.link_token })
    // Same-Day: Link offers "Link with account numbers" (asking the name: no legal_name is sent).
    expect(started.body.manual_entry).toEqual({ asks_name: true })
    // Instant: Windowpane Bank (and an instant routing number typed in) gets the deposit at once.
    expect(started.body.instant_microdeposits).toEqual({ asks_name: true, institution_ids: ['ins_135858'] })
    // Automated: Houndstooth's micro-deposit account is offered instead of NO_AUTH_ACCOUNTS.
    const submitted = await linkUi('credentials/submit', {
      link_token: token.link_token,
      link_session_id: started.body.link_session_id,
      institution_id: 'ins_109512',
      username: 'user_good',
      password: 'microdeposits_good',
    })
    expect(submitted.status).toBe(200)
    expect(submitted.body.next).toBe('accounts')
    // Update mode for an existing Item carries no products (and so no micro-deposit entry point).
    await linkSameDay(pkg.signer)
    const update = await ok('POST', '/api/plaid/link-token', pkg.signer, { mode: 'update' })
    expect(update.mode).toBe('update')
    const updateSession = await linkUi('session/start', { link_token: update.link_token })
    expect(updateSession.body.mode).toBe('update')
    expect(updateSession.body.manual_entry).toBeNull()
    expect(updateSession.body.instant_microdeposits).toBeNull()
  })

  it('Instant: the code entered in the same Link session verifies at once; numbers fetched then; a manager must accept', async () => {
    const pkg = await activePackage('instant@example.test')
    const token = await ok('POST', '/api/plaid/link-token', pkg.signer, {})
    const started = await linkUi('session/start', { link_token: token.link_token })
    const ids = { link_token: token.link_token, link_session_id: started.body.link_session_id }
    const sent = await linkUi('numbers/submit', {
      ...ids,
      routing_number: INSTANT_ROUTING,
      account_number: SAME_DAY_ACCOUNT,
      name: OWNER,
      account_subtype: 'checking',
    })
    expect(sent.body).toMatchObject({ flow: 'instant', deposit: { mask: '0000', attempts_remaining: 3 } })
    expect((await linkUi('instant-microdeposits/verify', { ...ids, code: 'XYZ' })).body).toMatchObject({
      verified: false,
      deposit: { attempts_remaining: 2 },
    })
    const verified = await linkUi('instant-microdeposits/verify', { ...ids, code: 'ABC' })
    expect(verified.body).toMatchObject({
      verified: true,
      institution: null,
      accounts: [{ verification_status: 'manually_verified' }],
    })

    // Link's onSuccess → the page exchanges the token: the account is verified already.
    await ok('POST', '/api/plaid/exchange', pkg.signer, { public_token: verified.body.public_token })
    const status = await ok('GET', '/api/plaid/status', pkg.signer)
    const account = status.item.accounts[0] as Body
    expect(account).toMatchObject({ mask: '0000', verification_status: 'manually_verified' })
    expect(status.item.institution_id).toBeNull()

    const before = authRequests.length
    const chosen = await ok('POST', '/api/signer/signing/bank/account', pkg.signer, {
      account_id: account.account_id,
    })
    // Verified, so the numbers are fetched with the choice; but no identity data: a manager must accept.
    expect(authRequests.slice(before)).toEqual([account.account_id])
    expect(chosen.step).toBe('bank')
    expect(chosen.bank).toMatchObject({
      verification: 'verified',
      account_verification_status: 'manually_verified',
      verdict: 'needs_review',
      acceptance_required: true,
      name_score: null,
    })
    expect(chosen.bank.verdict_reason).toMatch(/micro-deposits/)
    const events = await trail(pkg.id)
    expect(events.find((event) => event.action === 'bank.linked')?.details).toMatchObject({
      verification_status: 'manually_verified',
      auth_numbers_stored: true,
    })
    expect(events.find((event) => event.action === 'bank.ownership_checked')?.details).toMatchObject({
      verdict: 'needs_review',
      verdict_reason: 'micro_deposits_no_identity',
    })
    expect(JSON.stringify(events)).not.toContain(SAME_DAY_ACCOUNT)

    const view = await ok('GET', `/api/signings/${pkg.id}`, manager)
    expect(view.payout_numbers).toEqual([
      expect.objectContaining({
        signer_id: pkg.signerId,
        account_mask: '0000',
        routing_mask: '3334',
        verification_method: 'instant_micro_deposits',
      }),
    ])
    const stored = await storedPayoutNumbers(pkg.signerId)
    expect(stored.holderNames).toEqual([])
    expect(stored.numbers).toMatchObject({ account: SAME_DAY_ACCOUNT, routing: INSTANT_ROUTING })
    // A refresh finds nothing to change and asks for no numbers again.
    await ok('POST', '/api/plaid/accounts/refresh', pkg.signer, {})
    expect(authRequests.slice(before)).toEqual([account.account_id])

    await acceptAndExpectSign(pkg, view)
  })

  it('Same-Day: pending until the code is confirmed in update mode; numbers only then; a manager must accept', async () => {
    const pkg = await activePackage('same-day@example.test')
    const account = await linkSameDay(pkg.signer)
    expect(account.verification_status).toBe('pending_manual_verification')

    const before = authRequests.length
    const chosen = await ok('POST', '/api/signer/signing/bank/account', pkg.signer, {
      account_id: account.account_id,
    })
    // Pending is not verified: the signer stays on the bank step, and Plaid is not asked for numbers.
    expect(chosen.step).toBe('bank')
    expect(chosen.bank).toMatchObject({
      verification: 'pending_manual',
      account_verification_status: 'pending_manual_verification',
      verdict: 'needs_review',
      acceptance_required: true,
      name_score: null,
    })
    expect(chosen.bank.verdict_reason).toMatch(/micro-deposits/)
    expect(authRequests.length).toBe(before)
    expect((await ok('GET', `/api/signings/${pkg.id}`, manager)).payout_numbers).toEqual([])
    const linked = (await trail(pkg.id)).find((event) => event.action === 'bank.linked')
    expect(linked?.details).toMatchObject({
      verification_status: 'pending_manual_verification',
      auth_numbers_stored: false,
    })
    const checked = (await trail(pkg.id)).find((event) => event.action === 'bank.ownership_checked')
    expect(checked?.details).toMatchObject({
      verdict: 'needs_review',
      verdict_reason: 'micro_deposits_no_identity',
    })

    // Back to confirm the deposit code: an update-mode token for the Same-Day Item.
    const update = await ok('POST', '/api/plaid/link-token', pkg.signer, { mode: 'update' })
    expect(update.mode).toBe('update')
    const session = await linkUi('session/start', { link_token: update.link_token })
    expect(session.body.update.microdeposit).toMatchObject({ attempts_remaining: 3 })
    const verified = await linkUi('microdeposits/verify', {
      link_token: update.link_token,
      link_session_id: session.body.link_session_id,
      code: 'ABC',
    })
    expect(verified.body.verified).toBe(true)

    // Link's onSuccess → the page asks for the accounts again: verified, numbers fetched and stored.
    const refreshed = await ok('POST', '/api/plaid/accounts/refresh', pkg.signer, {})
    expect(refreshed.item.accounts[0].verification_status).toBe('manually_verified')
    // Signing applies the change in a job queued with it.
    await jobsSettled(server.database)
    expect(authRequests.slice(before)).toEqual([account.account_id])
    const flow = await ok('GET', '/api/signer/signing', pkg.signer)
    expect(flow.bank).toMatchObject({ verification: 'verified', acceptance_required: true })
    // Still the bank step: nothing ties the typed numbers to the signer until a manager accepts.
    expect(flow.step).toBe('bank')
    const view = await ok('GET', `/api/signings/${pkg.id}`, manager)
    expect(view.payout_numbers).toEqual([
      expect.objectContaining({
        signer_id: pkg.signerId,
        account_mask: '0000',
        routing_mask: '0000',
        verification_method: 'same_day_micro_deposits',
      }),
    ])
    expect((await storedPayoutNumbers(pkg.signerId)).numbers).toMatchObject({
      account: SAME_DAY_ACCOUNT,
      routing: SAME_DAY_ROUTING,
    })
    const events = await trail(pkg.id)
    expect(events.find((event) => event.action === 'bank.account_verified')?.details).toMatchObject({
      verification_status_from: 'pending_manual_verification',
      verification_status: 'manually_verified',
      auth_numbers_stored: true,
    })
    expect(JSON.stringify(events)).not.toContain(SAME_DAY_ACCOUNT)
    // A second refresh changes nothing and asks for no numbers again.
    await ok('POST', '/api/plaid/accounts/refresh', pkg.signer, {})
    await jobsSettled(server.database)
    expect(authRequests.slice(before)).toEqual([account.account_id])

    // The manager sees "needs review" and accepts: the signer may sign.
    await acceptAndExpectSign(pkg, view)
  })

  it('Automated: AUTOMATICALLY_VERIFIED moves the step on and fetches the numbers then', async () => {
    const pkg = await activePackage('automated@example.test')
    const { itemId, account } = await linkAutomated(pkg.signer)
    expect(account.verification_status).toBe('pending_automatic_verification')
    const before = authRequests.length
    const chosen = await ok('POST', '/api/signer/signing/bank/account', pkg.signer, {
      account_id: account.account_id,
    })
    expect(chosen.step).toBe('bank')
    expect(chosen.bank.verification).toBe('pending_automatic')
    expect(authRequests.length).toBe(before)
    // The lab's masks: Plaid has no numbers yet.
    expect(await ok('GET', '/api/plaid/auth-numbers', pkg.signer)).toEqual({
      accounts: [],
      error_code: 'PRODUCT_NOT_READY',
    })

    await ok('POST', '/api/plaid/sandbox/set-verification-status', pkg.signer, {
      account_id: account.account_id,
      verification_status: 'automatically_verified',
    })
    await processed(itemId, 'AUTOMATICALLY_VERIFIED')
    const flow = await ok('GET', '/api/signer/signing', pkg.signer)
    expect(flow.bank.verification).toBe('verified')
    expect(flow.bank.account_verification_status).toBe('automatically_verified')
    expect(authRequests.slice(before)).toEqual([account.account_id])
    if (!flow.bank.acceptance_required) expect(flow.step).toBe('sign')
    const view = await ok('GET', `/api/signings/${pkg.id}`, manager)
    expect(view.payout_numbers).toEqual([
      expect.objectContaining({
        signer_id: pkg.signerId,
        verification_method: 'automated_micro_deposits',
      }),
    ])
    const masks = await ok('GET', '/api/plaid/auth-numbers', pkg.signer)
    expect(masks.error_code).toBeNull()
    expect(masks.accounts).toEqual([
      expect.objectContaining({
        account_id: account.account_id,
        account_mask: expect.stringMatching(/^\d{4}$/),
        routing_mask: expect.stringMatching(/^\d{4}$/),
        verification_status: 'automatically_verified',
      }),
    ])
    expect(
      (await trail(pkg.id)).find((event) => event.action === 'bank.account_verified')?.details,
    ).toMatchObject({ verification_status: 'automatically_verified', auth_numbers_stored: true })
  })

  it('Automated: fetches the numbers after a Plaid outage and a worker crash, once (a durable job)', async () => {
    const pkg = await activePackage('automated-durable@example.test')
    const { itemId, account } = await linkAutomated(pkg.signer)
    await ok('POST', '/api/signer/signing/bank/account', pkg.signer, { account_id: account.account_id })
    const before = authRequests.length
    // Attempt 1: Plaid is down while the numbers are fetched. Attempt 2 stores them and commits, and
    // the worker dies before the job is marked done. Attempt 3 must change nothing.
    authOutages = 1
    let crashes = 0
    jobFaults.afterAttempt = async (queue, job) => {
      if (queue === 'plaid-item-event-applied' && job.retryCount === 1) {
        crashes += 1
        throw new Error('simulated crash before the job was marked done')
      }
    }
    try {
      await ok('POST', '/api/plaid/sandbox/set-verification-status', pkg.signer, {
        account_id: account.account_id,
        verification_status: 'automatically_verified',
      })
      await processed(itemId, 'AUTOMATICALLY_VERIFIED')
    } finally {
      authOutages = 0
      jobFaults.afterAttempt = undefined
    }
    expect(crashes).toBe(1)
    const { rows } = await server.database.executeSql(
      "select state, retry_count from pgboss.job where name = 'plaid-item-event-applied' and data->>'plaidItemId' = $1",
      [itemId],
    )
    expect(rows).toEqual([{ state: 'completed', retry_count: 2 }])
    // One failed fetch, one that stored the numbers, none on the third attempt.
    expect(authRequests.slice(before)).toEqual([account.account_id, account.account_id])
    const view = await ok('GET', `/api/signings/${pkg.id}`, manager)
    expect(view.payout_numbers).toEqual([
      expect.objectContaining({ signer_id: pkg.signerId, verification_method: 'automated_micro_deposits' }),
    ])
    const verified = (await trail(pkg.id)).filter((event) => event.action === 'bank.account_verified')
    expect(verified).toHaveLength(1)
    expect(verified[0]?.details).toMatchObject({ auth_numbers_stored: true })
  })

  it('Automated: VERIFICATION_EXPIRED moves the step back and a failed account cannot be chosen', async () => {
    const pkg = await activePackage('expired@example.test')
    const { itemId, account } = await linkAutomated(pkg.signer)
    await ok('POST', '/api/signer/signing/bank/account', pkg.signer, { account_id: account.account_id })
    await ok('POST', '/api/plaid/sandbox/set-verification-status', pkg.signer, {
      account_id: account.account_id,
      verification_status: 'verification_expired',
    })
    await processed(itemId, 'VERIFICATION_EXPIRED')
    const flow = await ok('GET', '/api/signer/signing', pkg.signer)
    expect(flow.step).toBe('bank')
    expect(flow.bank).toMatchObject({
      verification: 'failed',
      account_verification_status: 'verification_expired',
    })
    expect((await ok('GET', `/api/signings/${pkg.id}`, manager)).payout_numbers).toEqual([])
    expect(
      (await trail(pkg.id)).find((event) => event.action === 'bank.verification_changed')?.details,
    ).toMatchObject({ verification_status: 'verification_expired', auth_numbers_stored: false })
    const again = await call('POST', '/api/signer/signing/bank/account', pkg.signer, {
      account_id: account.account_id,
    })
    expect(again.statusCode).toBe(409)
  })

  it('refuses the verification tool for unknown fields and without a session', async () => {
    const pkg = await activePackage('tool@example.test')
    expect(
      (
        await call('POST', '/api/plaid/sandbox/set-verification-status', null, {
          account_id: 'a',
          verification_status: 'automatically_verified',
        })
      ).statusCode,
    ).toBe(401)
    const bad = await call('POST', '/api/plaid/sandbox/set-verification-status', pkg.signer, {
      account_id: 'a',
      verification_status: 'manually_verified',
    })
    expect(bad.statusCode).toBe(400)
    const noItem = await call('POST', '/api/plaid/sandbox/set-verification-status', pkg.signer, {
      account_id: 'a',
      verification_status: 'automatically_verified',
    })
    expect(noItem.statusCode).toBe(409)
  })

  // Last: it switches the demo workspace to Plaid production.
  it('refuses the verification tool in production', async () => {
    const pkg = await activePackage('production@example.test')
    const { account } = await linkAutomated(pkg.signer)
    const admin = await server.signIn(DEMO.admin)
    await ok('PUT', '/api/admin/plaid-settings', admin, {
      environment: 'production',
      client_id: 'client_live',
      secret: 'live-secret-never-used-here',
      webhook_base_url: server.url,
    })
    const refused = await call('POST', '/api/plaid/sandbox/set-verification-status', pkg.signer, {
      account_id: account.account_id,
      verification_status: 'automatically_verified',
    })
    expect(refused.statusCode).toBe(403)
    expect(refused.json().error.code).toBe('FORBIDDEN')
  })
})
