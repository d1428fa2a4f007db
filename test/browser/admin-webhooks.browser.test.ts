// The admin webhooks page in Chromium: a real server with the embedded sandbox, whose signed webhooks
// reach /api/webhooks/plaid over HTTP and are processed by the in-process workers. The page must show
// what was received, how it was verified and processed (rejected deliveries are operators' data and
// not shown), and let an admin re-drive a dead-lettered event; other roles are refused.
import { createHash, generateKeyPairSync } from 'node:crypto'
import { SignJWT } from 'jose'
import type { Products } from 'plaid'
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createPlaidSandbox, type PlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import { EMULATOR_CREDENTIALS } from '../../server/app.ts'
import { assertWebBuilt, launchBrowser, newOfflineContext, signInThroughForm } from '../helpers/browser.ts'
import { DEMO } from '../helpers/build-app.ts'
import { emulatorClient } from '../helpers/plaid.ts'
import { startTestServer, type TestServer } from '../helpers/test-server.ts'
import { eventually } from '../system/webhook-harness.ts'

/** With WEBHOOK_RETRY_LIMIT=1 an event is dead after this many failed attempts. */
const ATTEMPTS_UNTIL_DEAD = 2

type Json = Record<string, unknown>
type EventView = { id: string; webhook_code: string; state: string; attempts: number }

let sandbox: PlaidSandbox
let server: TestServer
let browser: Browser
let context: BrowserContext
let page: Page
let browserProblems: string[]

beforeAll(async () => {
  assertWebBuilt()
  sandbox = createPlaidSandbox({ clients: [EMULATOR_CREDENTIALS], webhookRetrySchedule: [50, 100] })
  ;[server, browser] = await Promise.all([
    startTestServer({
      env: {
        PLAID_SANDBOX_ENABLED: 'true',
        WEBHOOK_RETRY_LIMIT: '1',
        WEBHOOK_RETRY_DELAY_SECONDS: '0',
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
      },
      plaidSandboxPlugin: sandbox.plugin,
    }),
    launchBrowser(),
  ])
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await sandbox?.close()
})

beforeEach(async () => {
  ;({ context, page, problems: browserProblems } = await newOfflineContext(browser))
})

afterEach(async () => {
  await context.close()
  expect(browserProblems).toEqual([])
})

async function call(method: 'GET' | 'POST', url: string, cookie: string, payload?: Json) {
  const response = await server.app.inject({
    method,
    url,
    headers: { cookie },
    ...(payload ? { payload } : {}),
  })
  if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
  return response.json()
}

async function signInAt(path: string, email: string): Promise<void> {
  await signInThroughForm(page, server.url, email, { next: path })
  await page.waitForURL(`${server.url}${path}`)
}

/** A delivery that claims the sandbox's current key but was signed with a key of the sender's own. */
async function forgedSignature(body: string, kid: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return new SignJWT({
    request_body_sha256: createHash('sha256').update(body).digest('hex'),
  })
    .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
    .setIssuedAt()
    .sign(privateKey)
}

const deliveriesTable = () => page.getByRole('table', { name: /Plaid webhook deliveries/ })
const rowOf = (code: string): Locator =>
  deliveriesTable()
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: `ITEM · ${code}` }) })
/** The filter link marked as the current page: the list below it is rendered for that filter. */
const currentFilter = (filters: Locator, name: string): Locator =>
  filters.getByRole('link', { name, exact: true }).and(page.locator('[aria-current="page"]'))
/** The text of one column of a row, by the column's header (cells only; the row header is column 2). */
async function cellText(row: Locator, column: 'Item' | 'Verified with' | 'State' | 'Attempts' | 'Result') {
  const index = { Item: 1, 'Verified with': 2, State: 3, Attempts: 4, Result: 5 }[column]
  return ((await row.getByRole('cell').nth(index).textContent()) ?? '').trim()
}

