// Micro-deposit flows in the emulated Link, driven through the unmodified react-plaid-link test page
// with the CDN URL routed to the sandbox: Same-Day (numbers typed in, then the code in update mode)
// and Automated (Houndstooth Bank, resolved by /sandbox/item/set_verification_status).
import {
  CountryCode,
  type LinkTokenCreateRequest,
  Products,
  SandboxItemSetVerificationStatusRequestVerificationStatusEnum as VerificationStatus,
} from 'plaid'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  type Browser,
  type BrowserContext,
  type LinkTestStack,
  linkFrame,
  type Page,
  plaidClient,
  type RecordedCallback,
  routeCdnToSandbox,
  startLinkTestStack,
  waitForCallback,
} from './browser-fixtures/link-harness.ts'
import {
  acceptConsent,
  chooseAccountAndContinue,
  expectAlert,
  failDepositCodeThreeTimes,
  finishOnSuccessPane,
  openLinkFromApp,
  searchAndSelectInstitution,
  submitAccountNumbers,
  submitCredentials,
  submitDepositCode,
} from './browser-fixtures/link-panes.ts'
import { authContractViolations } from './helpers/auth-contract.ts'
import { startWebhookReceiver, type VerificationKey, verifyPlaidWebhook } from './helpers/webhook-receiver.ts'

let stack: LinkTestStack
let browser: Browser
let context: BrowserContext
let page: Page

beforeAll(async () => {
  stack = await startLinkTestStack()
  ;({ browser } = stack)
})

afterAll(async () => {
  await stack?.close()
})

beforeEach(async () => {
  context = await browser.newContext({ serviceWorkers: 'block' })
  await routeCdnToSandbox(context, stack.sandbox.url)
  page = await context.newPage()
})

afterEach(async () => {
  await context.close()
  stack.sandbox.sandbox.control.reset()
})

const client = () => plaidClient(stack.sandbox.url)
const pageUrl = () => `${stack.pageUrl}/`

async function linkToken(extra: Partial<LinkTokenCreateRequest> = {}): Promise<string> {
  const { data } = await client().linkTokenCreate({
    client_name: 'Safeclose',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'signer-42' },
    products: [Products.Auth],
    auth: { same_day_microdeposits_enabled: true, automated_microdeposits_enabled: true },
    ...extra,
  })
  return data.link_token
}

function only<Name extends RecordedCallback['name']>(callbacks: RecordedCallback[], name: Name) {
  const matching = callbacks.filter(
    (callback): callback is Extract<RecordedCallback, { name: Name }> => callback.name === name,
  )
  expect(matching).toHaveLength(1)
  return matching[0] as Extract<RecordedCallback, { name: Name }>
}

function eventTrail(callbacks: RecordedCallback[]): string[] {
  return callbacks.flatMap((callback) =>
    callback.name === 'onEvent'
      ? [
          callback.eventName === 'TRANSITION_VIEW'
            ? `TRANSITION_VIEW ${callback.metadata.view_name}`
            : callback.eventName,
        ]
      : [],
  )
}

