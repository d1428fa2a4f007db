import { plaidError } from '../errors.ts'
import { findInstitution } from '../fixtures/institutions.ts'
import { isWebhookUrlAllowed } from '../webhooks/url-policy.ts'
import { linkAccountView } from './accounts.ts'
import { isoTimestamp } from './clock.ts'
import type { SandboxContext } from './context.ts'
import { newToken, tokenKindOf } from './ids.ts'
import { itemForAccessToken } from './items.ts'
import { assertMicrodepositCountries, linkAuthOptions } from './microdeposits.ts'
import type { LinkSessionRecord, LinkTokenRecord } from './state.ts'

const LINK_TOKEN_LIFETIME_MS = 4 * 60 * 60 * 1000
const UPDATE_MODE_LINK_TOKEN_LIFETIME_MS = 30 * 60 * 1000
/** `balance` comes with every Item; Plaid refuses it as a product to initialize Link with. */
const PRODUCTS_LINK_CANNOT_START_WITH = ['balance']

export interface LinkTokenRequest {
  client_name: string
  language: string
  country_codes: string[]
  user?: { client_user_id: string; legal_name?: string }
  user_id?: string
  products?: string[] | null
  webhook?: string
  access_token?: string | null
  redirect_uri?: string
  auth?: Record<string, unknown>
}

export function createLinkToken(
  ctx: SandboxContext,
  clientId: string,
  request: LinkTokenRequest,
): LinkTokenRecord {
  if (!request.user && !request.user_id) {
    throw plaidError('MISSING_FIELDS', 'the following required fields are missing: user')
  }
  const clientUserId = request.user?.client_user_id ?? null
  if (clientUserId !== null && looksLikePersonalData(clientUserId)) {
    throw plaidError(
      'INVALID_FIELD',
      'client_user_id must not contain personally identifiable information such as an email address or phone number',
    )
  }
  if (request.webhook !== undefined) assertWebhookUrl(ctx, request.webhook)
  if (request.redirect_uri !== undefined) assertRedirectUri(request.redirect_uri)
  const authOptions = linkAuthOptions(request.auth)
  assertMicrodepositCountries(authOptions, request.country_codes)

  const now = ctx.clock.now()
  const updatedItem = request.access_token ? itemForAccessToken(ctx, clientId, request.access_token) : null
  let products: string[]
  if (updatedItem) {
    products = [...updatedItem.products]
  } else {
    products = request.products ?? []
    if (products.length === 0) {
      throw plaidError('INVALID_FIELD', 'products must be a non-empty list unless access_token is provided')
    }
    const refused = products.filter((product) => PRODUCTS_LINK_CANNOT_START_WITH.includes(product))
    if (refused.length > 0) {
      throw plaidError(
        'INVALID_PRODUCT',
        `the following products cannot be used to initialize Link: ${JSON.stringify(refused)}`,
      )
    }
  }

  const record: LinkTokenRecord = {
    linkToken: newToken('link'),
    clientId,
    createdAt: now,
    expiresAt: now + (updatedItem ? UPDATE_MODE_LINK_TOKEN_LIFETIME_MS : LINK_TOKEN_LIFETIME_MS),
    itemId: updatedItem?.itemId ?? null,
    clientName: request.client_name,
    language: request.language,
    countryCodes: [...request.country_codes],
    products,
    // In update mode the Item keeps its webhook; /item/webhook/update is the way to change it.
    webhook: updatedItem ? null : (request.webhook ?? null),
    redirectUri: request.redirect_uri ?? null,
    clientUserId,
    sessionIds: [],
    authOptions,
    legalName: request.user?.legal_name?.trim() || null,
  }
  ctx.store.state.linkTokens[record.linkToken] = record
  ctx.store.changed()
  return record
}

/** A live Link token. Unknown, malformed and expired tokens are all INVALID_LINK_TOKEN. */
export function requireLinkToken(ctx: SandboxContext, linkToken: string, clientId?: string): LinkTokenRecord {
  const record = tokenKindOf(linkToken) === 'link' ? ctx.store.state.linkTokens[linkToken] : undefined
  if (
    !record ||
    (clientId !== undefined && record.clientId !== clientId) ||
    ctx.clock.now() >= record.expiresAt
  ) {
    throw plaidError('INVALID_LINK_TOKEN')
  }
  return record
}

