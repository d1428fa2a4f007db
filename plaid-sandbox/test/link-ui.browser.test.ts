// The emulated Plaid Link driven by the unmodified react-plaid-link 5.0.0, with the CDN URL routed to
// the sandbox (mode 1: how Safeclose's E2E tests run). Every other *.plaid.com request is aborted.
import { Products } from 'plaid'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Browser,
  type BrowserContext,
  createLinkToken,
  type LinkTestStack,
  linkFrame,
  type Page,
  type PlaidTraffic,
  plaidClient,
  type RecordedCallback,
  recordedCallbacks,
  routeCdnToSandbox,
  startLinkTestStack,
  waitForCallback,
} from './browser-fixtures/link-harness.ts'
import {
  acceptConsent,
  chooseAccountAndContinue,
  finishOnSuccessPane,
  linkFirstPlatypus,
  openLinkFromApp,
  SANDBOX_INSTITUTION,
  searchAndSelectInstitution,
  submitCredentials,
} from './browser-fixtures/link-panes.ts'

/** PlaidLinkOnEventMetadata: every key on every event, null when it does not apply. */
const EVENT_METADATA_KEYS = [
  'account_number_mask',
  'error_code',
  'error_message',
  'error_type',
  'exit_status',
  'institution_id',
  'institution_name',
  'institution_search_query',
  'is_update_mode',
  'link_session_id',
  'match_reason',
  'mfa_type',
  'request_id',
  'routing_number',
  'selection',
  'timestamp',
  'view_name',
]
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let stack: LinkTestStack
let sandbox: LinkTestStack['sandbox']
let browser: Browser
let context: BrowserContext
let page: Page
let plaidTraffic: PlaidTraffic

beforeAll(async () => {
  stack = await startLinkTestStack()
  ;({ sandbox, browser } = stack)
})

afterAll(async () => {
  await stack?.close()
})

beforeEach(async () => {
  context = await browser.newContext({ serviceWorkers: 'block' })
  plaidTraffic = await routeCdnToSandbox(context, sandbox.url)
  page = await context.newPage()
})

afterEach(async () => {
  await context.close()
  sandbox.sandbox.control.reset()
  // Only the CDN's Link folder may have been asked for; everything else was aborted, never sent.
  for (const url of plaidTraffic.requested)
    expect(url.startsWith('https://cdn.plaid.com/link/v2/stable/')).toBe(true)
})

const client = () => plaidClient(sandbox.url)
const pageUrl = () => `${stack.pageUrl}/`

function events(callbacks: RecordedCallback[]) {
  return callbacks.flatMap((callback) =>
    callback.name === 'onEvent' ? [{ eventName: callback.eventName, ...callback.metadata }] : [],
  )
}

function eventTrail(callbacks: RecordedCallback[]): string[] {
  return events(callbacks).map((event) =>
    event.eventName === 'TRANSITION_VIEW' ? `TRANSITION_VIEW ${event.view_name}` : event.eventName,
  )
}

function only<Name extends RecordedCallback['name']>(callbacks: RecordedCallback[], name: Name) {
  const matching = callbacks.filter(
    (callback): callback is Extract<RecordedCallback, { name: Name }> => callback.name === name,
  )
  expect(matching).toHaveLength(1)
  return matching[0] as Extract<RecordedCallback, { name: Name }>
}

