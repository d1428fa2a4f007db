// OAuth institutions in the emulated Link, driven through the unmodified react-plaid-link with the CDN
// URL routed to the sandbox: the OAUTH pane, the fake bank's consent page in a popup (desktop) or by
// redirecting the whole page (small screens, link token with redirect_uri), and the re-initialization
// with receivedRedirectUri.
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
  routeCdnToSandbox,
  startLinkTestStack,
  waitForCallback,
} from './browser-fixtures/link-harness.ts'
import {
  acceptConsent,
  chooseAccountAndContinue,
  finishOnSuccessPane,
  openLinkFromApp,
  searchAndSelectInstitution,
} from './browser-fixtures/link-panes.ts'

const OAUTH_BANK = { institution_id: 'ins_127287', name: 'Platypus OAuth Bank' }
const BANK_PAGE_PATH = '/link/v2/stable/oauth-bank/bank.html'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const MOBILE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }

let stack: LinkTestStack
let sandbox: LinkTestStack['sandbox']
let browser: Browser
let context: BrowserContext
let page: Page
let plaidTraffic: PlaidTraffic
/** Console errors of every page in the context (CSP violations show up here). */
let consoleErrors: string[]

beforeAll(async () => {
  stack = await startLinkTestStack()
  ;({ sandbox, browser } = stack)
})

afterAll(async () => {
  await stack?.close()
})

async function newContext(options: Parameters<Browser['newContext']>[0] = {}) {
  context = await browser.newContext({ serviceWorkers: 'block', ...options })
  plaidTraffic = await routeCdnToSandbox(context, sandbox.url)
  consoleErrors = []
  context.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(`${message.page()?.url()}: ${message.text()}`)
  })
  page = await context.newPage()
}

beforeEach(async () => {
  await newContext()
})

