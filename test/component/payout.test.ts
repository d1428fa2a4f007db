import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import type { Products } from 'plaid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobAttemptHooks } from '../../server/jobs/queue.ts'
import { loggerOptions } from '../../server/logger.ts'
import { insertMembership, insertUser } from '../../server/modules/auth/repository.ts'
import type { PlaidGateway } from '../../server/modules/plaid/gateway.ts'
import {
  OBSERVED_NUMBERS_PURPOSE,
  PAYOUT_NUMBERS_PURPOSE,
  rotateStoredPayoutNumbers,
} from '../../server/modules/signing/payout-service.ts'
import { insertWorkspace } from '../../server/modules/workspace/repository.ts'
import { createKeyring, generateKeyEntry } from '../../server/security/keyring.ts'
import type { HttpMethod, JsonBody } from '../helpers/api-client.ts'
import { DEMO, TEST_KEYRING } from '../helpers/build-app.ts'
import { jobsSettled } from '../helpers/jobs.ts'
import { createRecordingGateway, simulatedPlaidOutage } from '../helpers/plaid.ts'
import { activeReviewedPackage } from '../helpers/signer-package.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'
import { eventually } from '../system/webhook-harness.ts'

// The emulator's identity data belongs to "Alberta Bobbeth Charleson" (Plaid's user_good).
const OWNER = 'Alberta Charleson'
// The sandbox's "Plaid Checking" Auth numbers (plaid-sandbox/src/fixtures/accounts.ts).
const ACCOUNT = '1111222233330000'
const ROUTING = '011401533'
const CHANGED_ACCOUNT = '9999888877776666'
const SECOND_CHANGED_ACCOUNT = '5555444433332222'
const MINUTE = 60_000

type Body = JsonBody

/**
 * Payout-grade verification (ADR 0017) through a real listening server, the offline sandbox and its
 * signed webhooks: Auth numbers stored encrypted and shown only by the reveal after re-authentication,
 * the instruction frozen at completion, and one payout alert per change afterwards.
 */
