// Shared setup for the Link UI browser tests: builds the React test page (react-plaid-link, unmodified),
// serves it on 127.0.0.1, starts the Plaid sandbox, and drives Chromium with every *.plaid.com request
// either routed to the sandbox (the CDN URL only) or aborted.

import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize } from 'node:path'
import react from '@vitejs/plugin-react'
import { Configuration, CountryCode, PlaidApi, Products } from 'plaid'
import { type Browser, type BrowserContext, chromium, type FrameLocator, type Page } from 'playwright-core'
import type {
  PlaidLinkError,
  PlaidLinkOnEventMetadata,
  PlaidLinkOnExitMetadata,
  PlaidLinkOnSuccessMetadata,
} from 'react-plaid-link'
import { build } from 'vite'
import { type StartedPlaidSandbox, startPlaidSandbox } from '../../src/main.ts'

export const CDN_LINK_FOLDER = 'https://cdn.plaid.com/link/v2/stable/'
const PLAID_HOST = /^https?:\/\/([\w-]+\.)*plaid\.com(\/|$)/
const CLIENT_ID = 'safeclose-demo'
const SECRET = 'sandbox-secret-demo'

/** Builds the test page once per test file, into a temporary folder removed by `close()`. */
export async function buildLinkTestPage(): Promise<{ dir: string; close: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'plaid-link-test-page-'))
  await build({
    root: join(import.meta.dirname, 'link-app'),
    // A development build keeps React's StrictMode double effects, which the tests rely on.
    mode: 'development',
    define: { 'process.env.NODE_ENV': JSON.stringify('development') },
    plugins: [react()],
    logLevel: 'warn',
    configFile: false,
    build: { outDir: dir, emptyOutDir: true, minify: false, sourcemap: false },
  })
  return { dir, close: () => rm(dir, { recursive: true, force: true }) }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
}

/**
 * Serves the built page. `/offline.html` is the offline-demo variant: the emulator script is loaded by
 * a classic blocking <script> before the module bundle, as the Safeclose server does in emulator mode.
 * With `?csp-frame-src=<sources>` it is served under a strict nonce-based Content-Security-Policy.
 */