afterEach(async () => {
  await context.close()
  sandbox.sandbox.control.reset()
  for (const url of plaidTraffic.requested)
    expect(url.startsWith('https://cdn.plaid.com/link/v2/stable/')).toBe(true)
  // The bank page and Link run under their CSPs without a single violation or script error.
  expect(consoleErrors.filter((line) => !line.includes('Failed to load resource'))).toEqual([])
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

/** Consent → search → Platypus OAuth Bank → the OAUTH pane. */
async function reachOAuthPane(token: string) {
  await openLinkFromApp(page, pageUrl(), token)
  const link = linkFrame(page)
  await acceptConsent(link)
  await searchAndSelectInstitution(link, 'Platypus OAuth', OAUTH_BANK.name)
  await link.getByRole('heading', { name: `You will be taken to ${OAUTH_BANK.name}` }).waitFor()
  return link
}

/** Continue on the OAUTH pane opens the bank page in a popup. */
async function continueToPopup(link: ReturnType<typeof linkFrame>): Promise<Page> {
  const popupOpened = context.waitForEvent('page')
  await link.getByRole('button', { name: 'Continue' }).click()
  const bank = await popupOpened
  await bank.waitForLoadState()
  expect(new URL(bank.url()).pathname).toBe(BANK_PAGE_PATH)
  return bank
}

async function signInAtBank(bank: Page): Promise<void> {
  await bank.getByRole('heading', { name: `Sign in to ${OAUTH_BANK.name}` }).waitFor()
  await expect.poll(() => bank.getByText('user_good').first().isVisible()).toBe(true)
  await bank.getByLabel('Username').fill('user_good')
  await bank.getByLabel('Password').fill('pass_good')
  await bank.getByRole('button', { name: 'Sign in' }).click()
  await bank.getByRole('heading', { name: 'Choose the accounts to share' }).waitFor()
}

async function exchangedAccountNames(publicToken: string): Promise<string[]> {
  const { data: exchanged } = await client().itemPublicTokenExchange({ public_token: publicToken })
  const { data } = await client().accountsGet({ access_token: exchanged.access_token })
  expect(data.item.institution_id).toBe(OAUTH_BANK.institution_id)
  return data.accounts.map((account) => account.name)
}

describe('OAuth on desktop: the bank page in a popup', () => {
  it('approves a subset of accounts; Link goes on to success with only those (redirect_uri set, wide screen)', async () => {
    const token = await createLinkToken(client(), { redirectUri: pageUrl() })
    const link = await reachOAuthPane(token)
    const bank = await continueToPopup(link)
    await signInAtBank(bank)
    expect(await bank.getByRole('checkbox', { name: 'Plaid Checking' }).isChecked()).toBe(true)
    await bank.getByRole('checkbox', { name: 'Plaid Saving' }).uncheck()
    const closed = bank.waitForEvent('close')
    await bank.getByRole('button', { name: 'Approve' }).click()
    await closed

    // One account shared: no account selection, straight to success.
    await finishOnSuccessPane(link)
    const callbacks = await waitForCallback(page, 'onSuccess')
    const success = only(callbacks, 'onSuccess')
    expect(success.metadata.institution).toEqual(OAUTH_BANK)
    expect(success.metadata.accounts.map((account) => account.name)).toEqual(['Plaid Checking'])
    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'SEARCH_INSTITUTION',
      'SELECT_INSTITUTION',
      'TRANSITION_VIEW OAUTH',
      'OPEN_OAUTH',
      'TRANSITION_VIEW CONNECTED',
      'HANDOFF',
    ])
    const recorded = events(callbacks)
    expect(recorded.find((event) => event.eventName === 'OPEN_OAUTH')).toMatchObject({
      view_name: 'OAUTH',
      institution_id: OAUTH_BANK.institution_id,
      institution_name: OAUTH_BANK.name,
      link_session_id: success.metadata.link_session_id,
      request_id: expect.stringMatching(/^[A-Za-z0-9]{15}$/),
    })
    for (const event of recorded) expect(event.link_session_id).toBe(success.metadata.link_session_id)
    expect(await exchangedAccountNames(String(success.publicToken))).toEqual(['Plaid Checking'])
  })

  it('cancel at the bank: FAIL_OAUTH, an error the user can retry from, and onExit with the OAuth error', async () => {
    const token = await createLinkToken(client())
    const link = await reachOAuthPane(token)
    const bank = await continueToPopup(link)
    await bank.getByRole('heading', { name: `Sign in to ${OAUTH_BANK.name}` }).waitFor()
    const closed = bank.waitForEvent('close')
    await bank.getByRole('button', { name: 'Cancel' }).click()
    await closed

    await link.getByRole('heading', { name: 'Please try again' }).waitFor()
    await link.getByRole('button', { name: 'Try again' }).click()
    await link.getByRole('heading', { name: `You will be taken to ${OAUTH_BANK.name}` }).waitFor()
    await link.getByRole('button', { name: 'Close' }).click()
    await link.getByRole('button', { name: 'Exit', exact: true }).click()

    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toMatchObject({ error_type: 'OAUTH_ERROR', error_code: 'OAUTH_ACCESS_DENIED' })
    expect(exit.metadata).toMatchObject({ status: 'requires_oauth', institution: OAUTH_BANK })
    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'SEARCH_INSTITUTION',
      'SELECT_INSTITUTION',
      'TRANSITION_VIEW OAUTH',
      'OPEN_OAUTH',
      'FAIL_OAUTH',
      'TRANSITION_VIEW OAUTH',
      'TRANSITION_VIEW EXIT',
      'EXIT',
    ])
    expect(events(callbacks).find((event) => event.eventName === 'FAIL_OAUTH')).toMatchObject({
      view_name: 'OAUTH',
      error_code: 'OAUTH_ACCESS_DENIED',
      institution_id: OAUTH_BANK.institution_id,
    })
    expect(events(callbacks).at(-1)).toMatchObject({ eventName: 'EXIT', exit_status: 'requires_oauth' })
  })

  it('popup closed by the user: CLOSE_OAUTH, Continue reopens it, two accounts shared → account selection', async () => {
    const token = await createLinkToken(client())
    const link = await reachOAuthPane(token)
    const first = await continueToPopup(link)
    await first.getByRole('heading', { name: `Sign in to ${OAUTH_BANK.name}` }).waitFor()
    await first.close()

    await link.getByRole('heading', { name: `You will be taken to ${OAUTH_BANK.name}` }).waitFor()
    const second = await continueToPopup(link)
    await signInAtBank(second)
    const closed = second.waitForEvent('close')
    await second.getByRole('button', { name: 'Approve' }).click()
    await closed

    await link.getByRole('heading', { name: 'Select account' }).waitFor()
    expect(await link.getByRole('radio').count()).toBe(2)
    await chooseAccountAndContinue(link, 'Plaid Saving')
    await finishOnSuccessPane(link)
    const callbacks = await waitForCallback(page, 'onSuccess')
    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'SEARCH_INSTITUTION',
      'SELECT_INSTITUTION',
      'TRANSITION_VIEW OAUTH',
      'OPEN_OAUTH',
      'CLOSE_OAUTH',
      'TRANSITION_VIEW OAUTH',
      'OPEN_OAUTH',
      'TRANSITION_VIEW SELECT_ACCOUNT',
      'TRANSITION_VIEW CONNECTED',
      'HANDOFF',
    ])
    const success = only(callbacks, 'onSuccess')
    expect(await exchangedAccountNames(String(success.publicToken))).toEqual(['Plaid Saving'])
  })

  it('exiting while the popup is open closes it and reports requires_oauth', async () => {
    const token = await createLinkToken(client())
    const link = await reachOAuthPane(token)
    const bank = await continueToPopup(link)
    const closed = bank.waitForEvent('close')
    await link.getByRole('button', { name: 'Close' }).click()
    await link.getByRole('button', { name: 'Exit', exact: true }).click()
    await closed
    const exit = only(await waitForCallback(page, 'onExit'), 'onExit')
    expect(exit.error).toBeNull()
    expect(exit.metadata).toMatchObject({ status: 'requires_oauth', institution: OAUTH_BANK })
  })
})

