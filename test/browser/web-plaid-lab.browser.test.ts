// The Plaid lab end to end in Chromium: the built web app, a real Safeclose server and the embedded
// Plaid emulator (its Link script injected by the server, as in the offline demo). Every plaid.com
// request is aborted, and the emulated flow must not even attempt one.
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createPlaidSandbox, type PlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import {
  acceptConsent,
  finishOnSuccessPane,
  linkFirstPlatypus,
  searchAndSelectInstitution,
  submitCredentials,
} from '../../plaid-sandbox/test/browser-fixtures/link-panes.ts'
import { EMULATOR_CREDENTIALS } from '../../server/app.ts'
import { assertWebBuilt, launchBrowser, newOfflineContext, signInThroughForm } from '../helpers/browser.ts'
import { DEMO } from '../helpers/build-app.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'

const FIVE_HOURS_MS = 5 * 60 * 60 * 1000

type Stack = { sandbox: PlaidSandbox; server: TestServer }

async function startStack(options: { keyring?: string | null } = {}): Promise<Stack> {
  const sandbox = createPlaidSandbox({ clients: [EMULATOR_CREDENTIALS] })
  const server = await startTestServer({
    env: { PLAID_SANDBOX_ENABLED: 'true' },
    plaidSandboxPlugin: sandbox.plugin,
    ...options,
  })
  return { sandbox, server }
}

async function stopStack(stack: Stack | undefined): Promise<void> {
  await stack?.server.close()
  await stack?.sandbox.close()
}

let browser: Browser
let context: BrowserContext
let page: Page
let plaidRequests: string[]
let browserProblems: string[]
let eventReports: { status: number; body: string }[]

beforeAll(async () => {
  assertWebBuilt()
  browser = await launchBrowser()
})

afterAll(async () => {
  await browser?.close()
})

beforeEach(async () => {
  plaidRequests = []
  ;({
    context,
    page,
    problems: browserProblems,
  } = await newOfflineContext(browser, {
    onPlaidRequest: (url) => plaidRequests.push(url),
  }))
  eventReports = []
  page.on('response', (response) => {
    // The reports the page sends (POST); its GET reads the timeline back after a reload.
    if (!response.url().endsWith('/api/plaid/link-events') || response.request().method() !== 'POST') return
    eventReports.push({ status: response.status(), body: response.request().postData() ?? '' })
  })
})

afterEach(async () => {
  await context.close()
})

async function openLabAs(server: TestServer, email: string): Promise<void> {
  await signInThroughForm(page, server.url, email, { next: '/signing/plaid-lab' })
  await page.getByRole('heading', { name: 'Plaid lab', level: 1 }).waitFor()
}

const step = (number: number) => page.getByRole('listitem').filter({ hasText: `Step ${number}:` })
/** The progress badge in a step's header. */
const progressBadge = (number: number) => step(number).locator('.step__header .badge')

/** Waits until keyboard focus is on the heading of step `number` (not left on <body>). */
async function expectFocusOnStep(number: number) {
  await page.waitForFunction(
    (expected) => document.activeElement?.textContent?.startsWith(expected) ?? false,
    `Step ${number}:`,
  )
}

/** The Link iframe that is currently shown (the emulator numbers one per handler, like real Link). */
async function visibleLink(): Promise<FrameLocator> {
  const iframe = page.locator('iframe[id^="plaid-link-iframe-"]:visible')
  await iframe.waitFor()
  return page.frameLocator(`#${await iframe.getAttribute('id')}`)
}

