// Mode 2, the offline demo: the page loads the emulator script itself (a classic <script> before the
// app bundle), so react-plaid-link finds the inert CDN marker and never tries plaid.com. Every plaid.com
// request is aborted and the test asserts none was even attempted. Also pins the window.Plaid handler
// contract that react-plaid-link relies on.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Browser,
  type BrowserContext,
  blockAllPlaidTraffic,
  CDN_LINK_FOLDER,
  createLinkToken,
  type LinkTestStack,
  linkFrame,
  type Page,
  type PlaidTraffic,
  plaidClient,
  recordedCallbacks,
  startLinkTestStack,
  waitForCallback,
} from './browser-fixtures/link-harness.ts'
import { acceptConsent, linkFirstPlatypus, SANDBOX_INSTITUTION } from './browser-fixtures/link-panes.ts'

let stack: LinkTestStack
let sandbox: LinkTestStack['sandbox']
let browser: Browser
let context: BrowserContext
let page: Page
let plaidTraffic: PlaidTraffic
let consoleMessages: string[]

beforeAll(async () => {
  stack = await startLinkTestStack()
  ;({ sandbox, browser } = stack)
})

afterAll(async () => {
  await stack?.close()
})

beforeEach(async () => {
  context = await browser.newContext({ serviceWorkers: 'block' })
  plaidTraffic = await blockAllPlaidTraffic(context)
  page = await context.newPage()
  consoleMessages = []
  page.on('console', (message) => consoleMessages.push(`${message.type()}: ${message.text()}`))
})

afterEach(async () => {
  await context.close()
  expect(plaidTraffic.requested).toEqual([])
})

const offlinePageUrl = (query: Record<string, string> = {}) =>
  `${stack.pageUrl}/offline.html?${new URLSearchParams(query)}`