export async function serveLinkTestPage(
  dir: string,
  emulatorScriptUrl: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const path = url.pathname
    try {
      if (path === '/offline.html') {
        const page = await readFile(join(dir, 'index.html'), 'utf8')
        const withEmulator = page.replace(
          '<script type="module"',
          `<script src="${emulatorScriptUrl}"></script>\n    <script type="module"`,
        )
        const headers: Record<string, string> = { 'content-type': CONTENT_TYPES['.html'] ?? '' }
        const frameSource = url.searchParams.get('csp-frame-src')
        if (frameSource === null) {
          response.writeHead(200, headers)
          response.end(withEmulator)
          return
        }
        // The Safeclose page's shape of policy: nonce-only scripts, one nonce per response.
        const nonce = randomBytes(16).toString('base64')
        headers['content-security-policy'] = [
          "default-src 'self'",
          `script-src 'nonce-${nonce}'`,
          `style-src 'self' 'nonce-${nonce}'`,
          `frame-src ${frameSource}`,
          "connect-src 'self'",
          "object-src 'none'",
          "base-uri 'none'",
        ].join('; ')
        response.writeHead(200, headers)
        response.end(withEmulator.replaceAll('<script ', `<script nonce="${nonce}" `))
        return
      }
      const file = normalize(path === '/' ? '/index.html' : path)
      const body = await readFile(join(dir, file))
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' })
      response.end(body)
    } catch {
      response.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
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

export type LinkTestStack = {
  sandbox: StartedPlaidSandbox
  /** Base URL of the served test page (see serveLinkTestPage). */
  pageUrl: string
  browser: Browser
  close(): Promise<void>
}

/** What every Link browser test file needs: the sandbox, the test page served beside it, Chromium. */
export async function startLinkTestStack(): Promise<LinkTestStack> {
  const [sandbox, testPage, browser] = await Promise.all([
    startPlaidSandbox({ port: 0 }),
    buildLinkTestPage(),
    launchChromium(),
  ])
  const pageServer = await serveLinkTestPage(testPage.dir, `${sandbox.url}/link/v2/stable/link-initialize.js`)
  return {
    sandbox,
    pageUrl: pageServer.url,
    browser,
    async close() {
      await browser.close()
      await pageServer.close()
      await sandbox.close()
      await testPage.close()
    },
  }
}

export type PlaidTraffic = { requested: string[] }

/**
 * Mode (1): the CDN's Link folder is served by the sandbox, every other *.plaid.com request is aborted.
 * Playwright tries routes in reverse registration order, so the fail-closed catch-all comes first.
 */
export async function routeCdnToSandbox(context: BrowserContext, sandboxUrl: string): Promise<PlaidTraffic> {
  const traffic = recordPlaidTraffic(context)
  await context.route(PLAID_HOST, (route) => route.abort('blockedbyclient'))
  await context.route(`${CDN_LINK_FOLDER}**`, async (route) => {
    const requested = new URL(route.request().url())
    const target = `${sandboxUrl}/link/v2/stable/${requested.pathname.slice('/link/v2/stable/'.length)}${requested.search}`
    try {
      await route.fulfill({ response: await route.fetch({ url: target }) })
    } catch (error) {
      // The page went away while its request was in flight (an OAuth popup closing itself, a context
      // closed at the end of a test): nobody is left to answer.
      if (!/disposed|closed/i.test(String(error))) throw error
    }
  })
  return traffic
}

/** Mode (2): nothing may reach plaid.com; the offline page must never even try. */
export async function blockAllPlaidTraffic(context: BrowserContext): Promise<PlaidTraffic> {
  const traffic = recordPlaidTraffic(context)
  await context.route(PLAID_HOST, (route) => route.abort('blockedbyclient'))
  return traffic
}

function recordPlaidTraffic(context: BrowserContext): PlaidTraffic {
  const traffic: PlaidTraffic = { requested: [] }
  context.on('request', (request) => {
    if (PLAID_HOST.test(request.url())) traffic.requested.push(request.url())
  })
  return traffic
}

export function plaidClient(sandboxUrl: string): PlaidApi {
  return new PlaidApi(
    new Configuration({
      basePath: sandboxUrl,
      baseOptions: { headers: { 'PLAID-CLIENT-ID': CLIENT_ID, 'PLAID-SECRET': SECRET } },
    }),
  )
}

export async function createLinkToken(
  client: PlaidApi,
  options: { accessToken?: string; redirectUri?: string } = {},
): Promise<string> {
  const { data } = await client.linkTokenCreate({
    client_name: 'Safeclose',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'signer-42' },
    ...(options.accessToken ? { access_token: options.accessToken } : { products: [Products.Auth] }),
    ...(options.redirectUri ? { redirect_uri: options.redirectUri } : {}),
  })
  return data.link_token
}

/** What the test page recorded; typed as react-plaid-link declares it, checked by the tests at run time. */
export type RecordedCallback =
  | { name: 'onSuccess'; publicToken: string | null; metadata: PlaidLinkOnSuccessMetadata }
  | { name: 'onExit'; error: PlaidLinkError | null; metadata: PlaidLinkOnExitMetadata }
  | { name: 'onEvent'; eventName: string; metadata: PlaidLinkOnEventMetadata }
  | { name: 'onLoad' }

export function recordedCallbacks(page: Page): Promise<RecordedCallback[]> {
  return page.evaluate(
    () => (window as unknown as { linkTestPage: { callbacks: RecordedCallback[] } }).linkTestPage.callbacks,
  )
}

/** Waits until the app has received `name` (onSuccess / onExit / onLoad), then returns every callback so far. */
export async function waitForCallback(
  page: Page,
  name: RecordedCallback['name'],
): Promise<RecordedCallback[]> {
  await page.waitForFunction(
    (wanted) =>
      (window as unknown as { linkTestPage: { callbacks: { name: string }[] } }).linkTestPage.callbacks.some(
        (callback) => callback.name === wanted,
      ),
    name,
  )
  return recordedCallbacks(page)
}

export function linkFrame(page: Page, instance = 1): FrameLocator {
  return page.frameLocator(`#plaid-link-iframe-${instance}`)
}

export type { Browser, BrowserContext, Page }