describe('micro-deposits in the emulated Link', () => {
  it('Same-Day: numbers typed in give a pending account; update mode with code ABC verifies it', async () => {
    await openLinkFromApp(page, pageUrl(), await linkToken())
    let link = linkFrame(page)
    await acceptConsent(link)
    await link.getByRole('button', { name: 'Link with account numbers' }).click()
    await link.getByRole('heading', { name: 'Enter your account details' }).waitFor()
    // Typing mistakes stay on the pane.
    await submitAccountNumbers(link, '12345')
    await expectAlert(link, 'Enter a valid 9-digit routing number.')
    await link.getByLabel('Routing number').fill('110000000')
    await link.getByRole('radio', { name: 'Savings' }).check()
    await link.getByRole('button', { name: 'Continue' }).click()
    await link.getByRole('heading', { name: 'Deposit authorized' }).waitFor()
    await link.getByRole('button', { name: 'Continue' }).click()

    const created = await waitForCallback(page, 'onSuccess')
    const pending = only(created, 'onSuccess')
    expect(pending.metadata.institution).toBeNull()
    expect(pending.metadata.accounts).toEqual([
      {
        id: expect.any(String),
        name: 'Savings',
        mask: '0000',
        type: 'depository',
        subtype: 'savings',
        verification_status: 'pending_manual_verification',
        class_type: null,
      },
    ])
    expect(eventTrail(created)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'TRANSITION_VIEW NUMBERS',
      'SUBMIT_ROUTING_NUMBER',
      'SUBMIT_ACCOUNT_NUMBER',
      'TRANSITION_VIEW LOADING',
      'TRANSITION_VIEW SAME_DAY_MICRODEPOSIT_AUTHORIZED',
      'HANDOFF',
    ])
    const numbersEvents = created.flatMap((callback) =>
      callback.name === 'onEvent' && callback.eventName.startsWith('SUBMIT_') ? [callback.metadata] : [],
    )
    expect(numbersEvents.map((metadata) => [metadata.routing_number, metadata.account_number_mask])).toEqual([
      ['110000000', null],
      [null, '0000'],
    ])

    const { data: exchanged } = await client().itemPublicTokenExchange({
      public_token: pending.publicToken as string,
    })
    const { access_token } = exchanged
    const accountId = pending.metadata.accounts[0]?.id as string
    const before = await client().accountsGet({ access_token })
    expect(before.data.accounts[0]?.verification_status).toBe('pending_manual_verification')

    // Later: the app opens Link in update mode with the Item's access token.
    await openLinkFromApp(page, pageUrl(), await linkToken({ access_token, products: [] }))
    link = linkFrame(page)
    await link.getByRole('heading', { name: 'Verify your account with Safeclose' }).waitFor()
    await acceptConsent(link)
    await submitDepositCode(link, 'XYZ')
    await expectAlert(link, 'That code is not correct. 2 attempts remaining.')
    await submitDepositCode(link, 'ABC')
    await finishOnSuccessPane(link)
    const verified = only(await waitForCallback(page, 'onSuccess'), 'onSuccess')
    expect(verified.metadata.institution).toBeNull()
    expect(verified.metadata.accounts).toEqual([
      expect.objectContaining({ id: accountId, verification_status: 'manually_verified' }),
    ])

    const { data: auth } = await client().authGet({ access_token })
    expect(authContractViolations('AuthGetResponse', auth)).toEqual([])
    expect(auth.numbers.ach).toEqual([
      { account_id: accountId, account: '1111222233330000', routing: '110000000', wire_routing: null },
    ])
  })

  it('Automated: Houndstooth with microdeposits_good is pending until set_verification_status, then a signed AUTOMATICALLY_VERIFIED arrives', async () => {
    const receiver = await startWebhookReceiver()
    try {
      await openLinkFromApp(page, pageUrl(), await linkToken({ webhook: receiver.url }))
      const link = linkFrame(page)
      await acceptConsent(link)
      await searchAndSelectInstitution(link, 'Houndstooth', 'Houndstooth Bank')
      await submitCredentials(link, 'microdeposits_good')
      await chooseAccountAndContinue(link, 'Plaid Checking')
      await finishOnSuccessPane(link)
      const success = only(await waitForCallback(page, 'onSuccess'), 'onSuccess')
      expect(success.metadata.institution).toEqual({ institution_id: 'ins_109512', name: 'Houndstooth Bank' })
      expect(success.metadata.accounts).toEqual([
        expect.objectContaining({ verification_status: 'pending_automatic_verification' }),
      ])

      const plaid = client()
      const { data } = await plaid.itemPublicTokenExchange({ public_token: success.publicToken as string })
      const accountId = success.metadata.accounts[0]?.id as string
      await plaid.sandboxItemSetVerificationStatus({
        access_token: data.access_token,
        account_id: accountId,
        verification_status: VerificationStatus.AutomaticallyVerified,
      })
      await stack.sandbox.sandbox.control.flushWebhooks()
      const webhook = receiver.received.at(-1)
      expect(webhook?.json).toEqual({
        webhook_type: 'AUTH',
        webhook_code: 'AUTOMATICALLY_VERIFIED',
        item_id: data.item_id,
        account_id: accountId,
        error: null,
        environment: 'sandbox',
      })
      expect(authContractViolations('AutomaticallyVerifiedWebhook', webhook?.json)).toEqual([])
      const fetchKey = async (kid: string) =>
        (await plaid.webhookVerificationKeyGet({ key_id: kid })).data.key as unknown as VerificationKey
      await verifyPlaidWebhook(
        webhook as NonNullable<typeof webhook>,
        fetchKey,
        Math.floor(stack.sandbox.sandbox.control.now() / 1000),
      )
      const { data: auth } = await plaid.authGet({ access_token: data.access_token })
      expect(auth.accounts[0]?.verification_status).toBe('automatically_verified')
    } finally {
      await receiver.close()
    }
  })

  it('Same-Day: a third wrong code fails the verification and Exit reports requires_code', async () => {
    // The pending Item, made through the Link UI's API (the first visit is covered above).
    const api = async (path: string, body: Record<string, unknown>) =>
      (await (
        await fetch(`${stack.sandbox.url}/link/v2/stable/api/${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as Record<string, unknown>
    const link_token = await linkToken()
    const { link_session_id } = await api('session/start', { link_token })
    const linked = await api('numbers/submit', {
      link_token,
      link_session_id,
      routing_number: '110000000',
      account_number: '1111222233330000',
      name: 'Alberta Charleson',
      account_subtype: 'checking',
    })
    const plaid = client()
    const { data } = await plaid.itemPublicTokenExchange({ public_token: linked.public_token as string })

    await openLinkFromApp(page, pageUrl(), await linkToken({ access_token: data.access_token, products: [] }))
    const link = linkFrame(page)
    await acceptConsent(link)
    await failDepositCodeThreeTimes(link)
    const exit = only(await waitForCallback(page, 'onExit'), 'onExit')
    expect(exit.error).toBeNull()
    expect(exit.metadata).toMatchObject({ status: 'requires_code', institution: null })
    const { data: accounts } = await plaid.accountsGet({ access_token: data.access_token })
    expect(accounts.accounts[0]?.verification_status).toBe('verification_failed')
  })

  it('Instant: Windowpane Bank, numbers typed in, a wrong code and then ABC in the same session give a verified account', async () => {
    await openLinkFromApp(page, pageUrl(), await linkToken({ auth: { instant_microdeposits_enabled: true } }))
    const link = linkFrame(page)
    await acceptConsent(link)
    await searchAndSelectInstitution(link, 'Windowpane', 'Windowpane Bank')
    await link.getByRole('heading', { name: 'Enter your account details' }).waitFor()
    // Only Instant is on: a bank without instant payments is refused on the pane.
    await submitAccountNumbers(link, '110000000')
    await expectAlert(
      link,
      'This bank can’t receive an instant deposit. Check the routing number, or use another account.',
    )
    await link.getByLabel('Routing number').fill('333333334')
    await link.getByRole('button', { name: 'Continue' }).click()
    await link.getByRole('heading', { name: 'Deposit sent' }).waitFor()
    await submitDepositCode(link, 'XYZ')
    await expectAlert(link, 'That code is not correct. 2 attempts remaining.')
    await submitDepositCode(link, 'abc')
    await finishOnSuccessPane(link)

    const callbacks = await waitForCallback(page, 'onSuccess')
    const success = only(callbacks, 'onSuccess')
    expect(success.metadata.institution).toBeNull()
    expect(success.metadata.accounts).toEqual([
      {
        id: expect.any(String),
        name: 'Checking',
        mask: '0000',
        type: 'depository',
        subtype: 'checking',
        verification_status: 'manually_verified',
        class_type: null,
      },
    ])
    expect(eventTrail(callbacks)).toEqual([
      'OPEN',
      'TRANSITION_VIEW SELECT_INSTITUTION',
      'SEARCH_INSTITUTION',
      'SELECT_INSTITUTION',
      'TRANSITION_VIEW NUMBERS',
      'SUBMIT_ROUTING_NUMBER',
      'SUBMIT_ACCOUNT_NUMBER',
      'TRANSITION_VIEW LOADING',
      'SUBMIT_ROUTING_NUMBER',
      'SUBMIT_ACCOUNT_NUMBER',
      'TRANSITION_VIEW LOADING',
      'TRANSITION_VIEW INSTANT_MICRODEPOSIT_AUTHORIZED',
      'TRANSITION_VIEW LOADING',
      'TRANSITION_VIEW LOADING',
      'TRANSITION_VIEW CONNECTED',
      'HANDOFF',
    ])
    const plaid = client()
    const { data } = await plaid.itemPublicTokenExchange({ public_token: success.publicToken as string })
    const { data: auth } = await plaid.authGet({ access_token: data.access_token })
    expect(authContractViolations('AuthGetResponse', auth)).toEqual([])
    expect(auth.item.auth_method).toBe('INSTANT_MICRODEPOSITS')
    expect(auth.numbers.ach).toEqual([
      {
        account_id: success.metadata.accounts[0]?.id,
        account: '1111222233330000',
        routing: '333333334',
        wire_routing: null,
      },
    ])
  })

  it('Instant: a third wrong code ends the verification; Exit reports requires_code and no Item exists', async () => {
    const link_token = await linkToken({
      auth: { instant_microdeposits_enabled: true, same_day_microdeposits_enabled: true },
    })
    await openLinkFromApp(page, pageUrl(), link_token)
    const link = linkFrame(page)
    await acceptConsent(link)
    await link.getByRole('button', { name: 'Link with account numbers' }).click()
    await submitAccountNumbers(link, '333333334')
    await failDepositCodeThreeTimes(link)
    const exit = only(await waitForCallback(page, 'onExit'), 'onExit')
    expect(exit.error).toBeNull()
    expect(exit.metadata).toMatchObject({ status: 'requires_code', institution: null })
    const { data } = await client().linkTokenGet({ link_token })
    expect(data.link_sessions?.[0]?.results?.item_add_results ?? []).toEqual([])
  })
})
