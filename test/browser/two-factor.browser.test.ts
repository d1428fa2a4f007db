// Two-factor sign-in in Chromium against a real server serving the built app under its nonce-only CSP:
// TOTP enrolment on /account/security (QR code and key), then signing in with a code and with a
// recovery code. Codes come from otplib with the key the page shows, as an authenticator app would.
import { generateSync } from 'otplib'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { signInThroughForm } from '../helpers/browser.ts'
import { type BrowserStack, startBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'
import type { TestServer } from '../helpers/test-server.ts'

let stack: BrowserStack
let server: TestServer
let context: BrowserContext
let page: Page
let browserProblems: string[]

beforeAll(async () => {
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

async function passwordStep(email: string): Promise<void> {
  await signInThroughForm(page, server.url, email)
}

async function signOut(): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL(`${server.url}/signin`)
}

/** A code for the next time step: the step of the code just used is spent, ±1 step is accepted. */
const nextCode = (secret: string) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 })

describe('two-factor sign-in', () => {
  let secret: string
  let recoveryCodes: string[]

  it('lets an administrator with two-factor require it of admins and managers', async () => {
    await passwordStep(DEMO.admin)
    await page.waitForURL(`${server.url}/signing`)
    // The administrator enrols through the API (the page is exercised with the manager below).
    const cookie = await server.signIn(DEMO.admin)
    const setup = await server.app.inject({
      method: 'POST',
      url: '/api/auth/2fa/totp/setup',
      headers: { cookie },
    })
    const enable = await server.app.inject({
      method: 'POST',
      url: '/api/auth/2fa/totp/enable',
      headers: { cookie },
      payload: { code: generateSync({ secret: setup.json().secret }) },
    })
    expect(enable.statusCode).toBe(200)

    await page.getByRole('banner').getByRole('link', { name: 'Account security' }).click()
    await page.waitForURL(`${server.url}/account/security`)
    const policy = page.getByRole('form', { name: 'Workspace policy' })
    await policy.getByRole('checkbox', { name: /must use two-factor sign-in/ }).check()
    await policy.getByRole('button', { name: 'Save policy' }).click()
    await policy.getByText('Saved.').waitFor()
    await signOut()
  })

  it('holds a manager without two-factor at /account/security, where they set up TOTP with a QR code', async () => {
    await passwordStep(DEMO.manager)
    await page.waitForURL(`${server.url}/account/security`)
    await page.getByText('Two-factor sign-in is required').waitFor()
    expect(await page.title()).toBe('Account security · Safeclose')
    // Every other page of the app leads back here.
    await page.getByRole('banner').getByRole('link', { name: 'Signing hub' }).click()
    await page.waitForURL(`${server.url}/account/security`)
    await page.goto(`${server.url}/signing/manager/signings`)
    await page.waitForURL(`${server.url}/account/security`)

    await page.getByRole('button', { name: 'Set up authenticator app' }).click()
    const qr = page.getByRole('img', { name: 'QR code to add Safeclose to your authenticator app' })
    await qr.waitFor()
    expect(await qr.evaluate((element) => element.tagName.toLowerCase())).toBe('svg')
    expect(
      Number(await qr.locator('path').evaluate((path) => path.getAttribute('d')?.length)),
    ).toBeGreaterThan(500)
    const shown = (await page.locator('li', { hasText: 'type this key' }).locator('code').textContent()) ?? ''
    secret = shown.replaceAll(' ', '')
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)

    // A wrong code is refused next to the field; the key and QR code stay.
    const codeField = page.getByLabel('Code from the app')
    await codeField.fill('000000')
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
    await page.getByText('The code is incorrect').waitFor()
    expect(await codeField.getAttribute('aria-invalid')).toBe('true')
    await qr.waitFor()

    await codeField.fill(generateSync({ secret }))
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click()
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor()
    recoveryCodes = await page.getByRole('list', { name: 'Recovery codes' }).locator('li').allTextContents()
    expect(recoveryCodes).toHaveLength(10)
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/)
    await page.getByRole('button', { name: 'Print' }).waitFor()

    // Once: a reload shows the status, not the codes; the policy no longer holds the manager.
    await page.reload()
    await page.getByText('Recovery codes left:').waitFor()
    expect(await page.getByText(recoveryCodes[0] as string).count()).toBe(0)
    expect(await page.getByText('Two-factor sign-in is required').count()).toBe(0)
    await page.getByRole('banner').getByRole('link', { name: 'Signing hub' }).click()
    await page.waitForURL(`${server.url}/signing`)
    await signOut()
  })

  it('signs in with a code from the app, typed with the keyboard', async () => {
    await passwordStep(DEMO.manager)
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor()
    // The code field has the focus: type and press Enter.
    await page.keyboard.type('000000')
    await page.keyboard.press('Enter')
    const error = page.getByText('The code is incorrect or was already used. 4 attempts left.')
    await error.waitFor()
    const field = page.getByLabel('Authentication code')
    expect(await field.getAttribute('aria-invalid')).toBe('true')
    expect(await field.evaluate((element) => element === document.activeElement)).toBe(true)

    await field.fill(nextCode(secret))
    await page.keyboard.press('Enter')
    await page.waitForURL(`${server.url}/signing`)
    await page.getByRole('region', { name: 'Signed in as' }).getByText('Morgan Manager').waitFor()
    await signOut()
  })

  it('signs in with a recovery code, which then stops working', async () => {
    await passwordStep(DEMO.manager)
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor()
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click()
    await page.getByLabel('Recovery code').fill(recoveryCodes[0] as string)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.waitForURL(`${server.url}/signing`)
    await page.getByRole('region', { name: 'Signed in as' }).getByText('Morgan Manager').waitFor()
    await page.goto(`${server.url}/account/security`)
    await page.getByText('Recovery codes left: 9.').waitFor()
    await signOut()

    await passwordStep(DEMO.manager)
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click()
    await page.getByLabel('Recovery code').fill(recoveryCodes[0] as string)
    await page.getByRole('button', { name: 'Verify' }).click()
    await page.getByText('The recovery code is incorrect or was already used.').waitFor()
    expect(new URL(page.url()).pathname).toBe('/signin')
  })
})
