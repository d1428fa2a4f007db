// OAuth banks in Chromium through the embedded emulator: on a desktop the bank's page opens in a
// popup and Link carries on; on a phone the whole page goes to the bank, comes back to /oauth-return
// and Link re-opens with the same token and `receivedRedirectUri`, in the Plaid lab and in the
// signer's bank step. Every plaid.com request is refused.
import type { FrameLocator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  acceptConsent,
  chooseAccountAndContinue,
  finishOnSuccessPane,
  searchAndSelectInstitution,
} from '../../plaid-sandbox/test/browser-fixtures/link-panes.ts'
import { apiClient } from '../helpers/api-client.ts'
import { type BrowserStack, startBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'
import type { TestServer } from '../helpers/test-server.ts'

const OAUTH_BANK = 'Platypus OAuth Bank'

let stack: BrowserStack
let server: TestServer

beforeAll(async () => {
  stack = await startBrowserStack()
  server = stack.server
})

afterAll(() => stack?.close())

const newPage = (options: { phone?: boolean } = {}) => stack.newPage(options)

async function visibleLink(page: Page): Promise<FrameLocator> {
  const iframe = page.locator('iframe[id^="plaid-link-iframe-"]:visible')
  await iframe.waitFor()
  return page.frameLocator(`#${await iframe.getAttribute('id')}`)
}

async function openLab(page: Page, email: string): Promise<void> {
  await page.goto(`${server.url}/signin?next=%2Fsigning%2Fplaid-lab`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(DEMO.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Plaid lab', level: 1 }).waitFor()
}

const step = (page: Page, number: number) => page.getByRole('listitem').filter({ hasText: `Step ${number}:` })

/** Consent, then the OAuth bank: Link shows "You will be taken to …". */
async function chooseOAuthBank(link: FrameLocator): Promise<void> {
  await acceptConsent(link)
  await searchAndSelectInstitution(link, 'Platypus OAuth', OAUTH_BANK)
  await link.getByRole('heading', { name: `You will be taken to ${OAUTH_BANK}` }).waitFor()
}

async function signInAtBank(bank: Page): Promise<void> {
  await bank.getByRole('heading', { name: `Sign in to ${OAUTH_BANK}` }).waitFor()
  await bank.getByLabel('Username').fill('user_good')
  await bank.getByLabel('Password').fill('pass_good')
  await bank.getByRole('button', { name: 'Sign in' }).click()
  await bank.getByRole('heading', { name: 'Choose the accounts to share' }).waitFor()
}

/** A package with one signer, activated through the API; returns the signer's link. */
async function signingLinkFor(name: string, email: string): Promise<string> {
  const { ok } = apiClient(() => server.app)
  const manager = await server.signIn(DEMO.manager)
  const created = await ok('POST', '/api/signings', manager, { title: `OAuth closing for ${name}` })
  await ok('POST', `/api/signings/${created.id}/documents`, manager, {
    title: 'Purchase agreement',
    kind: 'markdown',
    markdown: 'The buyer pays at closing.',
  })
  await ok('POST', `/api/signings/${created.id}/signers`, manager, { legal_name: name, email })
  const activated = await ok('POST', `/api/signings/${created.id}/activate`, manager)
  return activated.invitations[0].url as string
}

async function reachBankStep(page: Page, link: string): Promise<void> {
  await page.goto(link)
  await page.waitForURL(`${server.url}/signing/sign`)
  await page.getByRole('button', { name: 'I have read all documents — continue' }).click()
  await page.getByRole('button', { name: 'Connect your bank account' }).click()
}

describe('OAuth banks on a desktop: the bank page in a popup', () => {
  it('links in the Plaid lab with only the accounts shared at the bank, and shows the OAuth events', async () => {
    const { context, page } = await newPage()
    await openLab(page, DEMO.manager)
    await step(page, 1).getByRole('button', { name: 'Request link token' }).click()
    await step(page, 2).getByRole('button', { name: 'Open Link' }).click()
    const link = await visibleLink(page)
    await chooseOAuthBank(link)

    const popup = context.waitForEvent('page')
    await link.getByRole('button', { name: 'Continue' }).click()
    const bank = await popup
    await signInAtBank(bank)
    await bank.getByRole('checkbox', { name: 'Plaid Saving' }).uncheck()
    const closed = bank.waitForEvent('close')
    await bank.getByRole('button', { name: 'Approve' }).click()
    await closed

    await finishOnSuccessPane(link)
    await step(page, 2).getByText(`${OAUTH_BANK} shared 1 account`).waitFor()
    await step(page, 3).getByText('Saved').waitFor()
    await step(page, 4)
      .getByRole('row', { name: /Plaid Checking/ })
      .waitFor()
    expect(
      await step(page, 4)
        .getByRole('row', { name: /Plaid Saving/ })
        .count(),
    ).toBe(0)
    const timeline = page.getByRole('region', { name: 'Link event timeline' })
    await timeline.getByRole('cell', { name: 'OPEN_OAUTH' }).waitFor()
    await timeline.getByRole('cell', { name: /HANDOFF/ }).waitFor()
  })

  it("links the signer's payout account through the bank's popup", async () => {
    const { context, page } = await newPage()
    await reachBankStep(page, await signingLinkFor('Alberta Charleson', 'alberta.popup@example.test'))
    const link = await visibleLink(page)
    await chooseOAuthBank(link)
    const popup = context.waitForEvent('page')
    await link.getByRole('button', { name: 'Continue' }).click()
    const bank = await popup
    await signInAtBank(bank)
    await bank.getByRole('checkbox', { name: 'Plaid Saving' }).uncheck()
    const closed = bank.waitForEvent('close')
    await bank.getByRole('button', { name: 'Approve' }).click()
    await closed
    await finishOnSuccessPane(link)
    await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()
    await page.getByText(OAUTH_BANK).first().waitFor()
  })
})

describe('OAuth banks on a phone: the page goes to the bank and comes back to /oauth-return', () => {
  it('resumes Link in the Plaid lab with the same token, and a stale return says so', async () => {
    const { page } = await newPage({ phone: true })
    await openLab(page, DEMO.admin)
    await step(page, 1).getByRole('button', { name: 'Request link token' }).click()
    await step(page, 2).getByRole('button', { name: 'Open Link' }).click()
    await chooseOAuthBank(await visibleLink(page))
    await (await visibleLink(page)).getByRole('button', { name: 'Continue' }).click()

    // The whole page is at the bank now.
    await page.waitForURL(/\/oauth-bank\/bank\.html\?oauth_state_id=/)
    await signInAtBank(page)
    await page.getByRole('button', { name: 'Approve' }).click()

    // Back through /oauth-return (which never shows the link token) to the lab, where Link re-opens.
    await page.waitForURL(`${server.url}/signing/plaid-lab`)
    await page.getByText('Back from your bank').waitFor()
    const resumed = await visibleLink(page)
    await chooseAccountAndContinue(resumed, 'Plaid Saving')
    await finishOnSuccessPane(resumed)
    await step(page, 3).getByText('Saved').waitFor()
    await step(page, 4)
      .getByRole('row', { name: /Plaid Saving/ })
      .waitFor()

    // The token in flight was spent by the exchange: the same return again cannot be continued.
    await page.goto(`${server.url}/oauth-return?oauth_state_id=00000000-0000-4000-8000-000000000000`)
    await page.getByRole('heading', { name: 'This bank sign-in cannot be continued' }).waitFor()
    await page.getByRole('link', { name: 'Connect your bank again' }).waitFor()
  })

  it('reports a cancel at the bank when Link resumes, and a return without a session is explained', async () => {
    const { page } = await newPage({ phone: true })
    await openLab(page, DEMO.signer)
    await step(page, 1).getByRole('button', { name: 'Request link token' }).click()
    await step(page, 2).getByRole('button', { name: 'Open Link' }).click()
    await chooseOAuthBank(await visibleLink(page))
    await (await visibleLink(page)).getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(/\/oauth-bank\/bank\.html/)
    await page.getByRole('button', { name: 'Cancel' }).click()

    await page.waitForURL(`${server.url}/signing/plaid-lab`)
    const resumed = await visibleLink(page)
    await resumed.getByRole('button', { name: 'Exit', exact: true }).click()
    await step(page, 2).getByText('OAUTH_ACCESS_DENIED').first().waitFor()

    const visitor = await newPage({ phone: true })
    await visitor.page.goto(`${server.url}/oauth-return?oauth_state_id=00000000-0000-4000-8000-000000000000`)
    await visitor.page.getByRole('heading', { name: 'Your session has ended' }).waitFor()
  })

  it('brings a signer back to their bank step and finishes it', async () => {
    const { page } = await newPage({ phone: true })
    await reachBankStep(page, await signingLinkFor('Alberta Charleson', 'alberta.phone@example.test'))
    await chooseOAuthBank(await visibleLink(page))
    await (await visibleLink(page)).getByRole('button', { name: 'Continue' }).click()
    await page.waitForURL(/\/oauth-bank\/bank\.html/)
    await signInAtBank(page)
    await page.getByRole('checkbox', { name: 'Plaid Saving' }).uncheck()
    await page.getByRole('button', { name: 'Approve' }).click()

    await page.waitForURL(`${server.url}/signing/sign`)
    await finishOnSuccessPane(await visibleLink(page))
    await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()
  })
})
