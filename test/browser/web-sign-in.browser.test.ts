// The web app's sign-in, signing hub and admin settings, in Chromium against a real Safeclose server
// serving the built app (web/dist) under its real nonce-only CSP.
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type BrowserStack, startBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'
import type { TestServer } from '../helpers/test-server.ts'

let stack: BrowserStack
let server: TestServer
let context: BrowserContext
let page: Page
let browserProblems: string[]

beforeAll(async () => {
  // Mounted as in the embedded demo, so every page carries the emulator's Link script like a real one.
  stack = await startBrowserStack()
  server = stack.server
})

afterAll(async () => {
  await stack?.close()
})

beforeEach(async () => {
  ;({ context, page, problems: browserProblems } = await stack.newPage())
})

afterEach(async () => {
  await context.close()
  expect(browserProblems).toEqual([])
})

async function signIn(email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

describe('signing in', () => {
  it('sends a visitor to sign-in, then shows who they are on the signing hub', async () => {
    await page.goto(`${server.url}/`)
    await page.waitForURL(`${server.url}/signin`)
    await page.getByText('admin@safeclose.test').waitFor()

    await signIn(DEMO.signer, DEMO.password)

    await page.waitForURL(`${server.url}/signing`)
    const identity = page.getByRole('region', { name: 'Signed in as' })
    await identity.getByText('Sam Signer').waitFor()
    const detail = (term: string) =>
      identity.locator('dl > div', { hasText: term }).locator('dd').textContent()
    expect(await detail('Email')).toBe(DEMO.signer)
    expect(await detail('Role')).toBe('Signer')
    expect(await detail('Workspace')).toBe('Demo Closings')
    expect(await page.title()).toBe('Signing hub · Safeclose')
  })

  it('returns to the page that asked for sign-in, and keeps the session across a reload', async () => {
    await page.goto(`${server.url}/admin/settings`)
    await page.waitForURL(`${server.url}/signin?next=%2Fadmin%2Fsettings`)

    await signIn(DEMO.admin, DEMO.password)

    await page.waitForURL(`${server.url}/admin/settings`)
    await page.getByRole('heading', { name: 'Workspace settings' }).waitFor()
    await page.reload()
    await page.getByRole('heading', { name: 'Plaid connection' }).waitFor()
  })

  it('ignores a ?next= that points to another site', async () => {
    await page.goto(`${server.url}/signin?next=${encodeURIComponent('//evil.example/steal')}`)
    await signIn(DEMO.signer, DEMO.password)
    await page.waitForURL(`${server.url}/signing`)
  })

  it('shows the server message for a wrong password and stays on the form', async () => {
    await page.goto(`${server.url}/signin`)
    await signIn(DEMO.admin, 'not-the-password')

    const message = page.getByText('The e-mail address or password is incorrect.')
    await message.waitFor()
    expect(await message.evaluate((element) => element.closest('[aria-live]') !== null)).toBe(true)
    expect(new URL(page.url()).pathname).toBe('/signin')
    expect(await page.getByRole('button', { name: 'Sign in' }).isEnabled()).toBe(true)
  })

  it('signs out and protects the hub again', async () => {
    await page.goto(`${server.url}/signin`)
    await signIn(DEMO.manager, DEMO.password)
    await page.getByRole('region', { name: 'Signed in as' }).getByText('Morgan Manager').waitFor()

    await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(`${server.url}/signin`)
    await page.goto(`${server.url}/signing`)
    await page.waitForURL(`${server.url}/signin`)
  })
})

describe('workspace settings', () => {
  it('are neither offered nor shown to a signer', async () => {
    await page.goto(`${server.url}/signin`)
    await signIn(DEMO.signer, DEMO.password)
    await page
      .getByRole('link', { name: /Plaid lab/ })
      .first()
      .waitFor()
    expect(await page.getByRole('link', { name: /settings/i }).count()).toBe(0)

    await page.goto(`${server.url}/admin/settings`)
    await page.getByText('Administrators only').waitFor()
    expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0)
  })

  it('let an admin save the Plaid settings, keeping the secret write-only', async () => {
    await page.goto(`${server.url}/signin?next=%2Fadmin%2Fsettings`)
    await signIn(DEMO.admin, DEMO.password)
    const form = page.getByRole('form', { name: 'Plaid connection' })
    await form.waitFor()
    expect(await page.getByRole('radio', { name: /Emulator/ }).isChecked()).toBe(true)
    await page.getByRole('region', { name: 'Encryption key' }).getByText('Configured').waitFor()

    await page.getByRole('radio', { name: /Plaid Sandbox/ }).check()
    await page.getByLabel('Client ID', { exact: true }).fill('client-id-from-test')
    await page.getByLabel('Secret', { exact: true }).fill('a-sandbox-secret-value')
    await page.getByLabel('Webhook base URL', { exact: true }).fill('https://hooks.example.test')
    await page.getByRole('button', { name: 'Save settings' }).click()

    await page.getByText('Settings saved.').waitFor()
    expect(await page.getByLabel('Secret', { exact: true }).inputValue()).toBe('')
    await page.reload()
    await form.waitFor()
    expect(await page.getByRole('radio', { name: /Plaid Sandbox/ }).isChecked()).toBe(true)
    expect(await page.getByLabel('Client ID', { exact: true }).inputValue()).toBe('client-id-from-test')
    expect(await page.getByLabel('Webhook base URL', { exact: true }).inputValue()).toBe(
      'https://hooks.example.test',
    )
    expect(await form.getByText('Set', { exact: true }).count()).toBe(1)
    expect(await page.content()).not.toContain('a-sandbox-secret-value')
  })

  it("show the server's reason when a value is rejected", async () => {
    await page.goto(`${server.url}/signin?next=%2Fadmin%2Fsettings`)
    await signIn(DEMO.admin, DEMO.password)
    await page.getByRole('form', { name: 'Plaid connection' }).waitFor()

    await page.getByLabel('Client ID', { exact: true }).fill('not a client id!')
    await page.getByRole('button', { name: 'Save settings' }).click()

    const error = page.locator('.form-message__error')
    await error.waitFor()
    // Named in words, not by its schema path.
    expect(await error.textContent()).toMatch(/^Client ID is not valid\./)
    expect(await page.getByLabel('Client ID', { exact: true }).inputValue()).toBe('not a client id!')
    // The refused input is marked, described by the message, and has the focus.
    const clientId = page.getByLabel('Client ID', { exact: true })
    expect(await clientId.getAttribute('aria-invalid')).toBe('true')
    const describedBy = (await clientId.getAttribute('aria-describedby')) ?? ''
    expect(await error.getAttribute('id')).toBeTruthy()
    expect(describedBy.split(' ')).toContain(await error.getAttribute('id'))
    expect(await clientId.evaluate((input) => input === document.activeElement)).toBe(true)
  })
})