describe('Plaid lab against the embedded emulator', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
  })
  afterAll(() => stopStack(stack))

  it('runs token → Link → exchange → status, reports events, then reconnects and unlinks', async () => {
    await openLabAs(stack.server, DEMO.signer)
    await page.getByRole('region', { name: 'Plaid environment' }).getByText('Emulator').waitFor()
    await page.getByText('user_good').first().waitFor()
    await step(4).getByText('No bank account is linked yet').waitFor()
    // Reading the status is not "Done": nothing is linked yet.
    expect(await progressBadge(4).textContent()).toBe('Waiting')

    await step(1).getByRole('button', { name: 'Request link token' }).click()
    const maskedToken = step(1).locator('dd code').first()
    await maskedToken.waitFor()
    // The next thing to do is in step 2: focus goes there.
    await expectFocusOnStep(2)
    expect(await maskedToken.textContent()).toMatch(/^link-sandbox-[\w-]{4}…[\w-]{4}$/)
    expect(await step(2).getByText('Before you open Link').count()).toBe(0)

    await step(2).getByRole('button', { name: 'Open Link' }).click()
    await linkFirstPlatypus(await visibleLink())

    await step(2).getByText('First Platypus Bank shared 1 account').waitFor()
    await expectFocusOnStep(3)
    await step(3).getByText('Saved').waitFor()
    expect(await step(3).locator('dl > div', { hasText: 'Saved' }).locator('dd').textContent()).toBe('Yes')
    expect(await step(3).locator('dl > div', { hasText: 'Institution ID' }).locator('dd').textContent()).toBe(
      'ins_109508',
    )
    // The request body shown on screen carries the public token masked, never whole.
    expect(await step(3).locator('pre').first().textContent()).toMatch(
      /"public_token": "public-sandbox-\w{4}…/,
    )
    await step(4)
      .getByRole('row', { name: /Plaid Checking/ })
      .waitFor()
    expect(
      await step(4)
        .getByRole('row', { name: /Plaid Checking/ })
        .textContent(),
    ).toMatch(/•••• ending in \d{4}/)

    const timeline = page.getByRole('region', { name: 'Link event timeline' })
    await timeline.getByRole('cell', { name: 'OPEN' }).waitFor()
    await timeline.getByRole('cell', { name: /HANDOFF/ }).waitFor()
    await expect.poll(() => eventReports.some((report) => report.body.includes('"HANDOFF"'))).toBe(true)
    expect(eventReports.every((report) => report.status === 202)).toBe(true)
    expect(eventReports.some((report) => /(public|link)-sandbox-/.test(report.body))).toBe(false)
    await progressBadge(4).getByText('Done').waitFor()

    // The timeline is read back from Safeclose: a reload keeps it.
    await page.reload()
    await page.getByRole('heading', { name: 'Plaid lab', level: 1 }).waitFor()
    await timeline.getByRole('cell', { name: 'OPEN' }).waitFor()
    await timeline.getByRole('cell', { name: /HANDOFF/ }).waitFor()
    await step(4)
      .getByRole('row', { name: /Plaid Checking/ })
      .waitFor()

    await step(4).getByRole('button', { name: 'Simulate bank sign-in expiry' }).click()
    await step(4).getByText('Sign-in required').waitFor()
    await step(4).getByRole('button', { name: 'Reconnect' }).click()
    const updateLink = await visibleLink()
    await acceptConsent(updateLink)
    await submitCredentials(updateLink, 'pass_good')
    await finishOnSuccessPane(updateLink)
    await step(3).getByText('Update mode repairs the existing connection').waitFor()
    await step(4).getByText('Connected', { exact: true }).waitFor()

    // A webhook the page did not ask for (fired here behind its back) still reaches the status, with
    // what to do next.
    const fired = await page.evaluate(async () => {
      const response = await fetch('/api/plaid/sandbox/fire-webhook', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ webhook_code: 'USER_PERMISSION_REVOKED' }),
      })
      return response.status
    })
    expect(fired).toBe(200)
    await step(4).getByText('Access to this bank was revoked').waitFor({ timeout: 20_000 })
    await step(4).getByText('link the account again from step 1').waitFor()

    await step(4).getByRole('button', { name: 'Unlink bank account' }).click()
    await step(4).getByRole('button', { name: 'Yes, unlink' }).click()
    await step(4).getByText('No bank account is linked yet').waitFor()

    expect(plaidRequests).toEqual([])
    expect(browserProblems).toEqual([])
  })

  it('fetches a fresh link token when Link exits with INVALID_LINK_TOKEN, and the retry links', async () => {
    await openLabAs(stack.server, DEMO.manager)
    await step(1).getByRole('button', { name: 'Request link token' }).click()
    await step(1).locator('dd code').first().waitFor()
    stack.sandbox.control.advanceClock(FIVE_HOURS_MS)

    await step(2).getByRole('button', { name: 'Open Link' }).click()
    await step(2).getByText('Link ended with INVALID_LINK_TOKEN').waitFor()
    await step(2).getByText('Your link token had expired').waitFor()
    await page
      .getByRole('region', { name: 'Link event timeline' })
      .getByText('INVALID_INPUT · INVALID_LINK_TOKEN')
      .first()
      .waitFor()

    await step(2).getByRole('button', { name: 'Open Link' }).click()
    const link = await visibleLink()
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await submitCredentials(link, 'pass_good')
    await link.getByRole('radio', { name: /Plaid Checking/ }).check()
    await link.getByRole('button', { name: 'Continue' }).click()
    await finishOnSuccessPane(link)
    await step(3).getByText('Saved').waitFor()
    expect(plaidRequests).toEqual([])
    expect(browserProblems).toEqual([])
  })
  it('reports a user exit and a bank error on exit, and Link opens again afterwards', async () => {
    await openLabAs(stack.server, DEMO.admin)
    await step(1).getByRole('button', { name: 'Request link token' }).click()
    await step(1).locator('dd code').first().waitFor()

    // The user closes Link on the institution pane: no error, an exit status.
    await step(2).getByRole('button', { name: 'Open Link' }).click()
    let link = await visibleLink()
    await acceptConsent(link)
    await link.getByRole('button', { name: 'Close' }).click()
    await link.getByRole('button', { name: 'Exit', exact: true }).click()
    await step(2)
      .getByText(/Link was closed without linking/)
      .waitFor()
    // Link closed: focus is back on the page, at the step that says what happened.
    await expectFocusOnStep(2)
    // Plaid's status code is for support, not the sentence the user reads.
    expect(
      await step(2)
        .getByText(/Link was closed without linking/)
        .textContent(),
    ).not.toContain('(')
    await step(2).getByText("Plaid's exit status (for support):").waitFor()

    // The bank refuses the sign-in with a terminal error; exiting reports it.
    await step(2).getByRole('button', { name: 'Open Link' }).click()
    link = await visibleLink()
    await acceptConsent(link)
    await searchAndSelectInstitution(link)
    await submitCredentials(link, 'error_ITEM_LOCKED')
    await link.getByText('Error code: ITEM_LOCKED').waitFor()
    await link.getByRole('button', { name: 'Exit', exact: true }).click()
    await step(2).getByText('Link ended with ITEM_LOCKED').waitFor()
    await page
      .getByRole('region', { name: 'Link event timeline' })
      .getByText(/ITEM_LOCKED/)
      .first()
      .waitFor()
    await step(4).getByText('No bank account is linked yet').waitFor()

    // Exits do not leave the page stuck: Link still links.
    await step(2).getByRole('button', { name: 'Open Link' }).click()
    await linkFirstPlatypus(await visibleLink())
    await step(3).getByText('Saved').waitFor()
    await expect.poll(() => eventReports.some((report) => report.body.includes('"ITEM_LOCKED"'))).toBe(true)
    expect(plaidRequests).toEqual([])
    expect(browserProblems).toEqual([])
  })
})