describe('payout numbers, reveal and alerts', () => {
  let sandbox: SandboxWithSigningKey
  let server: TestServer
  let recorded: ReturnType<typeof createRecordingGateway>
  let logs = ''
  let clockOffsetMs = 0
  /** Account numbers the gateway reports instead of Plaid's, per access token (a bank changed them). */
  const numbersOverride = new Map<string, string>()
  /** Plaid /auth/get calls still to fail with a 500 (an outage while a payout check re-fetches). */
  let authOutages = 0
  /** Faults injected around job attempts (a worker dying before or after the job's work). */
  const jobFaults: JobAttemptHooks = {}
  /** Every response body except the reveal's, scanned for numbers at the end. */
  const responses: string[] = []
  let manager: string
  let admin: string
  let demoSigner: string

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
    recorded = createRecordingGateway(sandbox.url)
    const real = recorded.gateway
    const gateway: PlaidGateway = {
      ...real,
      async getAuthNumbers(connection, accessToken, accountId) {
        if (authOutages > 0) {
          authOutages -= 1
          throw simulatedPlaidOutage()
        }
        const numbers = await real.getAuthNumbers(connection, accessToken, accountId)
        const override = numbersOverride.get(accessToken)
        return numbers && override ? { ...numbers, account: override } : numbers
      },
    }
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs += chunk.toString()
        done()
      },
    })
    server = await startTestServer({
      env: {
        PLAID_EMULATOR_URL: sandbox.url,
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
        WEBHOOK_RETRY_DELAY_SECONDS: '0',
      },
      logger: pino(loggerOptions('debug'), sink),
      plaidGateway: gateway,
      now: () => new Date(Date.now() + clockOffsetMs),
      jobAttemptHooks: {
        beforeAttempt: async (queue, job) => jobFaults.beforeAttempt?.(queue, job),
        afterAttempt: async (queue, job) => jobFaults.afterAttempt?.(queue, job),
      },
    })
    ;[manager, admin, demoSigner] = await Promise.all([
      server.signIn(DEMO.manager),
      server.signIn(DEMO.admin),
      server.signIn(DEMO.signer),
    ])
  })
  afterAll(async () => {
    await server?.close()
    await sandbox?.close()
  })

  async function call(method: HttpMethod, url: string, cookie: string | null, payload?: unknown) {
    const response = await server.app.inject({
      method,
      url,
      headers: { 'user-agent': 'payout-test/1.0', ...(cookie ? { cookie } : {}) },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    if (!url.endsWith('/payout/reveal')) responses.push(response.body)
    return response
  }
  async function ok(method: HttpMethod, url: string, cookie: string, payload?: unknown): Promise<Body> {
    const response = await call(method, url, cookie, payload)
    if (response.statusCode >= 300)
      throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
    return response.json()
  }

  /** An active package with one signer who has reviewed the documents; the signer's session cookie. */
  function activePackage(email: string) {
    return activeReviewedPackage({ call, ok }, manager, { legalName: OWNER, email })
  }

  /** Links a sandbox Item whose webhooks come to this server; returns its access token. */
  async function linkItem(cookie: string): Promise<string> {
    const created = await sandbox.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: ['auth' as Products],
      options: { webhook: `${server.url}/api/webhooks/plaid` },
    })
    await ok('POST', '/api/plaid/exchange', cookie, { public_token: created.data.public_token })
    return recorded.accessTokens.at(-1) as string
  }

  async function chooseFirstAccount(cookie: string) {
    const status = await ok('GET', '/api/plaid/status', cookie)
    const account = status.item.accounts[0]
    await ok('POST', '/api/signer/signing/bank/account', cookie, { account_id: account.account_id })
    return { itemId: status.item.item_id as string, accountId: account.account_id as string }
  }

  /** A completed package whose signer verified the sandbox's checking account. */
  async function completedPackage(email: string) {
    const pkg = await activePackage(email)
    const accessToken = await linkItem(pkg.signer)
    const chosen = await chooseFirstAccount(pkg.signer)
    await ok('POST', '/api/signer/signing/sign', pkg.signer, { typed_name: OWNER, consent: true })
    return { ...pkg, ...chosen, accessToken }
  }

  async function trail(id: string) {
    return (await ok('GET', `/api/signings/${id}/audit`, manager)).events as Array<{
      action: string
      details: Record<string, unknown>
      subject_id: string
      ip_address: string | null
      user_agent: string | null
      actor: { user_id: string | null } | null
    }>
  }

  const alertsOf = async (id: string) =>
    (await ok('GET', `/api/signings/${id}`, manager)).payout_alerts as Body[]

  /**
   * Waits until `deliveries` webhooks with this code for this Item arrived (a byte-identical redelivery
   * counts on its first event) and every event is processed.
   */
  async function processed(itemId: string, code: string, deliveries: number) {
    await eventually(async () => {
      const { rows } = await server.database.executeSql(
        'select state, delivery_count from webhook_events where plaid_item_id = $1 and webhook_code = $2',
        [itemId, code],
      )
      const events = rows as Array<{ state: string; delivery_count: number }>
      const delivered = events.reduce((sum, event) => sum + event.delivery_count, 0)
      return delivered >= deliveries &&
        events.every((event) => event.state !== 'queued' && event.state !== 'retrying')
        ? true
        : undefined
    }, `${deliveries} × ${code} processed`)
    // The payout checks are jobs queued with the event's effect.
    await jobsSettled(server.database)
  }

  async function fire(accessToken: string, code: string, type?: string) {
    await sandbox.plaid.sandboxItemFireWebhook({
      access_token: accessToken,
      webhook_code: code as never,
      ...(type ? { webhook_type: type as never } : {}),
    })
    await sandbox.sandbox.control.flushWebhooks()
  }

  describe('Auth numbers', () => {
    it('stores the chosen account’s numbers encrypted, bound to the signer, and shows only masks', async () => {
      const pkg = await activePackage('numbers@example.test')
      await linkItem(pkg.signer)
      await chooseFirstAccount(pkg.signer)
      const { rows } = await server.database.executeSql(
        'select numbers_ciphertext, numbers_key_id, account_mask, routing_mask, verification_method, is_tokenized_account_number, holder_names from signer_payout_numbers where signer_id = $1',
        [pkg.signerId],
      )
      const row = rows[0] as Record<string, string>
      expect(row.numbers_ciphertext).not.toContain(ACCOUNT)
      expect(row).toMatchObject({
        account_mask: '0000',
        routing_mask: '1533',
        verification_method: 'instant_auth',
      })
      const clear = JSON.parse(
        server.keyring.decrypt(
          { keyId: row.numbers_key_id as string, ciphertext: row.numbers_ciphertext as string },
          { purpose: PAYOUT_NUMBERS_PURPOSE, rowId: pkg.signerId },
        ),
      )
      expect(clear).toMatchObject({ account: ACCOUNT, routing: ROUTING })
      // Bound to its row: the same ciphertext under another signer's id does not decrypt.
      expect(() =>
        server.keyring.decrypt(
          { keyId: row.numbers_key_id as string, ciphertext: row.numbers_ciphertext as string },
          { purpose: PAYOUT_NUMBERS_PURPOSE, rowId: pkg.id },
        ),
      ).toThrow()

      const view = await ok('GET', `/api/signings/${pkg.id}`, manager)
      expect(view.payout_numbers).toEqual([
        expect.objectContaining({ signer_id: pkg.signerId, account_mask: '0000', routing_mask: '1533' }),
      ])
      // The holder names Plaid returned reach the manager, who judges a name mismatch by them.
      const holderNames = row.holder_names as unknown as string[]
      expect(holderNames.length).toBeGreaterThan(0)
      expect(view.payout_numbers[0].holder_names).toEqual(holderNames)
      const linked = (await trail(pkg.id)).find((event) => event.action === 'bank.linked')
      expect(linked?.details).toMatchObject({
        auth_numbers_stored: true,
        verification_method: 'instant_auth',
      })
    })
  })

  describe('reveal', () => {
    it('answers only managers of the package, after a recent authentication, and logs each reveal', async () => {
      const pkg = await completedPackage('reveal@example.test')
      const url = `/api/signings/${pkg.id}/signers/${pkg.signerId}/payout/reveal`

      // Signers (this one and the demo signer) and anonymous callers never get the numbers.
      expect((await call('POST', url, pkg.signer, {})).statusCode).toBe(403)
      expect((await call('POST', url, demoSigner, {})).statusCode).toBe(403)
      expect((await call('POST', url, null, {})).statusCode).toBe(401)

      // A fresh sign-in counts as a recent authentication.
      const fresh = await server.signIn(DEMO.manager)
      const revealed = await call('POST', url, fresh, {})
      expect(revealed.statusCode).toBe(200)
      expect(revealed.headers['cache-control']).toBe('no-store')
      expect(revealed.json()).toEqual({
        account: ACCOUNT,
        routing: ROUTING,
        wire_routing: expect.any(String),
        mask: '0000',
        institution_name: expect.any(String),
        holder_names: expect.arrayContaining([expect.stringContaining('Alberta')]),
        verification_method: 'instant_auth',
        is_tokenized_account_number: null,
      })

      // Another package's path with this signer, and another workspace: 404.
      const other = await activePackage('reveal-other@example.test')
      expect(
        (await call('POST', `/api/signings/${other.id}/signers/${pkg.signerId}/payout/reveal`, fresh, {}))
          .statusCode,
      ).toBe(404)
      const { rows } = await server.database.executeSql('select password_hash from users where email = $1', [
        DEMO.manager,
      ])
      const workspace = await insertWorkspace(server.database.db, 'Other Title Co')
      const stranger = await insertUser(server.database.db, {
        email: 'payout-stranger@example.test',
        name: 'Sam Stranger',
        passwordHash: (rows[0] as { password_hash: string }).password_hash,
      })
      await insertMembership(server.database.db, {
        userId: stranger.id,
        workspaceId: workspace.id,
        role: 'manager',
      })
      const strangerCookie = await server.signIn('payout-stranger@example.test')
      const foreign = await call('POST', url, strangerCookie, {})
      expect(foreign.statusCode).toBe(404)

      try {
        // Six minutes later the sign-in is no longer recent.
        clockOffsetMs = 6 * MINUTE
        const stale = await call('POST', url, fresh, {})
        expect(stale.statusCode).toBe(403)
        expect(stale.json().error.code).toBe('REAUTH_REQUIRED')
        // Re-entering the password opens five minutes.
        await ok('POST', '/api/auth/reauth', fresh, { password: DEMO.password })
        clockOffsetMs = 10 * MINUTE
        expect((await call('POST', url, fresh, {})).statusCode).toBe(200)
        clockOffsetMs = 12 * MINUTE
        const after = await call('POST', url, fresh, {})
        expect(after.statusCode).toBe(403)
        expect(after.json().error.code).toBe('REAUTH_REQUIRED')
      } finally {
        clockOffsetMs = 0
      }

      const reveals = (await trail(pkg.id)).filter((event) => event.action === 'bank.numbers_revealed')
      expect(reveals).toHaveLength(2)
      expect(reveals[0]).toMatchObject({
        subject_id: pkg.signerId,
        ip_address: expect.any(String),
        user_agent: 'payout-test/1.0',
        actor: expect.objectContaining({ type: 'member' }),
      })
      expect(JSON.stringify(reveals)).not.toContain(ACCOUNT)
    })
  })

  describe('locked instruction and alerts', () => {
    it('freezes the verified instruction in the chain when the package completes (masks only)', async () => {
      const pkg = await completedPackage('locked@example.test')
      const locked = (await trail(pkg.id)).filter((event) => event.action === 'payout.instruction_locked')
      expect(locked).toHaveLength(1)
      expect(locked[0]?.details).toMatchObject({
        signer_id: pkg.signerId,
        holder_names: expect.arrayContaining([expect.stringContaining('Alberta')]),
        account_mask: '0000',
        routing_mask: '1533',
        verification_method: 'instant_auth',
        verdict: 'verified',
        review: null,
      })
      const view = await ok('GET', `/api/signings/${pkg.id}`, manager)
      expect(view.payout_instructions).toEqual([
        expect.objectContaining({ signer_id: pkg.signerId, account_mask: '0000' }),
      ])
      expect(view.payout_alerts).toEqual([])
    })

    it('prints the frozen instructions on a "Verified payout instructions" page of the sealed PDF', async () => {
      const pkg = await completedPackage('printed@example.test')
      const sealed = await eventually(async () => {
        const response = await call('GET', `/api/signings/${pkg.id}/sealed.pdf`, manager)
        return response.statusCode === 200 ? response.rawPayload : undefined
      }, 'the sealed PDF')
      const dir = mkdtempSync(path.join(tmpdir(), 'safeclose-payout-pdf-'))
      try {
        const file = path.join(dir, 'sealed.pdf')
        writeFileSync(file, sealed)
        const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
        expect(text).toContain('Verified payout instructions')
        expect(text).toContain('••0000')
        expect(text).toContain('routing ••1533')
        expect(text).not.toContain(ACCOUNT)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }, 60_000)

    it.each([
      ['USER_PERMISSION_REVOKED', 'permission_revoked'],
      ['PENDING_DISCONNECT', 'pending_disconnect'],
      ['NEW_ACCOUNTS_AVAILABLE', 'new_accounts_available'],
      ['USER_ACCOUNT_REVOKED', 'account_revoked'],
    ])('raises exactly one alert for %s, however often it arrives', async (code, reason) => {
      const pkg = await completedPackage(`${code.toLowerCase()}@example.test`)
      await fire(pkg.accessToken, code)
      await processed(pkg.itemId, code, 1)
      // The same notice again is no new change (for a revoked Item, nothing is applied any more).
      await fire(pkg.accessToken, code)
      await processed(pkg.itemId, code, 2)
      const alerts = await alertsOf(pkg.id)
      expect(alerts).toEqual([
        expect.objectContaining({
          signer_id: pkg.signerId,
          reason,
          resolved_at: null,
          resolved_by: null,
          note: null,
        }),
      ])
      const raised = (await trail(pkg.id)).filter((event) => event.action === 'payout.alert_raised')
      expect(raised).toHaveLength(1)
      expect(raised[0]?.details).toMatchObject({ reason, account_mask: '0000' })
    })

    it('raises one alert when the bank asks the signer to sign in again (ITEM_LOGIN_REQUIRED)', async () => {
      const pkg = await completedPackage('login@example.test')
      await sandbox.plaid.sandboxItemResetLogin({ access_token: pkg.accessToken })
      await sandbox.sandbox.control.flushWebhooks()
      await processed(pkg.itemId, 'ERROR', 1)
      // Redelivery of the same signed body is the same event.
      expect(await alertsOf(pkg.id)).toEqual([expect.objectContaining({ reason: 'login_required' })])
    })

    it('raises one alert for PENDING_EXPIRATION, and none for its redelivery', async () => {
      const pkg = await completedPackage('expiring@example.test')
      const signed = await sandbox.sign({
        webhook_type: 'ITEM',
        webhook_code: 'PENDING_EXPIRATION',
        item_id: pkg.itemId,
        consent_expiration_time: new Date(Date.now() + 6 * 24 * 3_600_000).toISOString(),
      })
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const response = await server.app.inject({
          method: 'POST',
          url: '/api/webhooks/plaid',
          headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
          payload: signed.body,
        })
        expect(response.statusCode).toBe(200)
      }
      await processed(pkg.itemId, 'PENDING_EXPIRATION', 1)
      expect(await alertsOf(pkg.id)).toEqual([expect.objectContaining({ reason: 'pending_expiration' })])
    })

    it('re-fetches the numbers on Auth DEFAULT_UPDATE and raises one alert only when they changed', async () => {
      const same = await completedPackage('default-update-same@example.test')
      await fire(same.accessToken, 'DEFAULT_UPDATE', 'AUTH')
      await processed(same.itemId, 'DEFAULT_UPDATE', 1)
      expect(await alertsOf(same.id)).toEqual([])

      const changed = await completedPackage('default-update@example.test')
      numbersOverride.set(changed.accessToken, CHANGED_ACCOUNT)
      await fire(changed.accessToken, 'DEFAULT_UPDATE', 'AUTH')
      await processed(changed.itemId, 'DEFAULT_UPDATE', 1)
      // A redelivery of the same bytes, then a new notice (other bytes) with the same new numbers.
      await fire(changed.accessToken, 'DEFAULT_UPDATE', 'AUTH')
      await processed(changed.itemId, 'DEFAULT_UPDATE', 2)
      const another = await sandbox.sign({
        webhook_type: 'AUTH',
        webhook_code: 'DEFAULT_UPDATE',
        item_id: changed.itemId,
        account_ids_with_new_auth: [],
        account_ids_with_updated_auth: { [changed.accountId]: ['ACCOUNT_NUMBER'] },
        error: null,
        note: 'second notice',
      })
      const response = await server.app.inject({
        method: 'POST',
        url: '/api/webhooks/plaid',
        headers: { 'content-type': 'application/json', 'plaid-verification': another.signature },
        payload: another.body,
      })
      expect(response.statusCode).toBe(200)
      await processed(changed.itemId, 'DEFAULT_UPDATE', 3)
      const alerts = await alertsOf(changed.id)
      expect(alerts).toEqual([expect.objectContaining({ reason: 'numbers_changed' })])
      expect(alerts[0].details).toMatchObject({ account_number_changed: true, routing_changed: false })

      // The numbers change once more and Plaid sends the very same bytes again (same accounts): the
      // repeat is not a new event, but the Item is re-checked, and this second change is one alert.
      numbersOverride.set(changed.accessToken, SECOND_CHANGED_ACCOUNT)
      await fire(changed.accessToken, 'DEFAULT_UPDATE', 'AUTH')
      await processed(changed.itemId, 'DEFAULT_UPDATE', 4)
      const twice = await eventually(async () => {
        const current = await alertsOf(changed.id)
        return current.length >= 2 ? current : undefined
      }, 'the second numbers alert')
      expect(twice.map((alert: Body) => alert.reason)).toEqual(['numbers_changed', 'numbers_changed'])
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(await alertsOf(changed.id)).toHaveLength(2)
    })

    it('fires Auth DEFAULT_UPDATE from the lab for an Auth Item (no SANDBOX_PRODUCT_NOT_ENABLED)', async () => {
      const response = await call('POST', '/api/plaid/sandbox/fire-webhook', manager, {
        webhook_code: 'DEFAULT_UPDATE',
      })
      // The manager has no Item yet in this file: link one, then fire.
      if (response.statusCode === 409) {
        await linkItem(manager)
        expect(
          (await call('POST', '/api/plaid/sandbox/fire-webhook', manager, { webhook_code: 'DEFAULT_UPDATE' }))
            .statusCode,
        ).toBe(200)
      } else {
        expect(response.statusCode).toBe(200)
      }
    })

    it('raises one alert when the signer removes the Item, and one when they link another', async () => {
      const removed = await completedPackage('removed@example.test')
      await ok('DELETE', '/api/plaid/item', removed.signer)
      await jobsSettled(server.database)
      expect(await alertsOf(removed.id)).toEqual([expect.objectContaining({ reason: 'item_removed' })])

      const relinked = await completedPackage('relinked@example.test')
      await linkItem(relinked.signer)
      await jobsSettled(server.database)
      expect(await alertsOf(relinked.id)).toEqual([expect.objectContaining({ reason: 'item_relinked' })])
      // Removing the replaced Item at Plaid later (a job) is no second change.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(await alertsOf(relinked.id)).toHaveLength(1)
    })

    it('notifies the workspace managers through the outbox, with the mask only', async () => {
      const messages = (await ok('GET', '/api/admin/outbox', admin)).messages as Array<{
        to: string
        subject: string
        text: string
      }>
      const alerts = messages.filter((message) => message.subject.startsWith('Payout alert:'))
      expect(alerts.length).toBeGreaterThan(0)
      expect(alerts.map((message) => message.to)).toEqual(expect.arrayContaining([DEMO.manager, DEMO.admin]))
      expect(alerts[0]?.text).toContain('ending 0000')
      expect(alerts[0]?.text).toMatch(/phone/)
    })
  })

  describe('resolving alerts', () => {
    it('resolves with a note, once; signers cannot', async () => {
      const pkg = await completedPackage('resolve@example.test')
      await ok('DELETE', '/api/plaid/item', pkg.signer)
      await jobsSettled(server.database)
      const [alert] = await alertsOf(pkg.id)
      const url = `/api/signings/${pkg.id}/payout-alerts/${alert.id}/resolve`
      expect((await call('POST', url, pkg.signer, { note: 'x' })).statusCode).toBe(403)
      expect((await call('POST', url, manager, { note: '   ' })).statusCode).toBe(400)
      const view = await ok('POST', url, manager, {
        note: 'Called Alberta on file number; she closed the old bank.',
      })
      expect(view.payout_alerts[0]).toMatchObject({
        id: alert.id,
        resolved_at: expect.any(String),
        resolved_by: expect.objectContaining({ email: DEMO.manager }),
        note: 'Called Alberta on file number; she closed the old bank.',
      })
      expect((await call('POST', url, admin, { note: 'again' })).statusCode).toBe(409)
      const resolved = (await trail(pkg.id)).filter((event) => event.action === 'payout.alert_resolved')
      expect(resolved).toHaveLength(1)
      expect(resolved[0]?.details).toMatchObject({ alert_id: alert.id, confirmed_by: null })
    })

    it('requires a second, different manager under the four-eyes policy', async () => {
      const pkg = await completedPackage('four-eyes@example.test')
      await ok('DELETE', '/api/plaid/item', pkg.signer)
      await jobsSettled(server.database)
      const [alert] = await alertsOf(pkg.id)
      expect(
        (await call('PUT', '/api/payout-settings', manager, { require_second_manager: true })).statusCode,
      ).toBe(403)
      await ok('PUT', '/api/payout-settings', admin, { require_second_manager: true })
      try {
        const base = `/api/signings/${pkg.id}/payout-alerts/${alert.id}`
        expect((await call('POST', `${base}/confirm`, admin, {})).statusCode).toBe(409)
        const proposed = await ok('POST', `${base}/resolve`, manager, {
          note: 'Phoned the signer; confirmed.',
        })
        expect(proposed.payout_alerts[0]).toMatchObject({
          resolved_at: null,
          proposed: expect.objectContaining({ note: 'Phoned the signer; confirmed.' }),
        })
        const self = await call('POST', `${base}/confirm`, manager, {})
        expect(self.statusCode).toBe(403)
        const confirmed = await ok('POST', `${base}/confirm`, admin, {})
        expect(confirmed.payout_alerts[0]).toMatchObject({
          resolved_at: expect.any(String),
          resolved_by: expect.objectContaining({ email: DEMO.manager }),
          confirmed_by: expect.objectContaining({ name: expect.any(String) }),
          note: 'Phoned the signer; confirmed.',
        })
        const actions = (await trail(pkg.id)).map((event) => event.action)
        expect(actions).toContain('payout.alert_resolution_proposed')
        expect(actions.filter((action) => action === 'payout.alert_resolved')).toHaveLength(1)
      } finally {
        await ok('PUT', '/api/payout-settings', admin, { require_second_manager: false })
      }
    })
  })

  describe('durable payout checks (jobs queued with the change)', () => {
    /** The jobs of `queue` whose payload names this webhook event or Item. */
    async function jobsOf(queue: string, key: string, value: string) {
      const { rows } = await server.database.executeSql(
        `select state, retry_count from pgboss.job where name = $1 and data->>'${key}' = $2`,
        [queue, value],
      )
      return rows as Array<{ state: string; retry_count: number }>
    }
    async function eventIdOf(itemId: string, code: string) {
      const { rows } = await server.database.executeSql(
        'select id from webhook_events where plaid_item_id = $1 and webhook_code = $2',
        [itemId, code],
      )
      return (rows[0] as { id: string }).id
    }
    async function payoutEmails(title: string) {
      const { rows } = await server.database.executeSql(
        'select recipient, count(*)::int as sent from outbox_messages where subject = $1 group by recipient',
        [`Payout alert: ${title}`],
      )
      return rows as Array<{ recipient: string; sent: number }>
    }

    it('raises the alert when the worker died right after the webhook committed (the job is retried)', async () => {
      const pkg = await completedPackage('durable-crash-before@example.test')
      let crashes = 0
      jobFaults.beforeAttempt = async (queue, job) => {
        if (queue === 'plaid-item-status-changed' && job.retryCount === 0) {
          crashes += 1
          throw new Error('simulated crash right after the webhook committed')
        }
      }
      try {
        await fire(pkg.accessToken, 'PENDING_DISCONNECT')
        await processed(pkg.itemId, 'PENDING_DISCONNECT', 1)
      } finally {
        jobFaults.beforeAttempt = undefined
      }
      expect(crashes).toBe(1)
      // The job was committed with the event's effect (same transaction), and its retry did the check.
      const eventId = await eventIdOf(pkg.itemId, 'PENDING_DISCONNECT')
      expect(await jobsOf('plaid-item-status-changed', 'eventId', eventId)).toEqual([
        { state: 'completed', retry_count: 1 },
      ])
      expect(await alertsOf(pkg.id)).toEqual([expect.objectContaining({ reason: 'pending_disconnect' })])
    })

    it('raises nothing twice when the worker died after the check committed (alert, chain, e-mail)', async () => {
      const pkg = await completedPackage('durable-crash-after@example.test')
      let crashes = 0
      jobFaults.afterAttempt = async (queue, job) => {
        if (queue === 'plaid-item-status-changed' && job.retryCount === 0) {
          crashes += 1
          throw new Error('simulated crash before the job was marked done')
        }
      }
      try {
        await fire(pkg.accessToken, 'USER_PERMISSION_REVOKED')
        await processed(pkg.itemId, 'USER_PERMISSION_REVOKED', 1)
      } finally {
        jobFaults.afterAttempt = undefined
      }
      expect(crashes).toBe(1)
      const eventId = await eventIdOf(pkg.itemId, 'USER_PERMISSION_REVOKED')
      expect(await jobsOf('plaid-item-status-changed', 'eventId', eventId)).toEqual([
        { state: 'completed', retry_count: 1 },
      ])
      expect(await alertsOf(pkg.id)).toEqual([expect.objectContaining({ reason: 'permission_revoked' })])
      const actions = (await trail(pkg.id)).map((event) => event.action)
      expect(actions.filter((action) => action === 'payout.alert_raised')).toHaveLength(1)
      const emails = await payoutEmails(`Closing for durable-crash-after@example.test`)
      expect(emails.map((email) => email.recipient)).toEqual(
        expect.arrayContaining([DEMO.manager, DEMO.admin]),
      )
      expect(emails.every((email) => email.sent === 1)).toBe(true)
    })

    it('retries the numbers re-fetch through a Plaid outage, and raises one alert for the change', async () => {
      const pkg = await completedPackage('durable-outage@example.test')
      numbersOverride.set(pkg.accessToken, CHANGED_ACCOUNT)
      authOutages = 1
      try {
        await fire(pkg.accessToken, 'DEFAULT_UPDATE', 'AUTH')
        await processed(pkg.itemId, 'DEFAULT_UPDATE', 1)
      } finally {
        authOutages = 0
      }
      const eventId = await eventIdOf(pkg.itemId, 'DEFAULT_UPDATE')
      expect(await jobsOf('plaid-item-event-applied', 'eventId', eventId)).toEqual([
        { state: 'completed', retry_count: 1 },
      ])
      expect(await alertsOf(pkg.id)).toEqual([expect.objectContaining({ reason: 'numbers_changed' })])
    })

    it('queues the Item-retired check in the unlink transaction; the request itself raises nothing', async () => {
      const pkg = await completedPackage('durable-unlink@example.test')
      let release = () => {}
      const held = new Promise<void>((resolve) => {
        release = resolve
      })
      // The worker is held before the check: whatever is raised meanwhile came from elsewhere.
      jobFaults.beforeAttempt = async (queue) => {
        if (queue === 'plaid-item-retired') await held
      }
      try {
        await ok('DELETE', '/api/plaid/item', pkg.signer)
        expect(
          (await jobsOf('plaid-item-retired', 'plaidItemId', pkg.itemId)).map((job) => job.state),
        ).toEqual([expect.stringMatching(/^(created|active)$/)])
        expect(await alertsOf(pkg.id)).toEqual([])
      } finally {
        jobFaults.beforeAttempt = undefined
        release()
      }
      await jobsSettled(server.database)
      expect(await alertsOf(pkg.id)).toEqual([expect.objectContaining({ reason: 'item_removed' })])
    })
  })

  describe('key rotation', () => {
    it('re-encrypts stored and last-seen numbers under the active key (npm run keys:rotate)', async () => {
      await completedPackage('rotation@example.test')
      const rotated = createKeyring(`${generateKeyEntry('test3')},${TEST_KEYRING}`)
      const count = await rotateStoredPayoutNumbers({ db: server.database.db, keyring: rotated })
      expect(count).toBeGreaterThan(1)
      expect(await rotateStoredPayoutNumbers({ db: server.database.db, keyring: rotated })).toBe(0)
      const numbers = await server.database.executeSql(
        'select signer_id, numbers_key_id, numbers_ciphertext from signer_payout_numbers',
      )
      for (const row of numbers.rows as Array<Record<string, string>>) {
        expect(row.numbers_key_id).toBe('test3')
        const clear = rotated.decrypt(
          { keyId: row.numbers_key_id as string, ciphertext: row.numbers_ciphertext as string },
          { purpose: PAYOUT_NUMBERS_PURPOSE, rowId: row.signer_id as string },
        )
        expect(JSON.parse(clear).routing).toBe(ROUTING)
      }
      const observed = await server.database.executeSql(
        'select signer_id, observed_key_id, observed_ciphertext from payout_instructions where observed_ciphertext is not null',
      )
      for (const row of observed.rows as Array<Record<string, string>>) {
        expect(row.observed_key_id).toBe('test3')
        rotated.decrypt(
          { keyId: row.observed_key_id as string, ciphertext: row.observed_ciphertext as string },
          { purpose: OBSERVED_NUMBERS_PURPOSE, rowId: row.signer_id as string },
        )
      }
    })
  })

  describe('nowhere else', () => {
    it('never puts the numbers in another response, the logs, the audit chains or the outbox', async () => {
      const chains = await server.database.executeSql('select details::text as details from audit_events')
      const outbox = await server.database.executeSql('select text_body, html_body from outbox_messages')
      const webhookBodies = await server.database.executeSql('select raw_body from webhook_events')
      const haystacks = {
        responses: responses.join('\n'),
        logs,
        audit: JSON.stringify(chains.rows),
        outbox: JSON.stringify(outbox.rows),
        webhooks: JSON.stringify(webhookBodies.rows),
      }
      expect(responses.length).toBeGreaterThan(50)
      expect(logs.length).toBeGreaterThan(1000)
      for (const [where, text] of Object.entries(haystacks)) {
        for (const secret of [ACCOUNT, ROUTING, CHANGED_ACCOUNT, SECOND_CHANGED_ACCOUNT]) {
          expect(text.includes(secret), `${secret} in ${where}`).toBe(false)
        }
      }
    })
  })
})
