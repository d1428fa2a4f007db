import { plaidError, toEmbeddedError } from '../errors.ts'
import { isAuthEligible } from './accounts.ts'
import { isoTimestamp } from './clock.ts'
import type { SandboxContext, WebhookPayload } from './context.ts'
import type { ItemRecord } from './state.ts'

const PENDING_DISCONNECT_NOTICE_MS = 7 * 24 * 60 * 60 * 1000

interface FireableWebhook {
  /** Types this code may be fired with; the first is the default when webhook_type is omitted. */
  types: readonly string[]
  /** The Item must hold this product (per type) or Plaid answers SANDBOX_PRODUCT_NOT_ENABLED. */
  product?: (type: string) => string
  payload: (ctx: SandboxContext, item: ItemRecord, type: string) => Record<string, unknown>
}

const DEFAULT_UPDATE_PRODUCTS: Record<string, string> = {
  TRANSACTIONS: 'transactions',
  AUTH: 'auth',
  HOLDINGS: 'investments',
  INVESTMENTS_TRANSACTIONS: 'investments',
  LIABILITIES: 'liabilities',
}

const DEFAULT_UPDATE_PAYLOADS: Record<string, (item: ItemRecord) => Record<string, unknown>> = {
  TRANSACTIONS: () => ({ new_transactions: 0, error: null }),
  AUTH: (item) => ({
    account_ids_with_new_auth: [],
    account_ids_with_updated_auth: Object.fromEntries(
      item.accounts.filter(isAuthEligible).map((account) => [account.account_id, ['ACCOUNT_NUMBER']]),
    ),
    error: null,
  }),
  HOLDINGS: () => ({ new_holdings: 0, updated_holdings: 0, error: null }),
  INVESTMENTS_TRANSACTIONS: () => ({
    new_investments_transactions: 0,
    canceled_investments_transactions: 0,
    error: null,
  }),
  LIABILITIES: () => ({
    account_ids_with_new_liabilities: [],
    account_ids_with_updated_liabilities: {},
    error: null,
  }),
}

/** The webhooks /sandbox/item/fire_webhook can send, by webhook_code. */
const FIREABLE: Record<string, FireableWebhook> = {
  DEFAULT_UPDATE: {
    types: Object.keys(DEFAULT_UPDATE_PAYLOADS),
    product: (type) => DEFAULT_UPDATE_PRODUCTS[type] ?? 'transactions',
    payload: (_ctx, item, type) => DEFAULT_UPDATE_PAYLOADS[type]?.(item) ?? {},
  },
  NEW_ACCOUNTS_AVAILABLE: { types: ['ITEM'], payload: () => ({ error: null }) },
  PENDING_DISCONNECT: {
    types: ['ITEM'],
    payload: (ctx) => ({
      reason: 'INSTITUTION_MIGRATION',
      disconnect_time: isoTimestamp(ctx.clock.now() + PENDING_DISCONNECT_NOTICE_MS),
    }),
  },
  USER_PERMISSION_REVOKED: {
    types: ['ITEM'],
    payload: () => ({ error: toEmbeddedError(plaidError('USER_PERMISSION_REVOKED')) }),
  },
  USER_ACCOUNT_REVOKED: {
    types: ['ITEM'],
    payload: (_ctx, item) => ({ account_id: item.accounts[0]?.account_id }),
  },
  LOGIN_REPAIRED: { types: ['ITEM'], payload: () => ({}) },
  SMS_MICRODEPOSITS_VERIFICATION: {
    types: ['AUTH'],
    product: () => 'auth',
    // Names the Same-Day account still waiting for its code, when there is one. Only the webhook is
    // sent: the account's verification_status does not change (Link's code pane does that).
    payload: (_ctx, item) => ({
      account_id: (
        item.accounts.find((account) => account.verification_status === 'pending_manual_verification') ??
        item.accounts.find(isAuthEligible) ??
        item.accounts[0]
      )?.account_id,
      status: 'MANUALLY_VERIFIED',
    }),
  },
  SYNC_UPDATES_AVAILABLE: {
    types: ['TRANSACTIONS'],
    product: () => 'transactions',
    payload: () => ({ initial_update_complete: true, historical_update_complete: true }),
  },
  RECURRING_TRANSACTIONS_UPDATE: {
    types: ['TRANSACTIONS'],
    product: () => 'transactions',
    payload: (_ctx, item) => ({ account_ids: item.accounts.map((account) => account.account_id) }),
  },
}

/** Products whose webhooks are valid fire_webhook codes but that the sandbox does not emulate. */
const UNEMULATED_CODES: Record<string, string> = {
  PRODUCT_READY: 'assets',
  ERROR: 'assets',
  AUTHORIZATION_GRANTED: 'income_verification',
}

export function fireSandboxWebhook(
  ctx: SandboxContext,
  item: ItemRecord,
  webhookCode: string,
  requestedType: string | undefined,
): void {
  if (!item.webhook) throw plaidError('SANDBOX_WEBHOOK_INVALID')
  const unemulatedProduct = UNEMULATED_CODES[webhookCode]
  if (unemulatedProduct) {
    if (!item.products.includes(unemulatedProduct)) throw productNotEnabled(unemulatedProduct)
    throw plaidError('INVALID_FIELD', `the sandbox does not emulate the ${webhookCode} webhook`)
  }
  const fireable = FIREABLE[webhookCode]
  const type = requestedType ?? fireable?.types[0]
  if (!fireable || !type || !fireable.types.includes(type)) {
    throw plaidError(
      'INVALID_FIELD',
      `webhook_code ${webhookCode} cannot be fired with webhook_type ${requestedType}`,
    )
  }
  const product = fireable.product?.(type)
  if (product && !item.products.includes(product)) throw productNotEnabled(product)
  const payload: WebhookPayload = {
    webhook_type: type,
    webhook_code: webhookCode,
    item_id: item.itemId,
    ...fireable.payload(ctx, item, type),
  }
  ctx.webhooks.send(item, payload)
}

function productNotEnabled(product: string) {
  return plaidError('SANDBOX_PRODUCT_NOT_ENABLED', `The ${product} product is not enabled on this item`)
}
