// Payout-grade verification in Chromium (ADR 0017): a manager reveals a signer's account numbers after
// re-entering the password, and a payout alert appears on the package page after a webhook says the
// signer revoked the bank connection; the manager resolves it with a note.
import type { Products } from 'plaid'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JsonBody } from '../helpers/api-client.ts'
import { assertWebBuilt, launchBrowser, newOfflineContext, signInThroughForm } from '../helpers/browser.ts'
import { DEMO } from '../helpers/build-app.ts'
import { createRecordingGateway, startTestEmulator, type TestEmulator } from '../helpers/plaid.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { eventually } from '../system/webhook-harness.ts'

const OWNER = 'Alberta Charleson'
// The sandbox's "Plaid Checking" account number (plaid-sandbox/src/fixtures/accounts.ts).
const ACCOUNT = '1111222233330000'

let emulator: TestEmulator
let server: TestServer
let browser: Browser
let context: BrowserContext | undefined
let recorded: ReturnType<typeof createRecordingGateway>

beforeAll(async () => {
  assertWebBuilt()
  emulator = await startTestEmulator()
  recorded = createRecordingGateway(emulator.url)
  ;[server, browser] = await Promise.all([
    startTestServer({
      env: {
        PLAID_EMULATOR_URL: emulator.url,
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
      },
      plaidGateway: recorded.gateway,
    }),
    launchBrowser(),
  ])
})

afterAll(async () => {
  await context?.close()
  await browser?.close()
  await server?.close()
  await emulator?.close()
})

async function api(
  method: 'GET' | 'POST',
  url: string,
  cookie: string | null,
  payload?: unknown,
): Promise<JsonBody> {
  const response = await server.app.inject({
    method,
    url,
    headers: cookie ? { cookie } : {},
    ...(payload === undefined ? {} : { payload: payload as object }),
  })
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
  return response
}

/** A package the signer completed through the API, with a verified sandbox account. */
async function completedPackage() {
  const manager = await server.signIn(DEMO.manager)
  const created = (await api('POST', '/api/signings', manager, { title: 'Closing at 9 Wire Lane' })).json()
  await api('POST', `/api/signings/${created.id}/documents`, manager, {
    title: 'Purchase agreement',
    kind: 'markdown',
    markdown: '# Purchase agreement\n\nThe buyer pays **$1**.',
  })
  await api('POST', `/api/signings/${created.id}/signers`, manager, {
    legal_name: OWNER,
    email: 'wire@example.test',
  })
  const activated = (await api('POST', `/api/signings/${created.id}/activate`, manager)).json()
  const token = new URL(activated.invitations[0].url).pathname.split('/').at(-1)
  const opened = await api('POST', '/api/signing-links/open', null, { token })
  const cookie = opened.cookies.find((entry: { name: string }) => entry.name === 'safeclose_session')
  const signer = `${cookie.name}=${cookie.value}`
  const flow = (await api('GET', '/api/signer/signing', signer)).json()
  for (const document of flow.documents)
    await api('POST', `/api/signer/signing/documents/${document.id}/reviewed`, signer, {})
  const publicToken = await emulator.plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: ['auth' as Products],
    options: { webhook: `${server.url}/api/webhooks/plaid` },
  })
  await api('POST', '/api/plaid/exchange', signer, { public_token: publicToken.data.public_token })
  const accessToken = recorded.accessTokens.at(-1) as string
  const status = (await api('GET', '/api/plaid/status', signer)).json()
  await api('POST', '/api/signer/signing/bank/account', signer, {
    account_id: status.item.accounts[0].account_id,
  })
  await api('POST', '/api/signer/signing/sign', signer, { typed_name: OWNER, consent: true })
  return { id: created.id as string, itemId: status.item.item_id as string, accessToken }
}

