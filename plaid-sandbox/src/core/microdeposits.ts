import { plaidError } from '../errors.ts'
import { isAuthEligible, linkAccountView } from './accounts.ts'
import type { SandboxContext } from './context.ts'
import { newObjectId, newToken } from './ids.ts'
import { createItem, issuePublicToken, usableItemForAccessToken } from './items.ts'
import { requireLinkSession, updatedItem } from './link-sessions.ts'
import type {
  AccountRecord,
  ItemRecord,
  LinkAuthOptions,
  LinkSessionRecord,
  LinkTokenRecord,
} from './state.ts'

/**
 * Micro-deposit Auth flows (plaid.com/docs/auth/coverage/): Same-Day Micro-deposits (the user types
 * routing and account numbers in Link, later confirms the code of the deposit in update mode),
 * Automated Micro-deposits (credentials at Houndstooth Bank, resolved by
 * /sandbox/item/set_verification_status) and handing verified accounts to processors.
 */

/** The code of the Sandbox's Same-Day micro-deposit (plaid.com/docs/auth/coverage/testing/). */
export const SAME_DAY_SANDBOX_CODE = 'ABC'
/** Three wrong codes end the verification (`verification_failed`), as Plaid documents. */
export const SAME_DAY_MAX_ATTEMPTS = 3
/** Products an Item without a bank login can serve; others rule the manual flows out of Link. */
const MANUAL_ENTRY_PRODUCTS = new Set(['auth', 'transfer'])

export const NO_AUTH_OPTIONS: LinkAuthOptions = {
  sameDayMicrodeposits: false,
  automatedMicrodeposits: false,
  instantMicrodeposits: false,
}

/** `auth` of /link/token/create; omitted fields take Plaid's documented defaults (all off). */
export function linkAuthOptions(auth: Record<string, unknown> | undefined): LinkAuthOptions {
  return {
    sameDayMicrodeposits: auth?.same_day_microdeposits_enabled === true,
    automatedMicrodeposits: auth?.automated_microdeposits_enabled === true,
    instantMicrodeposits: auth?.instant_microdeposits_enabled === true,
  }
}

/** Plaid requires `country_codes: ['US']` for every micro-deposit flow. */
export function assertMicrodepositCountries(options: LinkAuthOptions, countryCodes: readonly string[]): void {
  const isAnyEnabled =
    options.sameDayMicrodeposits || options.automatedMicrodeposits || options.instantMicrodeposits
  if (isAnyEnabled && (countryCodes.length !== 1 || countryCodes[0] !== 'US')) {
    throw plaidError(
      'INVALID_FIELD',
      "country_codes must be ['US'] when micro-deposit flows are enabled in auth",
    )
  }
}

/**
 * Whether Link offers a flow where the user types account numbers (Same-Day or Instant
 * Micro-deposits): create mode, the flow's `auth` flag on, and `auth`/`transfer` only.
 */
export function offersManualFlow(
  token: LinkTokenRecord,
  flag: 'sameDayMicrodeposits' | 'instantMicrodeposits',
): boolean {
  return (
    token.itemId === null &&
    (token.authOptions ?? NO_AUTH_OPTIONS)[flag] &&
    token.products.includes('auth') &&
    token.products.every((product) => MANUAL_ENTRY_PRODUCTS.has(product))
  )
}

/** Whether Link offers "Link with account numbers" (the Same-Day Micro-deposits entry point). */
export function offersManualEntry(token: LinkTokenRecord): boolean {
  return offersManualFlow(token, 'sameDayMicrodeposits')
}

/** Whether a typed micro-deposit code is the Sandbox's (case and surrounding spaces ignored). */
export function isSandboxDepositCode(code: string): boolean {
  return code.trim().toUpperCase() === SAME_DAY_SANDBOX_CODE
}

/** ABA routing number: nine digits with the 3-7-1 checksum. */
export function isValidRoutingNumber(routing: string): boolean {
  if (!/^\d{9}$/.test(routing)) return false
  const digits = [...routing].map(Number)
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1]
  return digits.reduce((sum, digit, index) => sum + digit * (weights[index] as number), 0) % 10 === 0
}

export interface ManualNumbers {
  routing: string
  account: string
  name: string | null
  subtype: 'checking' | 'savings'
}

/**
 * The numbers typed on Link's NUMBERS pane, checked as Link checks them (ABA routing checksum, 4–17
 * digit account, a holder name unless the link token carried `user.legal_name`).
 */
