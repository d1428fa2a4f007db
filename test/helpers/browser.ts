import { existsSync } from 'node:fs'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { DEMO_PASSWORD } from '../../server/seed/demo-workspace.ts'

export const CHROMIUM_PATH = '/usr/bin/chromium'

const BUILT_APP = new URL('../../web/dist/index.html', import.meta.url)

/** Fails with what to do when the web app is not built: browser tests load web/dist. */
export function assertWebBuilt(): void {
  if (!existsSync(BUILT_APP)) {
    throw new Error('web/dist is missing: run `npm run build:web` (npm run test:browser does)')
  }
}

/**
 * Debian's Chromium, headless, with every background network feature off (the machines have no
 * internet). A missing browser is a failure, never a skip: CI must not pass without browser tests.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}; install Debian's chromium package`)
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

export type OfflineContext = { context: BrowserContext; page: Page; problems: string[] }

/**
 * A fresh browser profile with one page. Every *.plaid.com request is refused (no test reaches the
 * internet), and page errors and console errors are collected in `problems`: a CSP violation (a
 * script or stylesheet that lost its nonce) or a React error shows up there. "Failed to load
 * resource" lines are left out, since tests provoke 401/403 answers on purpose.
 */
export async function newOfflineContext(
  browser: Browser,
  options: {
    onPlaidRequest?(url: string): void
    /** Extra context options, e.g. a phone: `{ viewport, isMobile: true, hasTouch: true }`. */
    contextOptions?: Parameters<Browser['newContext']>[0]
  } = {},
): Promise<OfflineContext> {
  const context = await browser.newContext({ serviceWorkers: 'block', ...options.contextOptions })
  await context.route(/^https?:\/\/([\w-]+\.)*plaid\.com\//, (route) => {
    options.onPlaidRequest?.(route.request().url())
    return route.abort('blockedbyclient')
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.push(`console error: ${message.text()}`)
    }
  })
  return { context, page, problems }
}

/**
 * Signs `email` in through the sign-in page, with the demo password unless another is given, from
 * `/signin?next=<next>` when `next` is given. The caller waits for wherever the sign-in leads.
 */
export async function signInThroughForm(
  page: Page,
  baseUrl: string,
  email: string,
  options: { next?: string; password?: string } = {},
): Promise<void> {
  const query = options.next ? `?next=${encodeURIComponent(options.next)}` : ''
  await page.goto(`${baseUrl}/signin${query}`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(options.password ?? DEMO_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
}