describe('offline demo page (emulator script loaded by the page, plaid.com unreachable)', () => {
  it('links an account under StrictMode without a single plaid.com request', async () => {
    const token = await createLinkToken(plaidClient(sandbox.url))
    await page.goto(offlinePageUrl({ token, strict: '1' }))
    await page.getByRole('button', { name: 'Connect a bank account' }).click()

    // StrictMode ran create → destroy → create: only the second handler's iframe is left.
    const iframes = page.locator('iframe[id^="plaid-link-iframe-"]')
    expect(await iframes.count()).toBe(1)
    expect(await iframes.getAttribute('id')).toBe('plaid-link-iframe-2')
    await linkFirstPlatypus(linkFrame(page, 2))

    const callbacks = await waitForCallback(page, 'onSuccess')
    const successes = callbacks.filter((callback) => callback.name === 'onSuccess')
    expect(successes).toHaveLength(1)
    expect(successes[0]).toMatchObject({ metadata: { institution: SANDBOX_INSTITUTION } })
    // The marker is a data block: the browser neither fetched nor ran it.
    expect(
      await page.evaluate(
        (src) =>
          [...document.querySelectorAll(`script[src="${src}"]`)].map(
            (script) => (script as HTMLScriptElement).type,
          ),
        `${CDN_LINK_FOLDER}link-initialize.js`,
      ),
    ).toEqual(['text/plain'])
  })

  it('runs under a strict nonce-based page CSP whose frame-src allows only the sandbox origin', async () => {
    const token = await createLinkToken(plaidClient(sandbox.url))
    await page.goto(offlinePageUrl({ token, 'csp-frame-src': new URL(sandbox.url).origin }))
    await page.getByRole('button', { name: 'Connect a bank account' }).click()
    await linkFirstPlatypus(linkFrame(page, 1))

    await waitForCallback(page, 'onSuccess')
    expect(consoleMessages.filter((message) => /Content Security Policy|Refused to/i.test(message))).toEqual(
      [],
    )
  })

  it('explains on the console why Link never loads when the page CSP blocks its frame', async () => {
    const token = await createLinkToken(plaidClient(sandbox.url))
    await page.goto(offlinePageUrl({ token, 'csp-frame-src': "'none'" }))

    await expect
      .poll(
        () =>
          consoleMessages.find((message) => message.startsWith('error: Plaid Link emulator: the Link frame')),
        // The emulator waits a grace period after the blocked frame's load event before it complains.
        { timeout: 10_000 },
      )
      .toContain(`allow ${new URL(sandbox.url).origin} in frame-src`)
    expect(await recordedCallbacks(page)).toEqual([])
  })

  it('honours the window.Plaid handler contract react-plaid-link depends on', async () => {
    const token = await createLinkToken(plaidClient(sandbox.url))
    // No token for the app: it never creates a handler, so the test drives window.Plaid alone.
    await page.goto(offlinePageUrl())
    await page.evaluate((linkToken) => {
      const trace: string[] = []
      const { create } = window.Plaid
      // Unbound, with the keys react-plaid-link passes (key: undefined) and one it does not know.
      const handler = create({
        token: linkToken,
        key: undefined,
        somethingNew: true,
        onLoad: () => trace.push('onLoad'),
        onSuccess: () => trace.push('onSuccess'),
        onExit: (error, metadata) => trace.push(`onExit ${error?.error_code ?? null} ${metadata.status}`),
        onEvent: (eventName) => trace.push(`onEvent ${eventName}`),
      } as Parameters<typeof create>[0])
      trace.push('created')
      // Opened before the frame is ready: queued until onLoad.
      handler.open()
      trace.push('open called')
      Object.assign(window, { handlerUnderTest: handler, trace })
    }, token)

    const link = linkFrame(page, 1)
    await link.getByRole('button', { name: 'Continue' }).waitFor()
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { trace: string[] }).trace))
      .toEqual(['created', 'open called', 'onLoad', 'onEvent OPEN'])
    expect(await page.locator('#plaid-link-iframe-1').isVisible()).toBe(true)

    // A message that does not come from the handler's own frame is ignored, whatever it claims.
    await page.evaluate(() =>
      window.postMessage(
        { channel: 'plaid-link-emulator', type: 'success', session: 1, publicToken: 'forged', metadata: {} },
        '*',
      ),
    )
    await acceptConsent(link)
    await link.locator('#search-input-input').waitFor()

    // exit() without force asks the user first.
    await page.evaluate(() =>
      (
        window as unknown as { handlerUnderTest: ReturnType<typeof window.Plaid.create> }
      ).handlerUnderTest.exit(),
    )
    await link.getByRole('heading', { name: 'Are you sure you want to exit?' }).waitFor()

    // exit({ force: true }) reports synchronously, before exit() returns; destroy() is idempotent.
    const afterForcedExit = await page.evaluate(() => {
      const { handlerUnderTest: handler, trace } = window as unknown as {
        handlerUnderTest: ReturnType<typeof window.Plaid.create>
        trace: string[]
      }
      handler.exit({ force: true })
      trace.push('exit returned')
      handler.exit()
      handler.destroy()
      handler.destroy()
      return { trace, iframes: document.querySelectorAll('iframe[id^="plaid-link-iframe-"]').length }
    })
    expect(afterForcedExit).toEqual({
      trace: [
        'created',
        'open called',
        'onLoad',
        'onEvent OPEN',
        'onEvent TRANSITION_VIEW',
        'onEvent TRANSITION_VIEW',
        'onEvent EXIT',
        'onExit null institution_not_found',
        'exit returned',
      ],
      iframes: 0,
    })
    expect(consoleMessages).toContain('warning: Link warning: attempted to exit Link when it was not open')

    // Ids keep counting across handlers, as real Link's do.
    const nextId = await page.evaluate((linkToken) => {
      window.Plaid.create({ token: linkToken, onSuccess: () => {} })
      return document.querySelector('iframe[id^="plaid-link-iframe-"]')?.id
    }, token)
    expect(nextId).toBe('plaid-link-iframe-2')
  })

  it('keeps the first window.Plaid when the script runs twice', async () => {
    await page.goto(offlinePageUrl())
    const isSameObject = await page.evaluate(async (scriptUrl) => {
      const first = window.Plaid
      const again = document.createElement('script')
      again.src = scriptUrl
      await new Promise((resolve, reject) => {
        again.onload = resolve
        again.onerror = reject
        document.body.append(again)
      })
      return window.Plaid === first
    }, `${sandbox.url}/link/v2/stable/link-initialize.js?again`)
    expect(isSameObject).toBe(true)
    expect(consoleMessages).toContain(
      'warning: The Plaid link-initialize.js script was embedded more than once.',
    )
  })
})