export function checkedManualNumbers(
  token: LinkTokenRecord,
  numbers: ManualNumbers,
): ManualNumbers & { name: string } {
  const routing = numbers.routing.trim()
  const accountNumber = numbers.account.trim()
  if (!isValidRoutingNumber(routing)) {
    throw plaidError('INVALID_FIELD', 'the routing number is not a valid ABA routing number')
  }
  if (!/^\d{4,17}$/.test(accountNumber)) {
    throw plaidError('INVALID_FIELD', 'the account number must have 4 to 17 digits')
  }
  const name = (token.legalName ?? numbers.name ?? '').trim()
  if (name === '') throw plaidError('MISSING_FIELDS', 'the following required fields are missing: name')
  return { routing, account: accountNumber, name, subtype: numbers.subtype }
}

/** A depository account created from typed-in numbers (the manual-entry flows). */
export function manualEntryAccount(
  numbers: ManualNumbers & { name: string },
  verificationStatus: 'pending_manual_verification' | 'manually_verified',
): AccountRecord {
  return {
    account_id: newObjectId(),
    name: numbers.subtype === 'checking' ? 'Checking' : 'Savings',
    official_name: null,
    mask: numbers.account.slice(-4),
    type: 'depository',
    subtype: numbers.subtype,
    balances: {
      available: null,
      current: null,
      limit: null,
      iso_currency_code: 'USD',
      unofficial_currency_code: null,
    },
    ach: { account: numbers.account, routing: numbers.routing, wire_routing: null },
    verification_status: verificationStatus,
    verification_name: numbers.name,
    verification_attempts: 0,
  }
}

/** Creates the Item of a manual-entry flow: no institution, the typed-in account only. */
export function createManualEntryItem(
  ctx: SandboxContext,
  token: LinkTokenRecord,
  account: AccountRecord,
  authMethod: 'SAME_DAY_MICRODEPOSITS' | 'INSTANT_MICRODEPOSITS',
): { item: ItemRecord; publicToken: string } {
  return createItem(ctx, {
    clientId: token.clientId,
    institutionId: null,
    products: token.products,
    webhook: token.webhook,
    accounts: [account],
    authMethod,
  })
}

/**
 * Ends a Link session with one account of an institution-less Item and returns what the Link UI
 * shows on success.
 */
export function finishManualEntrySession(
  ctx: SandboxContext,
  session: LinkSessionRecord,
  item: ItemRecord,
  publicToken: string,
  account: AccountRecord,
): Record<string, unknown> {
  session.result = { publicToken, itemId: item.itemId, accountIds: [account.account_id] }
  session.finishedAt = ctx.clock.now()
  ctx.store.changed()
  return {
    public_token: publicToken,
    link_session_id: session.linkSessionId,
    institution: null,
    accounts: [linkAccountView(account)],
    transfer_status: null,
  }
}

/**
 * The user typed their numbers in Link: the Item has no institution and one account awaiting the
 * code of the Same-Day micro-deposit (`pending_manual_verification`).
 */
export function submitManualNumbers(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  numbers: ManualNumbers,
): Record<string, unknown> {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  if (!offersManualEntry(token)) {
    throw plaidError('INVALID_FIELD', 'this link token does not enable Same-Day Micro-deposits')
  }
  const account = manualEntryAccount(checkedManualNumbers(token, numbers), 'pending_manual_verification')
  const { item, publicToken } = createManualEntryItem(ctx, token, account, 'SAME_DAY_MICRODEPOSITS')
  return finishManualEntrySession(ctx, session, item, publicToken, account)
}

/** The account of an Item still waiting for its Same-Day micro-deposit code, if any. */
export function pendingManualAccount(item: ItemRecord): AccountRecord | undefined {
  return item.accounts.find((account) => account.verification_status === 'pending_manual_verification')
}

/**
 * Update mode on a Same-Day Item: the user enters the code of the deposit. Right → the account is
 * `manually_verified` and Link succeeds; wrong → another try, until the third wrong code makes the
 * account `verification_failed`.
 */
