import { plaidError } from '../errors.ts'
import { USER_GOOD_OWNER } from '../fixtures/identity.ts'
import { findInstitution } from '../fixtures/institutions.ts'
import { accountView } from './accounts.ts'
import type { SandboxContext } from './context.ts'
import { hasVerifiedNumbers, isAwaitingVerification } from './microdeposits.ts'
import type { AccountRecord, ItemRecord, VerificationStatus } from './state.ts'

/**
 * A product endpoint called on an Item that was linked without that product adds it, as Plaid does,
 * when the institution supports it.
 */
export function ensureProduct(ctx: SandboxContext, item: ItemRecord, product: string): void {
  if (item.products.includes(product)) return
  const institutionProducts = findInstitution(item.institutionId)?.products ?? []
  // Identity Match works wherever Identity does.
  const isSupported =
    institutionProducts.includes(product) ||
    (product === 'identity_match' && institutionProducts.includes('identity'))
  if (!isSupported) throw plaidError('PRODUCTS_NOT_SUPPORTED')
  item.products.push(product)
  ctx.store.changed()
}

/**
 * /auth/get numbers. Accounts still waiting for a micro-deposit (automated or Same-Day) have none
 * yet: if that leaves nothing to report, the product is not ready. Failed or expired verifications
 * never get numbers.
 */
export function authNumbers(accounts: readonly AccountRecord[]): Record<string, unknown> {
  const verified = accounts.filter(hasVerifiedNumbers)
  if (verified.length === 0) {
    throw plaidError(accounts.some(isAwaitingVerification) ? 'PRODUCT_NOT_READY' : 'NO_AUTH_ACCOUNTS')
  }
  return {
    ach: verified.map((account) => ({
      account_id: account.account_id,
      account: account.ach?.account,
      routing: account.ach?.routing,
      wire_routing: account.ach?.wire_routing ?? null,
    })),
    eft: [],
    international: [],
    bacs: [],
  }
}

/** /identity/get: every sandbox account has the same single owner. */
export function identityAccounts(accounts: readonly AccountRecord[]): Record<string, unknown>[] {
  return accounts.map((account) => ({ ...accountView(account), owners: [structuredClone(USER_GOOD_OWNER)] }))
}

/** Resolves an automated micro-deposit account and tells the Item's webhook, as Production would. */
export function setVerificationStatus(
  ctx: SandboxContext,
  item: ItemRecord,
  accountId: string,
  status: Extract<VerificationStatus, 'automatically_verified' | 'verification_expired'>,
): void {
  const account = item.accounts.find((candidate) => candidate.account_id === accountId)
  if (!account) throw plaidError('INVALID_ACCOUNT_ID')
  if (account.verification_status !== 'pending_automatic_verification') {
    throw plaidError(
      'INVALID_FIELD',
      'verification_status can only be set on an account awaiting automated micro-deposit verification',
    )
  }
  account.verification_status = status
  ctx.store.changed()
  ctx.webhooks.send(item, {
    webhook_type: 'AUTH',
    webhook_code: status === 'automatically_verified' ? 'AUTOMATICALLY_VERIFIED' : 'VERIFICATION_EXPIRED',
    item_id: item.itemId,
    account_id: account.account_id,
    error: null,
  })
}
