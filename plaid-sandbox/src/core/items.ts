import { plaidError, toEmbeddedError } from '../errors.ts'
import { findInstitution } from '../fixtures/institutions.ts'
import { isoTimestamp } from './clock.ts'
import type { SandboxContext } from './context.ts'
import { newObjectId, newToken, tokenKindOf } from './ids.ts'
import type { AccountRecord, ItemRecord } from './state.ts'

const PUBLIC_TOKEN_LIFETIME_MS = 30 * 60 * 1000
/** Sandbox Items fall into ITEM_LOGIN_REQUIRED by themselves 30 days after linking. */
const SANDBOX_LOGIN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000

export interface NewItem {
  clientId: string
  institutionId: string | null
  products: string[]
  webhook: string | null
  accounts: AccountRecord[]
  authMethod: ItemRecord['authMethod']
}

/** Creates an Item and returns it with a fresh single-use public token. */
export function createItem(ctx: SandboxContext, input: NewItem): { item: ItemRecord; publicToken: string } {
  const now = ctx.clock.now()
  const item: ItemRecord = {
    itemId: newObjectId(),
    clientId: input.clientId,
    institutionId: input.institutionId,
    webhook: input.webhook,
    products: [...input.products],
    accounts: input.accounts,
    authMethod: input.authMethod,
    createdAt: now,
    error: null,
    loginExpiresAt: now + SANDBOX_LOGIN_LIFETIME_MS,
    removedAt: null,
    lastWebhook: null,
  }
  ctx.store.state.items[item.itemId] = item
  const publicToken = issuePublicToken(ctx, item)
  sendCreationWebhooks(ctx, item)
  return { item, publicToken }
}

/**
 * Transactions Items get their legacy initial/historical update webhooks once "pulled". The sandbox
 * holds no transactions, so both report zero new transactions. Auth and Identity send nothing.
 */
function sendCreationWebhooks(ctx: SandboxContext, item: ItemRecord): void {
  if (!item.products.includes('transactions')) return
  for (const code of ['INITIAL_UPDATE', 'HISTORICAL_UPDATE']) {
    ctx.webhooks.send(item, {
      webhook_type: 'TRANSACTIONS',
      webhook_code: code,
      item_id: item.itemId,
      error: null,
      new_transactions: 0,
    })
  }
}

export function issuePublicToken(ctx: SandboxContext, item: ItemRecord): string {
  const publicToken = newToken('public')
  ctx.store.state.publicTokens[publicToken] = {
    publicToken,
    itemId: item.itemId,
    expiresAt: ctx.clock.now() + PUBLIC_TOKEN_LIFETIME_MS,
    exchangedAt: null,
  }
  ctx.store.changed()
  return publicToken
}

/** Public tokens live 30 minutes and are single use. */
export function exchangePublicToken(
  ctx: SandboxContext,
  clientId: string,
  publicToken: string,
): { accessToken: string; itemId: string } {
  const record = ctx.store.state.publicTokens[publicToken]
  const item = record ? ctx.store.state.items[record.itemId] : undefined
  const isUsable =
    record &&
    item &&
    item.clientId === clientId &&
    record.exchangedAt === null &&
    ctx.clock.now() < record.expiresAt
  if (!isUsable || item.removedAt !== null) throw plaidError('INVALID_PUBLIC_TOKEN')
  record.exchangedAt = ctx.clock.now()
  const accessToken = newToken('access')
  ctx.store.state.accessTokens[accessToken] = { itemId: item.itemId, invalidatedAt: null }
  ctx.store.changed()
  return { accessToken, itemId: item.itemId }
}

/** The Item behind an access token, whatever its login state. */
export function itemForAccessToken(ctx: SandboxContext, clientId: string, accessToken: string): ItemRecord {
  const record = tokenKindOf(accessToken) === 'access' ? ctx.store.state.accessTokens[accessToken] : undefined
  const item = record ? ctx.store.state.items[record.itemId] : undefined
  if (!record || !item || item.clientId !== clientId || record.invalidatedAt !== null) {
    throw plaidError('INVALID_ACCESS_TOKEN')
  }
  if (item.removedAt !== null) throw plaidError('ITEM_NOT_FOUND')
  return item
}