export function verifyMicrodepositCode(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  code: string,
): Record<string, unknown> {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const item = updatedItem(ctx, token)
  const account = item ? pendingManualAccount(item) : undefined
  if (!item || !account) {
    throw plaidError('INVALID_FIELD', 'this Link session has no micro-deposit awaiting verification')
  }
  if (!isSandboxDepositCode(code)) {
    account.verification_attempts = (account.verification_attempts ?? 0) + 1
    const attemptsRemaining = Math.max(0, SAME_DAY_MAX_ATTEMPTS - account.verification_attempts)
    if (attemptsRemaining === 0) account.verification_status = 'verification_failed'
    ctx.store.changed()
    return { verified: false, attempts_remaining: attemptsRemaining, account: linkAccountView(account) }
  }
  account.verification_status = 'manually_verified'
  const publicToken = issuePublicToken(ctx, item)
  return { verified: true, ...finishManualEntrySession(ctx, session, item, publicToken, account) }
}

/** Accounts whose numbers are usable: Auth-eligible and not waiting for (or failed) verification. */
export function hasVerifiedNumbers(account: AccountRecord): boolean {
  return (
    isAuthEligible(account) &&
    (account.verification_status === null ||
      account.verification_status === 'automatically_verified' ||
      account.verification_status === 'manually_verified')
  )
}

/** Still waiting for a micro-deposit to be confirmed. */
export function isAwaitingVerification(account: AccountRecord): boolean {
  return (
    account.verification_status === 'pending_automatic_verification' ||
    account.verification_status === 'pending_manual_verification'
  )
}

/**
 * /processor/token/create: a token a payment processor uses instead of the account numbers. Only
 * for a verified depository account with numbers: an account still waiting for its micro-deposit is
 * PRODUCT_NOT_READY, one without numbers (or whose verification failed or expired) NO_AUTH_ACCOUNTS.
 */
export function createProcessorToken(
  ctx: SandboxContext,
  clientId: string,
  request: { access_token: string; account_id: string; processor: string },
): string {
  const item = usableItemForAccessToken(ctx, clientId, request.access_token)
  const account = item.accounts.find((candidate) => candidate.account_id === request.account_id)
  if (!account) throw plaidError('INVALID_ACCOUNT_ID')
  if (!hasVerifiedNumbers(account)) {
    throw plaidError(isAwaitingVerification(account) ? 'PRODUCT_NOT_READY' : 'NO_AUTH_ACCOUNTS')
  }
  const processorToken = newToken('processor')
  ctx.store.state.processorTokens ??= {}
  ctx.store.state.processorTokens[processorToken] = {
    processorToken,
    clientId,
    itemId: item.itemId,
    accountId: account.account_id,
    processor: request.processor,
    createdAt: ctx.clock.now(),
  }
  ctx.store.changed()
  return processorToken
}

/**
 * Control API: the bank changed an account's numbers. /auth/get answers the new ones and the Item's
 * webhook gets AUTH DEFAULT_UPDATE naming what changed, as Plaid sends when a bank renumbers.
 */
export function changeAuthNumbers(
  ctx: SandboxContext,
  itemId: string,
  change: { accountId: string; account?: string; routing?: string },
): void {
  const item = ctx.store.state.items[itemId]
  if (!item || item.removedAt !== null) throw plaidError('ITEM_NOT_FOUND')
  const account = item.accounts.find((candidate) => candidate.account_id === change.accountId)
  if (!account) throw plaidError('INVALID_ACCOUNT_ID')
  if (!account.ach) throw plaidError('NO_AUTH_ACCOUNTS')
  const changed: string[] = []
  if (change.account !== undefined && change.account !== account.ach.account) {
    if (!/^\d{4,17}$/.test(change.account)) {
      throw plaidError('INVALID_FIELD', 'account must have 4 to 17 digits')
    }
    account.ach.account = change.account
    account.mask = change.account.slice(-4)
    changed.push('ACCOUNT_NUMBER')
  }
  if (change.routing !== undefined && change.routing !== account.ach.routing) {
    if (!isValidRoutingNumber(change.routing)) throw plaidError('INVALID_FIELD', 'routing is not valid')
    account.ach.routing = change.routing
    changed.push('ROUTING_NUMBER')
  }
  if (changed.length === 0) throw plaidError('INVALID_FIELD', 'give a new account and/or routing number')
  ctx.store.changed()
  ctx.webhooks.send(item, {
    webhook_type: 'AUTH',
    webhook_code: 'DEFAULT_UPDATE',
    item_id: item.itemId,
    account_ids_with_new_auth: [],
    account_ids_with_updated_auth: { [account.account_id]: changed },
    error: null,
  })
}
