// Steps through the emulated Link panes the way a user (and public E2E suites against real Link) do:
// by role, label and the real element ids (#search-input-input, #aut-input-0-input, #aut-input-1-input).
import type { FrameLocator, Page } from 'playwright-core'
import { expect } from 'vitest'

export const SANDBOX_INSTITUTION = { institution_id: 'ins_109508', name: 'First Platypus Bank' }

/** Loads the test page with `token` and opens Link from the app's own button. */
export async function openLinkFromApp(
  page: Page,
  pageUrl: string,
  token: string,
  options: { strict?: boolean } = {},
): Promise<void> {
  const query = new URLSearchParams({ token, ...(options.strict ? { strict: '1' } : {}) })
  await page.goto(`${pageUrl}?${query}`)
  // The button stays disabled until react-plaid-link reports `ready`.
  await page.getByRole('button', { name: 'Connect a bank account' }).click()
}

export async function acceptConsent(link: FrameLocator): Promise<void> {
  await link.getByRole('button', { name: 'Continue' }).click()
}

export async function searchAndSelectInstitution(
  link: FrameLocator,
  query = 'Platypus',
  name = SANDBOX_INSTITUTION.name,
): Promise<void> {
  await link.locator('#search-input-input').fill(query)
  await link.locator('ul[aria-label="Institutions"][aria-busy="false"]').waitFor()
  await link.getByRole('button', { name, exact: true }).click()
}

export async function submitCredentials(
  link: FrameLocator,
  password: string,
  username = 'user_good',
): Promise<void> {
  await link.locator('#aut-input-0-input').fill(username)
  await link.locator('#aut-input-1-input').fill(password)
  await link.getByRole('button', { name: 'Submit' }).click()
}

export async function chooseAccountAndContinue(
  link: FrameLocator,
  accountName = 'Plaid Checking',
): Promise<void> {
  await link.getByRole('radio', { name: new RegExp(accountName) }).check()
  await link.getByRole('button', { name: 'Continue' }).click()
}

/** On the Success pane: hands the public token to the app. */
export async function finishOnSuccessPane(link: FrameLocator): Promise<void> {
  await link.getByRole('heading', { name: 'Success' }).waitFor()
  await link.getByRole('button', { name: 'Continue' }).click()
}

/** The whole create-mode happy path after the app opened Link. */
export async function linkFirstPlatypus(link: FrameLocator): Promise<void> {
  await acceptConsent(link)
  await searchAndSelectInstitution(link)
  await submitCredentials(link, 'pass_good')
  await chooseAccountAndContinue(link)
  await finishOnSuccessPane(link)
}

/** On the NUMBERS pane: types the routing number, the account number and the holder's name, then Continue. */
export async function submitAccountNumbers(
  link: FrameLocator,
  routing: string,
  account = '1111222233330000',
  name = 'Alberta Charleson',
): Promise<void> {
  await link.getByLabel('Routing number').fill(routing)
  await link.getByLabel('Account number').fill(account)
  await link.getByLabel('Full name').fill(name)
  await link.getByRole('button', { name: 'Continue' }).click()
}

/** Waits until the pane's alert reads `text`. */
export async function expectAlert(link: FrameLocator, text: string): Promise<void> {
  await expect.poll(() => link.getByRole('alert').textContent()).toBe(text)
}

/** On a deposit-code pane: types `code` and presses Verify. */
export async function submitDepositCode(link: FrameLocator, code: string): Promise<void> {
  await link.getByLabel('Deposit code').fill(code)
  await link.getByRole('button', { name: 'Verify' }).click()
}

/**
 * Three wrong deposit codes: the first two leave 2 and then 1 attempt, the third ends on the failure
 * pane, whose Exit is pressed.
 */
export async function failDepositCodeThreeTimes(link: FrameLocator): Promise<void> {
  for (const [code, notice] of [
    ['AAA', 'That code is not correct. 2 attempts remaining.'],
    ['BBB', 'That code is not correct. 1 attempt remaining.'],
  ] as const) {
    await submitDepositCode(link, code)
    await expectAlert(link, notice)
  }
  await submitDepositCode(link, 'CCC')
  await link.getByRole('heading', { name: 'We could not verify your account' }).waitFor()
  await link.getByRole('button', { name: 'Exit' }).click()
}