describe('admin webhooks page', () => {
  it('shows verified deliveries and their processing, counts rejected ones, and re-drives a dead event', async () => {
    const admin = await server.signIn(DEMO.admin)
    // Link the admin's bank through the exchange, with the Item's webhooks going to this server.
    const plaid = emulatorClient(`${server.url}/plaid-sandbox`)
    const created = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: ['auth' as Products],
      options: { webhook: `${server.url}/api/webhooks/plaid` },
    })
    await call('POST', '/api/plaid/exchange', admin, { public_token: created.data.public_token })
    const itemId = (await call('GET', '/api/plaid/status', admin)).item.item_id as string

    // Plaid's /item/get fails for every attempt the ERROR event gets, so it ends dead-lettered; the
    // NEW_ACCOUNTS_AVAILABLE event needs no /item/get and is processed.
    sandbox.control.failNext({ endpoint: '/item/get', httpStatus: 500, times: ATTEMPTS_UNTIL_DEAD })
    await Promise.all([
      call('POST', '/api/plaid/sandbox/fire-webhook', admin, { webhook_code: 'NEW_ACCOUNTS_AVAILABLE' }),
      call('POST', '/api/plaid/sandbox/reset-login', admin),
    ])
    const settled = await eventually(async () => {
      const view = await call('GET', '/api/admin/webhooks', admin)
      const events = view.events as EventView[]
      const byCode = (code: string) => events.find((event) => event.webhook_code === code)
      return byCode('NEW_ACCOUNTS_AVAILABLE')?.state === 'processed' && byCode('ERROR')?.state === 'dead'
        ? events
        : undefined
    }, 'one processed and one dead-lettered event')
    expect(settled).toHaveLength(2)
    const kid = String(sandbox.control.signingKeys().find((key) => key.expired_at === null)?.kid)

    // One unsigned and one forged delivery: both refused, counted, stored nowhere.
    const forgedBody = JSON.stringify({
      webhook_type: 'ITEM',
      webhook_code: 'LOGIN_REPAIRED',
      item_id: itemId,
    })
    const unsigned = await fetch(`${server.url}/api/webhooks/plaid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: forgedBody,
    })
    expect(unsigned.status).toBe(401)
    const forged = await fetch(`${server.url}/api/webhooks/plaid`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'plaid-verification': await forgedSignature(forgedBody, kid),
      },
      body: forgedBody,
    })
    expect(forged.status).toBe(401)

    // The page, reached from the signing hub.
    await signInAt('/signing', DEMO.admin)
    await page.getByRole('link', { name: /Plaid webhooks/ }).click()
    await page.waitForURL(`${server.url}/admin/webhooks`)
    await page.getByRole('heading', { name: 'Plaid webhooks', level: 1 }).waitFor()
    expect(await page.title()).toBe('Plaid webhooks · Safeclose')

    await page.getByText('1 events failed for good').waitFor()
    // Rejected deliveries are operators' data (logs, webhook_rejections), not shown to any workspace.
    expect(await page.getByText(/deliveries rejected/).count()).toBe(0)

    // Only the two verified deliveries are listed (the forged ones were never stored).
    expect(await deliveriesTable().locator('tbody').getByRole('row').count()).toBe(2)
    const processed = rowOf('NEW_ACCOUNTS_AVAILABLE')
    expect(await cellText(processed, 'Item')).toBe(itemId)
    expect(await cellText(processed, 'Verified with')).toBe(`key ${kid.slice(0, 8)}`)
    expect(await cellText(processed, 'State')).toBe('processed')
    expect(await cellText(processed, 'Attempts')).toBe('1')
    expect(await cellText(processed, 'Result')).toBe('new_accounts_flagged')
    expect(await processed.getByRole('button', { name: 'Re-drive' }).count()).toBe(0)

    const dead = rowOf('ERROR')
    expect(await cellText(dead, 'Item')).toBe(itemId)
    expect(await cellText(dead, 'Verified with')).toBe(`key ${kid.slice(0, 8)}`)
    expect(await cellText(dead, 'State')).toBe('dead')
    expect(await cellText(dead, 'Attempts')).toBe(String(ATTEMPTS_UNTIL_DEAD))
    expect(await cellText(dead, 'Result')).toContain('Plaid answered 500')

    // The state filter (mouse): only the dead event.
    const filters = page.getByRole('navigation', { name: 'Filter by processing state' })
    await filters.getByRole('link', { name: 'dead (1)' }).click()
    await currentFilter(filters, 'dead (1)').waitFor()
    expect(page.url()).toBe(`${server.url}/admin/webhooks?state=dead`)
    expect(await deliveriesTable().locator('tbody').getByRole('row').count()).toBe(1)
    expect(await cellText(rowOf('ERROR'), 'State')).toBe('dead')

    // Re-drive with the keyboard: focus the button, press Enter.
    await rowOf('ERROR').getByRole('button', { name: 'Re-drive' }).focus()
    await page.keyboard.press('Enter')
    await page.getByRole('status').getByText('The event is queued again.').waitFor()
    await filters.getByRole('link', { name: 'dead (0)' }).waitFor()
    expect(await page.getByText('1 events failed for good').count()).toBe(0)

    // Back to all deliveries (mouse) until the worker has processed it: Plaid now answers, and the
    // Item's broken login is recorded. Attempts count on from where they stopped.
    await expect
      .poll(
        async () => {
          await filters.getByRole('link', { name: 'All', exact: true }).click()
          await currentFilter(filters, 'All').waitFor()
          await rowOf('NEW_ACCOUNTS_AVAILABLE').waitFor()
          return cellText(rowOf('ERROR'), 'State')
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBe('processed')
    const redriven = rowOf('ERROR')
    expect(await cellText(redriven, 'Attempts')).toBe(String(ATTEMPTS_UNTIL_DEAD + 1))
    expect(await cellText(redriven, 'Result')).toBe('status:login_required')
    expect(await redriven.getByRole('button', { name: 'Re-drive' }).count()).toBe(0)
    expect((await call('GET', '/api/plaid/status', admin)).item.status).toBe('login_required')

    // The top navigation has this section, marked as the current page, and the packages.
    const nav = page.getByRole('navigation', { name: 'Main' })
    await nav.getByRole('link', { name: 'Webhooks' }).and(page.locator('[aria-current="page"]')).waitFor()
    await nav.getByRole('link', { name: 'Packages' }).waitFor()
    // The page fits the viewport at desktop and phone widths; the wide table scrolls in its own box.
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 })
      const fit = await page.evaluate(() => {
        const viewport = document.documentElement.clientWidth
        // Which elements stick out, for the failure message.
        const wide = [...document.querySelectorAll<HTMLElement>('body *')]
          .filter((element) => element.getBoundingClientRect().right > viewport + 0.5)
          .filter((element) => !element.closest('.table-scroll'))
          .slice(0, 5)
          .map((element) => `${element.tagName.toLowerCase()}.${element.className}`)
        return { page: document.documentElement.scrollWidth, viewport, wide }
      })
      expect(fit.page, `page width at ${width} px (${fit.wide.join(', ')})`).toBeLessThanOrEqual(fit.viewport)
    }

    // Moving to another section focuses its heading rather than leaving focus on <body>.
    await page.setViewportSize({ width: 1280, height: 900 })
    await nav.getByRole('link', { name: 'Packages' }).click()
    await page.getByRole('heading', { name: 'Signing packages', level: 1 }).waitFor()
    await page.waitForFunction(() => document.activeElement?.textContent === 'Signing packages')
    await nav.getByRole('link', { name: 'Packages' }).and(page.locator('[aria-current="page"]')).waitFor()
  })

  it('refuses a manager: the page says administrators only and lists nothing', async () => {
    await signInAt('/signing', DEMO.manager)
    await page.getByRole('region', { name: 'Signed in as' }).getByText('Morgan Manager').waitFor()
    expect(await page.getByRole('link', { name: /Plaid webhooks/ }).count()).toBe(0)

    await page.goto(`${server.url}/admin/webhooks`)
    await page.getByRole('heading', { name: 'Plaid webhooks', level: 1 }).waitFor()
    await page.getByText('Administrators only').waitFor()
    expect(await page.getByRole('table').count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Re-drive' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Check all banks with Plaid now' }).count()).toBe(0)
    const manager = await server.signIn(DEMO.manager)
    const api = await server.app.inject({
      method: 'GET',
      url: '/api/admin/webhooks',
      headers: { cookie: manager },
    })
    expect(api.statusCode).toBe(403)
  })
})