export function linkTokenGetView(ctx: SandboxContext, record: LinkTokenRecord): Record<string, unknown> {
  return {
    link_token: record.linkToken,
    created_at: isoTimestamp(record.createdAt),
    expiration: isoTimestamp(record.expiresAt),
    metadata: {
      initial_products: record.products,
      webhook: record.webhook,
      country_codes: record.countryCodes,
      language: record.language,
      redirect_uri: record.redirectUri,
      client_name: record.clientName,
    },
    link_sessions: record.sessionIds.flatMap((sessionId) => {
      const session = ctx.store.state.linkSessions[sessionId]
      return session ? [linkSessionView(ctx, session)] : []
    }),
  }
}

function linkSessionView(ctx: SandboxContext, session: LinkSessionRecord): Record<string, unknown> {
  const item = session.result ? ctx.store.state.items[session.result.itemId] : undefined
  const institution = item ? findInstitution(item.institutionId) : undefined
  const results =
    session.result && item
      ? {
          item_add_results: [
            {
              public_token: session.result.publicToken,
              accounts: item.accounts
                .filter((account) => session.result?.accountIds.includes(account.account_id))
                .map(linkAccountView),
              institution: institution
                ? { name: institution.name, institution_id: institution.institution_id }
                : null,
            },
          ],
          // Plaid Check and income flows are not emulated; the spec still requires their lists.
          cra_item_add_results: [],
          cra_update_results: [],
          bank_income_results: [],
          payroll_income_results: [],
          document_income_results: null,
        }
      : null
  return {
    link_session_id: session.linkSessionId,
    started_at: isoTimestamp(session.startedAt),
    finished_at: session.finishedAt === null ? null : isoTimestamp(session.finishedAt),
    results,
    exit: null,
    events: session.events.map((event, index) => ({
      event_name: event.event_name,
      timestamp: isoTimestamp(event.timestamp),
      event_id: `${session.linkSessionId}-${index}`,
      event_metadata: { view_name: event.view_name, link_session_id: session.linkSessionId },
    })),
  }
}

function requireHttpUrl(field: string, value: string): void {
  const url = URL.canParse(value) ? new URL(value) : null
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw plaidError('INVALID_FIELD', `${field} must be a valid http or https URL`)
  }
}

/**
 * Plaid's rules for an OAuth redirect_uri: https (plain http only for localhost, as Plaid allows in
 * Sandbox for local development), no query string and no fragment (Link appends `?oauth_state_id=`).
 */
function assertRedirectUri(value: string): void {
  const url = URL.canParse(value) ? new URL(value) : null
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw plaidError('INVALID_FIELD', 'redirect_uri must be a valid https URL')
  }
  if (url.protocol === 'http:' && url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') {
    throw plaidError(
      'INVALID_FIELD',
      'redirect_uri must use https; plain http is allowed only for localhost and 127.0.0.1',
    )
  }
  if (value.includes('?')) throw plaidError('INVALID_FIELD', 'redirect_uri must not contain query parameters')
  if (value.includes('#')) throw plaidError('INVALID_FIELD', 'redirect_uri must not contain a fragment')
}

/** Plaid forbids e-mail addresses and phone numbers as client_user_id. */
function looksLikePersonalData(value: string): boolean {
  return /\S+@\S+\.\S+/.test(value) || /^\+?[\d\s().-]{10,}$/.test(value)
}

/**
 * A webhook URL as every endpoint that sets one checks it: http(s), and, when the sandbox was given an
 * allowlist, on one of its origins. Refused at the call (INVALID_FIELD), so the caller learns why
 * instead of waiting for webhooks that never come.
 */
export function assertWebhookUrl(ctx: SandboxContext, value: string): void {
  requireHttpUrl('webhook', value)
  if (!isWebhookUrlAllowed(ctx.webhookUrls, value)) {
    const allowed = [...(ctx.webhookUrls.allowedOrigins ?? [])].join(', ')
    throw plaidError(
      'INVALID_FIELD',
      `webhook must be on an origin this sandbox delivers to (${allowed || 'none'}), got ${new URL(value).origin}`,
    )
  }
}
