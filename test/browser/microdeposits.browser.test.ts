// Instant micro-deposits (ADR 0025): the signer picks Windowpane Bank, types the numbers and enters the
// code of the deposit in the same Link session; verified at once, the account still needs the manager.
// Same-Day micro-deposits in Chromium through the embedded emulator (ADR 0018): a signer without an
// instant bank login types the account and routing numbers in Link, sees the account pending, comes
// back to confirm the deposit code in Link's update mode, and the manager, who sees "needs review"
// and why, accepts the account; then the signer may sign. Every plaid.com request is refused.
import type { FrameLocator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  acceptConsent,
  chooseAccountAndContinue,
  finishOnSuccessPane,
  searchAndSelectInstitution,
  submitCredentials,
  submitDepositCode,
} from '../../plaid-sandbox/test/browser-fixtures/link-panes.ts'
import { apiClient } from '../helpers/api-client.ts'
import { signInThroughForm } from '../helpers/browser.ts'
import { type BrowserStack, startBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'
import type { TestServer } from '../helpers/test-server.ts'

const OWNER = 'Alberta Charleson'
// Plaid's Same-Day sandbox numbers and deposit code (plaid-sandbox/README.md, "Micro-deposits").
const ROUTING = '110000000'
const ACCOUNT = '1111222233330000'
// Instant Micro-deposits (ADR 0025): Windowpane Bank's routing number in Plaid's testing guide.
const INSTANT_ROUTING = '333333334'

let stack: BrowserStack
let server: TestServer

beforeAll(async () => {
  stack = await startBrowserStack()
  server = stack.server
})

// Closes every page and expects none of them to have logged a page or console error.
afterAll(async () => {
  await stack?.close()
})

async function newPage(): Promise<Page> {
  return (await stack.newPage()).page
}

async function visibleLink(page: Page): Promise<FrameLocator> {
  const iframe = page.locator('iframe[id^="plaid-link-iframe-"]:visible')
  await iframe.waitFor()
  return page.frameLocator(`#${await iframe.getAttribute('id')}`)
}

/** Opens the signer's invitation, goes on to the bank step and into Link past its consent pane. */
async function openSignerLink(invitation: string): Promise<{ page: Page; link: FrameLocator }> {
  const page = await newPage()
  await page.goto(invitation)
  await page.waitForURL(`${server.url}/signing/sign`)
  await page.getByRole('button', { name: 'I have read all documents — continue' }).click()
  await page.getByRole('button', { name: 'Connect your bank account' }).click()
  const link = await visibleLink(page)
  await acceptConsent(link)
  return { page, link }
}

/** On Link's NUMBERS pane (found by its element ids): routing, account and holder's name, then Continue. */
async function typeAccountNumbers(link: FrameLocator, routing: string, name = OWNER): Promise<void> {
  await link.locator('#numbers-routing-input').fill(routing)
  await link.locator('#numbers-account-input').fill(ACCOUNT)
  await link.locator('#numbers-name-input').fill(name)
  await link.getByRole('button', { name: 'Continue' }).click()
}

/** A package with one signer, activated through the API; returns its id and the signer's link. */
async function activePackage() {
  const { ok } = apiClient(() => server.app)
  const manager = await server.signIn(DEMO.manager)
  const created = await ok('POST', '/api/signings', manager, { title: 'Closing at 4 Deposit Row' })
  await ok('POST', `/api/signings/${created.id}/documents`, manager, {
    title: 'Purchase agreement',
    kind: 'markdown',
    markdown: 'The buyer pays at closing.',
  })
  await ok('POST', `/api/signings/${created.id}/signers`, manager, {
    legal_name: OWNER,
    email: 'alberta.deposits@example.test',
  })
  const activated = await ok('POST', `/api/signings/${created.id}/activate`, manager)
  return { id: created.id as string, link: activated.invitations[0].url as string }
}

describe('Same-Day micro-deposits in the signer bank step', () => {
  it('links by numbers, stays pending, confirms the code in update mode, and the manager accepts', async () => {
    const pkg = await activePackage()
    const { page, link } = await openSignerLink(pkg.link)

    // No instant login: "Link with account numbers", the numbers, and the deposit is authorized.
    await link.getByRole('button', { name: 'Link with account numbers' }).click()
    await link.getByRole('heading', { name: 'Enter your account details' }).waitFor()
    await typeAccountNumbers(link, ROUTING)
    await link.getByRole('heading', { name: 'Deposit authorized' }).waitFor()
    await link.getByRole('button', { name: 'Continue' }).click()

    // Pending is not verified: the bank step stays, and says what happens next.
    await page.getByText('Confirm the small deposit to finish').waitFor()
    await page.getByText(/three-letter\s+code/).waitFor()
    expect(await page.getByRole('heading', { name: 'Sign', exact: true }).count()).toBe(0)

    // Back to confirm the code: Link in update mode shows the deposit-code pane.
    await page.getByRole('button', { name: 'Confirm the deposit code' }).click()
    const update = await visibleLink(page)
    await update.getByRole('heading', { name: 'Verify your account with Safeclose' }).waitFor()
    await update.getByRole('button', { name: 'Continue' }).click()
    await update.getByRole('heading', { name: 'Enter the code from your deposit' }).waitFor()
    await submitDepositCode(update, 'XYZ')
    await update.getByRole('alert').getByText('2 attempts remaining').waitFor()
    await submitDepositCode(update, 'ABC')
    await update.getByRole('heading', { name: 'Success' }).waitFor()
    // Link's onSuccess for the update-mode session makes the page ask the server to refresh the
    // accounts at once (a confirmed code sends no webhook), before anything else reloads.
    const refresh = page.waitForRequest(
      (request) => request.method() === 'POST' && request.url().endsWith('/api/plaid/accounts/refresh'),
    )
    await update.getByRole('button', { name: 'Continue' }).click()
    await refresh

    await page.getByText('Your account is verified: the deposit code was correct.').waitFor()
    await page.getByText('Waiting for the sender to accept this account').waitFor()
    expect(await page.getByText(ACCOUNT).count()).toBe(0)
    // Stored on the server already: the manager's view of the package says verified, no reload needed.
    {
      const { ok } = apiClient(() => server.app)
      const stored = await ok('GET', `/api/signings/${pkg.id}`, await server.signIn(DEMO.manager))
      expect(stored.signers[0].bank).toMatchObject({
        account_verification_status: 'manually_verified',
        verification: 'verified',
      })
    }

    // The manager sees "needs review", why, and accepts after checking with the signer.
    const manager = await newPage()
    const packagePath = `/signing/manager/signings/${pkg.id}`
    await signInThroughForm(manager, server.url, DEMO.manager, { next: packagePath })
    await manager.waitForURL(`${server.url}${packagePath}`)
    const card = manager.getByRole('listitem', { name: `Signer ${OWNER}` })
    await card.getByText('Needs review').first().waitFor()
    await card.getByText(/Verified with micro-deposits: Plaid has no account-holder data/).waitFor()
    await card.getByText('Account verified').waitFor()
    const form = card.getByRole('form', { name: `Review the account of ${OWNER}` })
    await form.getByLabel('Review note').fill('Called Alberta on the number on file; the account is hers.')
    await form.getByRole('button', { name: 'Accept account' }).click()
    await card.getByText('Accepted by Morgan Manager on').waitFor()

    // The signer checks again and may sign.
    await page.getByRole('button', { name: 'Check again' }).click()
    await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()

    const { ok } = apiClient(() => server.app)
    const trail = await ok('GET', `/api/signings/${pkg.id}/audit`, await server.signIn(DEMO.manager))
    const actions = trail.events.map((event: { action: string }) => event.action)
    expect(actions).toEqual(
      expect.arrayContaining(['bank.linked', 'bank.account_verified', 'bank.ownership_reviewed']),
    )
    const view = await ok('GET', `/api/signings/${pkg.id}`, await server.signIn(DEMO.manager))
    expect(view.payout_numbers).toEqual([
      expect.objectContaining({ account_mask: '0000', verification_method: 'same_day_micro_deposits' }),
    ])
  })
})

describe('Instant micro-deposits in the signer bank step', () => {
  it('sends the deposit at Windowpane Bank, takes the code in the same Link session, and the manager accepts', async () => {
    const pkg = await activePackage()
    const { page, link } = await openSignerLink(pkg.link)

    // A bank reached by real-time payments: the numbers, then the code of the deposit sent at once.
    await searchAndSelectInstitution(link, 'Windowpane', 'Windowpane Bank')
    await link.getByRole('heading', { name: 'Enter your account details' }).waitFor()
    await typeAccountNumbers(link, INSTANT_ROUTING)
    await link.getByRole('heading', { name: 'Deposit sent' }).waitFor()
    await submitDepositCode(link, 'XYZ')
    await link.getByRole('alert').getByText('2 attempts remaining').waitFor()
    await submitDepositCode(link, 'ABC')
    await finishOnSuccessPane(link)

    // Verified at once, but nothing ties typed numbers to the signer: the manager must accept.
    await page.getByText('Waiting for the sender to accept this account').waitFor()
    expect(await page.getByRole('heading', { name: 'Sign', exact: true }).count()).toBe(0)
    expect(await page.getByText(ACCOUNT).count()).toBe(0)

    const { ok } = apiClient(() => server.app)
    const manager = await server.signIn(DEMO.manager)
    const view = await ok('GET', `/api/signings/${pkg.id}`, manager)
    const signer = view.signers[0]
    expect(signer.bank).toMatchObject({
      account_verification_status: 'manually_verified',
      verification: 'verified',
      verdict: 'needs_review',
      acceptance_required: true,
    })
    expect(view.payout_numbers).toEqual([
      expect.objectContaining({ account_mask: '0000', verification_method: 'instant_micro_deposits' }),
    ])
    await ok('POST', `/api/signings/${pkg.id}/signers/${signer.id}/ownership-review`, manager, {
      decision: 'accept',
      note: 'Called Alberta on the number on file; the account is hers.',
    })
    await page.getByRole('button', { name: 'Check again' }).click()
    await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()
  })
})

describe('micro-deposits in the Plaid lab', () => {
  it('runs the Automated, Same-Day and Instant paths with masked Auth numbers and the verification tools', async () => {
    const page = await newPage()
    await page.goto(`${server.url}/signin?next=%2Fsigning%2Fplaid-lab`)
    await page.getByLabel('Email').fill(DEMO.manager)
    await page.getByLabel('Password', { exact: true }).fill(DEMO.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Plaid lab', level: 1 }).waitFor()
    await page
      .getByRole('table', { name: /Micro-deposits/ })
      .getByText('microdeposits_good')
      .waitFor()
    const step = (number: number) => page.getByRole('listitem').filter({ hasText: `Step ${number}:` })

    // Automated: Houndstooth with microdeposits_good → pending until the tool resolves it.
    await step(1).getByRole('button', { name: 'Request link token' }).click()
    await step(2).getByRole('button', { name: 'Open Link' }).click()
    const link = await visibleLink(page)
    await acceptConsent(link)
    await searchAndSelectInstitution(link, 'Houndstooth', 'Houndstooth Bank')
    await submitCredentials(link, 'microdeposits_good')
    await chooseAccountAndContinue(link, 'Plaid Checking')
    await finishOnSuccessPane(link)
    const row = step(4).getByRole('row', { name: /Plaid Checking/ })
    await row.getByText('Automated: deposits being verified').waitFor()
    await step(4)
      .getByRole('button', { name: /Fetch Auth numbers/ })
      .click()
    await step(4).getByText('PRODUCT_NOT_READY').waitFor()
    await row.getByRole('button', { name: 'Mark verified' }).click()
    await row.getByText('Automated micro-deposits verified').waitFor()
    await step(4)
      .getByRole('button', { name: /Fetch Auth numbers/ })
      .click()
    await step(4).getByRole('cell', { name: 'automatically_verified' }).waitFor()
    await step(4).getByRole('cell', { name: '•••• 0000' }).waitFor()
    // The test-credentials panel names the sandbox number; the connection never shows it.
    expect(await step(4).getByText(ACCOUNT).count()).toBe(0)

    // Same-Day: numbers typed in Link, then "Confirm deposits" opens Link in update mode for the code.
    await step(1)
      .getByRole('button', { name: /Request (a new )?link token/ })
      .click()
    await step(2).getByRole('button', { name: 'Open Link' }).click()
    const numbers = await visibleLink(page)
    await acceptConsent(numbers)
    await numbers.getByRole('button', { name: 'Link with account numbers' }).click()
    await typeAccountNumbers(numbers, ROUTING, 'Morgan Manager')
    await numbers.getByRole('heading', { name: 'Deposit authorized' }).waitFor()
    await numbers.getByRole('button', { name: 'Continue' }).click()
    const sameDay = step(4).getByRole('row', { name: /Checking/ })
    await sameDay.getByText('Same-Day: waiting for the deposit code').waitFor()
    await sameDay.getByRole('button', { name: 'Confirm deposits' }).click()
    const update = await visibleLink(page)
    await update.getByRole('button', { name: 'Continue' }).click()
    await submitDepositCode(update, 'abc')
    await finishOnSuccessPane(update)
    await sameDay.getByText('Micro-deposit code confirmed').waitFor()
    // The test-credentials panel names the sandbox number; the connection never shows it.
    expect(await step(4).getByText(ACCOUNT).count()).toBe(0)

    // Instant (the lab's third row): Windowpane Bank, the code in the same Link session, verified at once.
    await page
      .getByRole('table', { name: /Micro-deposits/ })
      .getByText(`Routing ${INSTANT_ROUTING}`, { exact: false })
      .waitFor()
    await step(1)
      .getByRole('button', { name: /Request (a new )?link token/ })
      .click()
    await step(2).getByRole('button', { name: 'Open Link' }).click()
    const instant = await visibleLink(page)
    await acceptConsent(instant)
    await searchAndSelectInstitution(instant, 'Windowpane', 'Windowpane Bank')
    await typeAccountNumbers(instant, INSTANT_ROUTING, 'Morgan Manager')
    await submitDepositCode(instant, 'ABC')
    await finishOnSuccessPane(instant)
    const instantRow = step(4).getByRole('row', { name: /Checking/ })
    await instantRow.getByText('Micro-deposit code confirmed').waitFor()
    await step(4)
      .getByRole('button', { name: /Fetch Auth numbers/ })
      .click()
    await step(4).getByRole('cell', { name: 'manually_verified' }).waitFor()
    await step(4).getByRole('cell', { name: '•••• 3334' }).waitFor()
    expect(await step(4).getByText(ACCOUNT).count()).toBe(0)
  })
})