describe('OAuth on a small screen with redirect_uri: the whole page goes to the bank and back', () => {
  beforeEach(async () => {
    await context.close()
    await newContext(MOBILE)
  })

  /** Continue on the OAUTH pane: the top page navigates to the bank page. */
  async function continueByRedirect(link: ReturnType<typeof linkFrame>): Promise<string> {
    await link.getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL((url) => url.pathname === BANK_PAGE_PATH)
    const oauthStateId = new URL(page.url()).searchParams.get('oauth_state_id') ?? ''
    expect(oauthStateId).toMatch(UUID)
    return oauthStateId
  }

  async function backAtRedirectUri(oauthStateId: string): Promise<void> {
    await page.waitForURL((url) => url.origin === new URL(stack.pageUrl).origin)
    const returned = new URL(page.url())
    expect(returned.pathname).toBe('/')
    expect([...returned.searchParams]).toEqual([['oauth_state_id', oauthStateId]])
  }

  it('approves one account at the bank; re-created with receivedRedirectUri, Link resumes the session to onSuccess', async () => {
    const token = await createLinkToken(client(), { redirectUri: pageUrl() })
    const link = await reachOAuthPane(token)
    const linkSessionId = sandbox.sandbox.control.linkSessions()[0]?.linkSessionId
    const oauthStateId = await continueByRedirect(link)
    await signInAtBank(page)
    await page.getByRole('checkbox', { name: 'Plaid Saving' }).uncheck()
    await page.getByRole('button', { name: 'Approve' }).click()
    await backAtRedirectUri(oauthStateId)

    // The test page re-creates Link with the same token and receivedRedirectUri, and opens it.
    const resumed = linkFrame(page)
    await finishOnSuccessPane(resumed)
    const callbacks = await waitForCallback(page, 'onSuccess')
    const success = only(callbacks, 'onSuccess')
    expect(success.metadata.link_session_id).toBe(linkSessionId)
    expect(success.metadata.accounts.map((account) => account.name)).toEqual(['Plaid Checking'])
    expect(eventTrail(callbacks)).toEqual(['OPEN', 'TRANSITION_VIEW CONNECTED', 'HANDOFF'])
    expect(events(callbacks)[0]).toMatchObject({
      view_name: 'OAUTH',
      institution_id: OAUTH_BANK.institution_id,
    })
    // Before leaving, the first page's Link reported OPEN_OAUTH in the same session.
    const session = sandbox.sandbox.control.linkSessions().find((s) => s.linkSessionId === linkSessionId)
    expect(session?.events.map((event) => event.event_name)).toContain('OPEN_OAUTH')
    expect(await exchangedAccountNames(String(success.publicToken))).toEqual(['Plaid Checking'])
  })

  it('cancel at the bank: the redirect still comes back, and the resumed Link reports FAIL_OAUTH then onExit', async () => {
    const token = await createLinkToken(client(), { redirectUri: pageUrl() })
    const link = await reachOAuthPane(token)
    const oauthStateId = await continueByRedirect(link)
    await page.getByRole('heading', { name: `Sign in to ${OAUTH_BANK.name}` }).waitFor()
    await page.getByRole('button', { name: 'Cancel' }).click()
    await backAtRedirectUri(oauthStateId)

    const resumed = linkFrame(page)
    await resumed.getByRole('heading', { name: 'Please try again' }).waitFor()
    await resumed.getByRole('button', { name: 'Exit', exact: true }).click()
    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toMatchObject({ error_type: 'OAUTH_ERROR', error_code: 'OAUTH_ACCESS_DENIED' })
    expect(exit.metadata).toMatchObject({ status: 'requires_oauth', institution: OAUTH_BANK })
    expect(eventTrail(callbacks)).toEqual(['OPEN', 'FAIL_OAUTH', 'EXIT'])
  })

  it('two accounts shared → account selection; a refresh reuses the state: OAUTH_STATE_ID_ALREADY_PROCESSED', async () => {
    const token = await createLinkToken(client(), { redirectUri: pageUrl() })
    const link = await reachOAuthPane(token)
    const oauthStateId = await continueByRedirect(link)
    await signInAtBank(page)
    await page.getByRole('button', { name: 'Approve' }).click()
    await backAtRedirectUri(oauthStateId)

    const resumed = linkFrame(page)
    await resumed.getByRole('heading', { name: 'Select account' }).waitFor()
    await chooseAccountAndContinue(resumed, 'Plaid Checking')
    await finishOnSuccessPane(resumed)
    await waitForCallback(page, 'onSuccess')

    await page.reload()
    const callbacks = await waitForCallback(page, 'onExit')
    const exit = only(callbacks, 'onExit')
    expect(exit.error).toMatchObject({
      error_type: 'OAUTH_ERROR',
      error_code: 'OAUTH_STATE_ID_ALREADY_PROCESSED',
    })
    expect(callbacks.some((callback) => callback.name === 'onSuccess')).toBe(false)
    expect(eventTrail(callbacks)).toEqual(['ERROR', 'EXIT'])
  })

  it('a state made for another link token ends the re-created Link with INCORRECT_LINK_TOKEN', async () => {
    // The hand-off happens through the Link UI's API, without a browser: only the return is tested here.
    const original = await createLinkToken(client(), { redirectUri: pageUrl() })
    const api = async (path: string, body: Record<string, unknown>) => {
      const response = await fetch(`${sandbox.url}/link/v2/stable/api/${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      return (await response.json()) as Record<string, unknown>
    }
    const started = await api('session/start', { link_token: original })
    const { oauth_state_id } = await api('oauth/start', {
      link_token: original,
      link_session_id: started.link_session_id,
      institution_id: OAUTH_BANK.institution_id,
      mode: 'redirect',
    })
    const { redirect_to } = await api('oauth/bank/decide', { oauth_state_id, decision: 'cancel' })

    const other = await createLinkToken(client(), { redirectUri: pageUrl() })
    await page.goto(
      `${pageUrl()}?${new URLSearchParams({ token: other, receivedRedirectUri: String(redirect_to) })}`,
    )
    const exit = only(await waitForCallback(page, 'onExit'), 'onExit')
    expect(exit.error).toMatchObject({ error_type: 'OAUTH_ERROR', error_code: 'INCORRECT_LINK_TOKEN' })
  })

  it('a receivedRedirectUri off the token redirect_uri, or without oauth_state_id, ends Link with INVALID_FIELD', async () => {
    const token = await createLinkToken(client(), { redirectUri: pageUrl() })
    const cases: [string, RegExp][] = [
      [`${stack.pageUrl}/elsewhere?oauth_state_id=${crypto.randomUUID()}`, /redirect_uri/],
      [pageUrl(), /oauth uri does not contain a valid oauth_state_id query parameter/],
    ]
    for (const [receivedRedirectUri, message] of cases) {
      await page.goto(`${pageUrl()}?${new URLSearchParams({ token, receivedRedirectUri })}`)
      const exit = only(await waitForCallback(page, 'onExit'), 'onExit')
      expect(exit.error).toMatchObject({ error_type: 'INVALID_REQUEST', error_code: 'INVALID_FIELD' })
      expect(exit.error?.error_message).toMatch(message)
    }
  })

  it('a small screen without redirect_uri on the token still uses the popup', async () => {
    const token = await createLinkToken(client())
    const link = await reachOAuthPane(token)
    const bank = await continueToPopup(link)
    expect(new URL(page.url()).pathname).toBe('/')
    await bank.close()
    await link.getByRole('heading', { name: `You will be taken to ${OAUTH_BANK.name}` }).waitFor()
  })
})