/** The Item's current error, including the login expiry every Sandbox Item reaches after 30 days. */
export function currentItemError(ctx: SandboxContext, item: ItemRecord): ItemRecord['error'] {
  if (item.error) return item.error
  if (ctx.clock.now() >= item.loginExpiresAt) return toEmbeddedError(plaidError('ITEM_LOGIN_REQUIRED'))
  return null
}

/** For product endpoints: an Item that needs the user to log in again answers with that error. */
export function usableItemForAccessToken(
  ctx: SandboxContext,
  clientId: string,
  accessToken: string,
): ItemRecord {
  const item = itemForAccessToken(ctx, clientId, accessToken)
  const error = currentItemError(ctx, item)
  if (error) throw plaidError(error.error_code as 'ITEM_LOGIN_REQUIRED', error.error_message)
  return item
}

/** `options.account_ids` narrows the accounts; an id not on the Item is an error. */
export function selectAccounts(item: ItemRecord, accountIds: readonly string[] | undefined): AccountRecord[] {
  if (accountIds === undefined) return item.accounts
  return accountIds.map((accountId) => {
    const account = item.accounts.find((candidate) => candidate.account_id === accountId)
    if (!account) throw plaidError('INVALID_ACCOUNT_ID')
    return account
  })
}

export function itemView(ctx: SandboxContext, item: ItemRecord): Record<string, unknown> {
  const institution = findInstitution(item.institutionId)
  const availableProducts = (institution?.products ?? []).filter(
    (product) => !item.products.includes(product),
  )
  return {
    auth_method: item.authMethod,
    available_products: availableProducts,
    billed_products: [...item.products],
    consent_expiration_time: null,
    consented_products: [...item.products],
    created_at: isoTimestamp(item.createdAt),
    error: currentItemError(ctx, item),
    institution_id: item.institutionId,
    institution_name: institution?.name ?? null,
    item_id: item.itemId,
    products: [...item.products],
    update_type: 'background',
    webhook: item.webhook,
  }
}

export function itemStatusView(item: ItemRecord): Record<string, unknown> {
  return {
    last_webhook: item.lastWebhook
      ? { code_sent: item.lastWebhook.code, sent_at: isoTimestamp(item.lastWebhook.sentAt) }
      : null,
  }
}

export function removeItem(ctx: SandboxContext, item: ItemRecord): void {
  item.removedAt = ctx.clock.now()
  ctx.store.changed()
}

/** Rotates the access token: the old one stops working at once, the Item stays the same. */
export function rotateAccessToken(ctx: SandboxContext, item: ItemRecord, oldAccessToken: string): string {
  const oldRecord = ctx.store.state.accessTokens[oldAccessToken]
  if (oldRecord) oldRecord.invalidatedAt = ctx.clock.now()
  const accessToken = newToken('access')
  ctx.store.state.accessTokens[accessToken] = { itemId: item.itemId, invalidatedAt: null }
  ctx.store.changed()
  return accessToken
}

/** Moves the Item's webhook and acknowledges at the new URL, as Plaid does. */
export function updateItemWebhook(ctx: SandboxContext, item: ItemRecord, webhook: string | null): void {
  item.webhook = webhook
  ctx.store.changed()
  ctx.webhooks.send(item, {
    webhook_type: 'ITEM',
    webhook_code: 'WEBHOOK_UPDATE_ACKNOWLEDGED',
    item_id: item.itemId,
    new_webhook_url: webhook,
    error: null,
  })
}

/** /sandbox/item/reset_login: the Item needs its user again, and says so by webhook. */
export function forceLoginRequired(ctx: SandboxContext, item: ItemRecord): void {
  const error = toEmbeddedError(plaidError('ITEM_LOGIN_REQUIRED'))
  item.error = error
  ctx.store.changed()
  ctx.webhooks.send(item, { webhook_type: 'ITEM', webhook_code: 'ERROR', item_id: item.itemId, error })
}

/** Update mode finished: the Item works again and the 30-day login clock restarts. */
export function repairItem(ctx: SandboxContext, item: ItemRecord): void {
  const wasBroken = currentItemError(ctx, item) !== null
  item.error = null
  item.loginExpiresAt = ctx.clock.now() + SANDBOX_LOGIN_LIFETIME_MS
  ctx.store.changed()
  if (wasBroken) {
    ctx.webhooks.send(item, { webhook_type: 'ITEM', webhook_code: 'LOGIN_REPAIRED', item_id: item.itemId })
  }
}
