import { type AccountFixture, USER_GOOD_ACCOUNTS } from '../fixtures/accounts.ts'
import { newObjectId } from './ids.ts'
import type { AccountRecord, ItemRecord } from './state.ts'

/** Accounts that carry ACH numbers; Link hides the rest when `auth` is requested. */
export function isAuthEligible(account: { ach: unknown }): boolean {
  return account.ach !== null
}

function toRecord(
  fixture: AccountFixture,
  verificationStatus: AccountRecord['verification_status'],
): AccountRecord {
  return {
    account_id: newObjectId(),
    name: fixture.name,
    official_name: fixture.official_name,
    mask: fixture.mask,
    type: fixture.type,
    subtype: fixture.subtype,
    balances: { ...fixture.balances },
    ach: fixture.ach ? { ...fixture.ach } : null,
    verification_status: verificationStatus,
  }
}

/**
 * The `user_good` accounts a new Item may hold, each with a fresh account_id (re-linking yields new
 * ids, as in Plaid). Automated micro-deposits link one checking account awaiting verification.
 */
export function newItemAccounts(
  products: readonly string[],
  authMethod: ItemRecord['authMethod'],
): AccountRecord[] {
  if (authMethod === 'AUTOMATED_MICRODEPOSITS') {
    const checking = USER_GOOD_ACCOUNTS.filter((account) => account.subtype === 'checking')
    return checking.map((account) => toRecord(account, 'pending_automatic_verification'))
  }
  const eligible = products.includes('auth') ? USER_GOOD_ACCOUNTS.filter(isAuthEligible) : USER_GOOD_ACCOUNTS
  return eligible.map((account) => toRecord(account, null))
}

/** Plaid's `AccountBase` for an account. */
export function accountView(account: AccountRecord): Record<string, unknown> {
  return {
    account_id: account.account_id,
    balances: { ...account.balances },
    mask: account.mask,
    name: account.name,
    official_name: account.official_name,
    subtype: account.subtype,
    type: account.type,
    ...(account.verification_status ? { verification_status: account.verification_status } : {}),
    ...(account.verification_name ? { verification_name: account.verification_name } : {}),
  }
}

/** The compact account shape Link reports to the browser (`onSuccess` metadata and /link/token/get). */
export function linkAccountView(account: AccountRecord): Record<string, unknown> {
  return {
    id: account.account_id,
    name: account.name,
    mask: account.mask,
    type: account.type,
    subtype: account.subtype,
    verification_status: account.verification_status,
    class_type: null,
  }
}
