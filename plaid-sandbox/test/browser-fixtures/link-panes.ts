// Steps through the emulated Link panes the way a user (and public E2E suites against real Link) do:
// by role, label and the real element ids (#search-input-input, #aut-input-0-input, #aut-input-1-input).
import type { FrameLocator, Page } from 'playwright-core'

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