describe('Plaid lab without an encryption key', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack({ keyring: null })
  })
  afterAll(() => stopStack(stack))

  it('warns before Link opens that the connection will not be saved', async () => {
    await openLabAs(stack.server, DEMO.signer)
    await step(1).getByRole('button', { name: 'Request link token' }).click()
    await step(2).getByText('Before you open Link').waitFor()
    expect(
      await step(2)
        .getByText(/no encryption key/)
        .textContent(),
    ).toContain('Ask your workspace administrator')

    // Linking still completes with Plaid, but the result says it was not saved, and why.
    await step(2).getByRole('button', { name: 'Open Link' }).click()
    await linkFirstPlatypus(await visibleLink())
    await step(3).getByText('Not saved').waitFor()
    expect(await step(3).locator('dl > div', { hasText: 'Saved' }).locator('dd').textContent()).toBe('No')
    await step(3).getByText('The connection was not saved').waitFor()
    await step(3)
      .locator('p', { hasText: /Ask your administrator to check the encryption key configuration/ })
      .waitFor()
    await step(4).getByText('No bank account is linked yet').waitFor()
    expect(plaidRequests).toEqual([])
    expect(browserProblems).toEqual([])
  })
})

describe('Plaid lab when the Link script cannot load', () => {
  let stack: Stack
  beforeAll(async () => {
    stack = await startStack()
    // Plaid Sandbox loads Link from Plaid's CDN, which these tests block like an ad blocker would.
    const adminCookie = await stack.server.signIn(DEMO.admin)
    const response = await stack.server.app.inject({
      method: 'PUT',
      url: '/api/admin/plaid-settings',
      headers: { cookie: adminCookie, origin: stack.server.url },
      payload: { environment: 'sandbox', client_id: 'test-client', secret: 'test-secret' },
    })
    expect(response.statusCode).toBe(200)
  })
  afterAll(() => stopStack(stack))

  it('says so and retries by loading the script again', async () => {
    await openLabAs(stack.server, DEMO.signer)
    const failure = page.getByText('Bank linking failed to load (network or ad blocker)')
    await failure.waitFor()
    const attemptsBefore = plaidRequests.filter((url) => url.endsWith('/link-initialize.js')).length
    expect(attemptsBefore).toBe(1)

    await page.getByRole('button', { name: 'Retry' }).click()
    await failure.waitFor()
    await expect
      .poll(() => plaidRequests.filter((url) => url.endsWith('/link-initialize.js')).length)
      .toBe(attemptsBefore + 1)
  })
})