describe('payout verification on the package page', () => {
  it('reveals the numbers after the password, then shows and resolves an alert raised by a webhook', async () => {
    const pkg = await completedPackage()
    const offline = await newOfflineContext(browser)
    context = offline.context
    const page = offline.page
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url })

    const packagePath = `/signing/manager/signings/${pkg.id}`
    await signInThroughForm(page, server.url, DEMO.manager, { next: packagePath })
    await page.waitForURL(`${server.url}${packagePath}`)
    const instruction = page.getByRole('listitem', { name: `Payout instruction of ${OWNER}` })
    await instruction.getByText('account ending 0000').waitFor()
    expect(await page.getByText(ACCOUNT).count()).toBe(0)

    // The sign-in is no longer recent (as ten minutes later): the reveal asks for the password.
    await server.database.executeSql(
      "update sessions set authenticated_at = now() - interval '10 minutes' where user_id = (select id from users where email = $1)",
      [DEMO.manager],
    )
    await instruction.getByRole('button', { name: 'Reveal numbers' }).click()
    const form = page.getByRole('form', { name: `Confirm your password to reveal the numbers of ${OWNER}` })
    await form.getByLabel('Your password').fill('not my password')
    await form.getByRole('button', { name: 'Confirm and reveal' }).click()
    await form.getByRole('alert').waitFor()
    await form.getByLabel('Your password').fill(DEMO.password)
    await form.getByRole('button', { name: 'Confirm and reveal' }).click()
    const numbers = page.getByRole('region', { name: `Numbers of ${OWNER}` })
    await numbers.getByText(ACCOUNT).waitFor()
    await numbers.getByText(/recorded in the\s+audit trail/).waitFor()
    await numbers.getByRole('button', { name: 'Copy' }).first().click()
    await numbers.getByText('Account number copied.').waitFor()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(ACCOUNT)
    await numbers.getByRole('button', { name: 'Hide numbers' }).click()
    expect(await page.getByText(ACCOUNT).count()).toBe(0)

    // The signer revokes access at their bank: Plaid's webhook raises a payout alert.
    await emulator.plaid.sandboxItemFireWebhook({
      access_token: pkg.accessToken,
      webhook_code: 'USER_PERMISSION_REVOKED' as never,
    })
    await emulator.sandbox.control.flushWebhooks()
    await eventually(async () => {
      const { rows } = await server.database.executeSql(
        'select count(*)::int as n from payout_alerts where package_id = $1',
        [pkg.id],
      )
      return (rows[0] as { n: number }).n > 0 ? true : undefined
    }, 'a payout alert')
    await page.getByRole('button', { name: 'Refresh' }).click()
    const alert = page.getByRole('listitem', { name: `Payout alert for ${OWNER}` })
    await alert.getByText('revoked access').waitFor()
    await page.getByText('do not send funds yet').waitFor()
    await page.getByText(/call the signer on a phone number you already had/i).waitFor()

    await alert
      .getByLabel('What did the signer confirm by phone?')
      .fill('Called Alberta; she moved banks, new account to follow.')
    await alert.getByRole('button', { name: 'Resolve alert' }).click()
    await page.getByRole('list', { name: 'Resolved payout alerts' }).getByText('Called Alberta').waitFor()
    expect(await page.getByText('do not send funds yet').count()).toBe(0)

    const trail = (
      await api('GET', `/api/signings/${pkg.id}/audit`, await server.signIn(DEMO.manager))
    ).json()
    const actions = trail.events.map((event: { action: string }) => event.action)
    expect(actions).toEqual(
      expect.arrayContaining([
        'payout.instruction_locked',
        'bank.numbers_revealed',
        'payout.alert_raised',
        'payout.alert_resolved',
      ]),
    )
    expect(offline.problems).toEqual([])
  })

  /** Signs the demo administrator in on the sign-in page, which then opens workspace settings. */
  async function openSettingsAsAdmin(page: Page): Promise<void> {
    await signInThroughForm(page, server.url, DEMO.admin, { next: '/admin/settings' })
    await page.waitForURL(`${server.url}/admin/settings`)
  }

  it('lets an administrator require a second manager for resolutions', async () => {
    const { context: adminContext, page, problems } = await newOfflineContext(browser)
    try {
      await openSettingsAsAdmin(page)
      const panel = page.getByRole('region', { name: 'Payout alerts' })
      await panel.getByLabel(/second, different manager/).check()
      await panel.getByRole('button', { name: 'Save payout policy' }).click()
      await panel.getByText('Payout policy saved.').waitFor()
      const policy = (await api('GET', '/api/payout-settings', await server.signIn(DEMO.manager))).json()
      expect(policy).toEqual({ require_second_manager: true })
      expect(problems).toEqual([])
    } finally {
      await adminContext.close()
    }
  })

  it('lets an administrator set the ownership policy in workspace settings', async () => {
    const { context: adminContext, page, problems } = await newOfflineContext(browser)
    try {
      await openSettingsAsAdmin(page)
      const panel = page.getByRole('region', { name: 'Account ownership' })
      const verified = panel.getByLabel('Verified from name score')
      // The form appears once the current policy is loaded: the default thresholds.
      await verified.waitFor()
      expect(await verified.inputValue()).toBe('85')
      // Thresholds the wrong way round are refused before anything is sent.
      await panel.getByLabel('Needs review from name score').fill('95')
      await panel.getByRole('button', { name: 'Save ownership policy' }).click()
      await panel.getByText('cannot be above the verified threshold').waitFor()
      await verified.fill('96')
      await panel.getByLabel(/name mismatch until a manager accepts/).check()
      await panel.getByRole('button', { name: 'Save ownership policy' }).click()
      await panel.getByText('Ownership policy saved.').waitFor()
      const policy = (await api('GET', '/api/signing-settings', await server.signIn(DEMO.manager))).json()
      expect(policy).toEqual({ verified_name_score: 96, review_name_score: 95, match_required: true })
      expect(problems).toEqual([])
    } finally {
      await adminContext.close()
    }
  })
})