describe('emulated Plaid Link with react-plaid-link (CDN URL routed to the sandbox)', () => {
  it('links an account: onSuccess carries an exchangeable public token and the documented metadata', async () => {
    const token = await createLinkToken(client())
    await openLinkFromApp(page, pageUrl(), token)
    const link = linkFrame(page)
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await submitCredentials(link, 'pass_good')
    await chooseAccountAndContinue(link)
    await link.getByRole('heading', { name: 'Success' }).waitFor()

    // Only OPEN is live; everything else arrives together with the outcome (react-plaid-link#139).
    expect(eventTrail(await recordedCallbacks(page))).toEqual(['OPEN'])
    await finishOnSuccessPane(link)
    const callbacks = await waitForCallback(page, 'onSuccess')

    expect(callbacks[0]).toEqual({ name: 'onLoad' })
    const success = only(callbacks, 'onSuccess')
    expect(success.publicToken).toMatch(/^public-sandbox-[0-9a-f-]{36}$/)
    expect(Object.keys(success.metadata).sort()).toEqual([
      'accounts',
      'institution',
      'link_session_id',
      'transfer_status',
    ])
    expect(success.metadata.institution).toEqual(SANDBOX_INSTITUTION)
    expect(success.metadata.link_session_id).toMatch(UUID)
    expect(success.metadata.accounts).toEqual([
      {
        id: expect.any(String),
        name: 'Plaid Checking',
        mask: '0000',
        type: 'depository',
        subtype: 'checking',
        verification_status: null,
        class_type: null,
      },
    ])

    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'SEARCH_INSTITUTION',
      'SELECT_INSTITUTION',
      'TRANSITION_VIEW CREDENTIAL',
      'SUBMIT_CREDENTIALS',
      'TRANSITION_VIEW LOADING',
      'TRANSITION_VIEW SELECT_ACCOUNT',
      'TRANSITION_VIEW CONNECTED',
      'HANDOFF',
    ])
    const recorded = events(callbacks)
    for (const { eventName: _eventName, ...metadata } of recorded) {
      expect(Object.keys(metadata).sort()).toEqual(EVENT_METADATA_KEYS)
      expect(metadata.link_session_id).toBe(success.metadata.link_session_id)
      expect(metadata.request_id).toMatch(/^[A-Za-z0-9]+$/)
      expect(new Date(String(metadata.timestamp)).toISOString()).toBe(metadata.timestamp)
    }
    expect(recorded[0]).toMatchObject({
      eventName: 'OPEN',
      view_name: 'CONSENT',
      is_update_mode: 'false',
      institution_id: null,
    })
    expect(recorded.find((event) => event.eventName === 'SEARCH_INSTITUTION')).toMatchObject({
      institution_search_query: 'Platypus',
    })
    expect(recorded.find((event) => event.eventName === 'SELECT_INSTITUTION')).toMatchObject({
      institution_id: SANDBOX_INSTITUTION.institution_id,
      institution_name: SANDBOX_INSTITUTION.name,
    })

    // Link is closed but the handler lives on until the app unmounts it.
    await expect.poll(() => page.locator('#plaid-link-iframe-1').isVisible()).toBe(false)
    expect(await page.locator('#plaid-link-iframe-1').count()).toBe(1)

    // The frame also reported its events to the sandbox, which lists them per Link session.
    const session = () =>
      sandbox.sandbox.control.linkSessions().find((s) => s.linkSessionId === success.metadata.link_session_id)
    await expect.poll(() => session()?.events.map((event) => event.event_name)).toContain('HANDOFF')

    const exchanged = await client().itemPublicTokenExchange({ public_token: String(success.publicToken) })
    expect(exchanged.data.access_token).toMatch(/^access-sandbox-/)
  })

  it('passes device, question and selection MFA rounds; leaving the code pane reports requires_code', async () => {
    const token = await createLinkToken(client())
    await openLinkFromApp(page, pageUrl(), token)
    const link = linkFrame(page)
    await acceptConsent(link)
    await searchAndSelectInstitution(link)

    await submitCredentials(link, 'mfa_device')
    await link.getByRole('textbox', { name: 'Verification code' }).fill('1234')
    await link.getByRole('button', { name: 'Submit' }).click()
    await chooseAccountAndContinue(link)
    await finishOnSuccessPane(link)
    const callbacks = await waitForCallback(page, 'onSuccess')
    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'SEARCH_INSTITUTION',
      'SELECT_INSTITUTION',
      'TRANSITION_VIEW CREDENTIAL',
      'SUBMIT_CREDENTIALS',
      'TRANSITION_VIEW LOADING',
      'TRANSITION_VIEW MFA',
      'SUBMIT_MFA',
      'TRANSITION_VIEW LOADING',
      'TRANSITION_VIEW SELECT_ACCOUNT',
      'TRANSITION_VIEW CONNECTED',
      'HANDOFF',
    ])
    const mfaEvents = events(callbacks).filter(
      (event) => event.view_name === 'MFA' || event.eventName === 'SUBMIT_MFA',
    )
    for (const event of mfaEvents) expect(event.mfa_type).toBe('code')

    // Same handler, a second session: two rounds of one question, then a selection round.
    await page.getByRole('button', { name: 'Connect a bank account' }).click()
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await submitCredentials(link, 'mfa_questions_2_1')
    // The sandbox's questions name their expected answers, which tells the two rounds apart.
    await link.getByLabel(/answer_0_0/).fill('answer_0_0')
    await link.getByRole('button', { name: 'Submit' }).click()
    await link.getByLabel(/answer_1_0/).fill('answer_1_0')
    await link.getByRole('button', { name: 'Submit' }).click()
    await chooseAccountAndContinue(link, 'Plaid Saving')
    await finishOnSuccessPane(link)
    await expect
      .poll(async () => (await recordedCallbacks(page)).filter((c) => c.name === 'onSuccess').length)
      .toBe(2)
    const secondSession = (await recordedCallbacks(page)).slice(callbacks.length)
    expect(eventTrail(secondSession).filter((name) => name === 'SUBMIT_MFA')).toHaveLength(2)
    const secondSuccess = secondSession.find((c) => c.name === 'onSuccess') as Extract<
      RecordedCallback,
      { name: 'onSuccess' }
    >
    expect(secondSuccess.metadata.link_session_id).not.toBe(
      only(callbacks, 'onSuccess').metadata.link_session_id,
    )

    await page.getByRole('button', { name: 'Connect a bank account' }).click()
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await submitCredentials(link, 'mfa_selections')
    await link.getByRole('heading', { name: 'Verify your identity' }).waitFor()
    await link.getByRole('radio', { name: 'Yes' }).check()
    await link.getByRole('button', { name: 'Submit' }).click()
    await chooseAccountAndContinue(link)
    await finishOnSuccessPane(link)
    await expect
      .poll(async () => (await recordedCallbacks(page)).filter((c) => c.name === 'onSuccess').length)
      .toBe(3)

    // Leaving from an MFA pane reports the MFA step the user was on.
    await page.getByRole('button', { name: 'Connect a bank account' }).click()
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await submitCredentials(link, 'mfa_device')
    await link.getByRole('textbox', { name: 'Verification code' }).waitFor()
    await page.keyboard.press('Escape')
    await link.getByRole('button', { name: 'Exit', exact: true }).click()
    const exit = only(await waitForCallback(page, 'onExit'), 'onExit')
    expect(exit).toMatchObject({
      error: null,
      metadata: { institution: SANDBOX_INSTITUTION, status: 'requires_code' },
    })
  })

  it('exits on user request: Escape opens the confirmation, Exit ends with onExit(null, …)', async () => {
    const token = await createLinkToken(client())
    await openLinkFromApp(page, pageUrl(), token)
    const link = linkFrame(page)
    await acceptConsent(link)
    await link.locator('#search-input-input').waitFor()

    await page.keyboard.press('Escape')
    await link.getByRole('heading', { name: 'Are you sure you want to exit?' }).waitFor()
    await link.getByRole('button', { name: 'Return to Link' }).click()
    await expect.poll(() => link.locator('#search-input-input').isVisible()).toBe(true)
    await link.getByRole('button', { name: 'Close' }).click()
    await link.getByRole('button', { name: 'Exit', exact: true }).click()

    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toBeNull()
    expect(Object.keys(exit.metadata).sort()).toEqual([
      'institution',
      'link_session_id',
      'request_id',
      'status',
    ])
    expect(exit.metadata).toMatchObject({ institution: null, status: 'institution_not_found' })
    expect(exit.metadata.link_session_id).toMatch(UUID)
    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'TRANSITION_VIEW EXIT',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'TRANSITION_VIEW EXIT',
      'EXIT',
    ])
    expect(events(callbacks).at(-1)).toMatchObject({
      eventName: 'EXIT',
      exit_status: 'institution_not_found',
      error_code: null,
    })
    await expect.poll(() => page.locator('#plaid-link-iframe-1').isVisible()).toBe(false)
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('Connect a bank account')
  })

  it('lets the user retry INVALID_CREDENTIALS, then ends a terminal ITEM_LOCKED with onExit(error)', async () => {
    const token = await createLinkToken(client())
    await openLinkFromApp(page, pageUrl(), token)
    const link = linkFrame(page)
    await acceptConsent(link)
    await searchAndSelectInstitution(link)

    await submitCredentials(link, 'error_INVALID_CREDENTIALS')
    await link.getByRole('alert').filter({ hasText: 'credentials were not correct' }).waitFor()
    await link.getByRole('button', { name: 'Try again' }).click()
    await submitCredentials(link, 'error_ITEM_LOCKED')
    await link.getByText('Error code: ITEM_LOCKED').waitFor()
    expect(await link.getByRole('button', { name: 'Try again' }).count()).toBe(0)
    await link.getByRole('button', { name: 'Exit', exact: true }).click()

    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toEqual({
      error_type: 'ITEM_ERROR',
      error_code: 'ITEM_LOCKED',
      error_message: expect.stringContaining('the account is locked'),
      display_message: expect.any(String),
    })
    expect(exit.metadata).toMatchObject({ institution: SANDBOX_INSTITUTION, status: 'requires_credentials' })
    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'SEARCH_INSTITUTION',
      'SELECT_INSTITUTION',
      'TRANSITION_VIEW CREDENTIAL',
      'SUBMIT_CREDENTIALS',
      'TRANSITION_VIEW LOADING',
      'ERROR',
      'TRANSITION_VIEW CREDENTIAL',
      'SUBMIT_CREDENTIALS',
      'TRANSITION_VIEW LOADING',
      'ERROR',
      'EXIT',
    ])
    const [invalidCredentials, itemLocked] = events(callbacks).filter((event) => event.eventName === 'ERROR')
    expect(invalidCredentials).toMatchObject({
      error_type: 'ITEM_ERROR',
      error_code: 'INVALID_CREDENTIALS',
      view_name: 'ERROR',
      institution_id: SANDBOX_INSTITUTION.institution_id,
    })
    expect(itemLocked).toMatchObject({ error_code: 'ITEM_LOCKED', view_name: 'ERROR' })
    expect(events(callbacks).at(-1)).toMatchObject({
      eventName: 'EXIT',
      exit_status: 'requires_credentials',
      error_type: 'ITEM_ERROR',
      error_code: 'ITEM_LOCKED',
    })
  })

  it('ends an unknown link token with INVALID_LINK_TOKEN through onExit', async () => {
    await openLinkFromApp(page, pageUrl(), 'link-sandbox-6f2c4f4e-0c3e-4d7e-9a59-0d1b7c1f0a11')
    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'INVALID_LINK_TOKEN' })
    expect(Object.keys(exit.error ?? {}).sort()).toEqual([
      'display_message',
      'error_code',
      'error_message',
      'error_type',
    ])
    expect(eventTrail(callbacks)).toEqual(['ERROR', 'EXIT'])
    expect(only(callbacks, 'onLoad')).toEqual({ name: 'onLoad' })
    await expect.poll(() => page.locator('#plaid-link-iframe-1').isVisible()).toBe(false)
  })

  it('ends with INVALID_LINK_TOKEN when the token expires while the user is in Link', async () => {
    const token = await createLinkToken(client())
    await openLinkFromApp(page, pageUrl(), token)
    const link = linkFrame(page)
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await link.locator('#aut-input-0-input').waitFor()

    sandbox.sandbox.control.advanceClock(5 * 60 * 60 * 1000)
    await submitCredentials(link, 'pass_good')

    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'INVALID_LINK_TOKEN' })
    expect(exit.metadata).toMatchObject({ institution: SANDBOX_INSTITUTION, status: 'requires_credentials' })
    expect(eventTrail(callbacks).slice(-3)).toEqual(['TRANSITION_VIEW LOADING', 'ERROR', 'EXIT'])
    await expect.poll(() => page.locator('#plaid-link-iframe-1').isVisible()).toBe(false)
  })

  it('runs update mode for an Item that needs re-authentication and returns it to a good state', async () => {
    const plaid = client()
    const created = await plaid.sandboxPublicTokenCreate({
      institution_id: SANDBOX_INSTITUTION.institution_id,
      initial_products: [Products.Auth],
    })
    const { access_token } = (
      await plaid.itemPublicTokenExchange({ public_token: created.data.public_token })
    ).data
    await plaid.sandboxItemResetLogin({ access_token })
    expect((await plaid.itemGet({ access_token })).data.item.error?.error_code).toBe('ITEM_LOGIN_REQUIRED')

    const token = await createLinkToken(plaid, { accessToken: access_token })
    await openLinkFromApp(page, pageUrl(), token)
    const link = linkFrame(page)
    await link.getByRole('heading', { name: `Reconnect your ${SANDBOX_INSTITUTION.name} account` }).waitFor()
    await acceptConsent(link)
    // The institution is fixed to the Item's: no search pane, straight to its login.
    await link.getByRole('heading', { name: `Log in to ${SANDBOX_INSTITUTION.name}` }).waitFor()
    await submitCredentials(link, 'pass_good')
    await finishOnSuccessPane(link)

    const callbacks = await waitForCallback(page, 'onSuccess')
    expect(only(callbacks, 'onSuccess').metadata.institution).toEqual(SANDBOX_INSTITUTION)
    expect(events(callbacks)[0]).toMatchObject({
      eventName: 'OPEN',
      is_update_mode: 'true',
      institution_id: SANDBOX_INSTITUTION.institution_id,
    })
    expect(eventTrail(callbacks)).not.toContain('TRANSITION_VIEW SELECT_INSTITUTION')
    expect((await plaid.itemGet({ access_token })).data.item.error).toBeNull()
  })

  it('works under React StrictMode: one live iframe, one onSuccess', async () => {
    const token = await createLinkToken(client())
    await openLinkFromApp(page, pageUrl(), token, { strict: true })
    const iframes = page.locator('iframe[id^="plaid-link-iframe-"]')
    expect(await iframes.count()).toBe(1)
    const liveId = await iframes.getAttribute('id')
    await linkFirstPlatypus(page.frameLocator(`#${liveId}`))

    const callbacks = await waitForCallback(page, 'onSuccess')
    only(callbacks, 'onSuccess')
    expect(eventTrail(callbacks).filter((name) => name === 'OPEN')).toHaveLength(1)
    expect(await iframes.count()).toBe(1)
  })

  it('closes Link, calls onExit and removes the iframe when the app unmounts while Link is open', async () => {
    const token = await createLinkToken(client())
    await openLinkFromApp(page, pageUrl(), token)
    const link = linkFrame(page)
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await link.locator('#aut-input-0-input').waitFor()

    await page.evaluate(() =>
      (window as unknown as { linkTestPage: { unmountLink: () => void } }).linkTestPage.unmountLink(),
    )
    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toBeNull()
    expect(exit.metadata).toMatchObject({ institution: SANDBOX_INSTITUTION, status: 'requires_credentials' })
    expect(events(callbacks).at(-1)).toMatchObject({ eventName: 'EXIT', exit_status: 'requires_credentials' })
    expect(await page.locator('iframe[id^="plaid-link-iframe-"]').count()).toBe(0)
  })
})
