import { type ApiExchange, apiRequest, sendApiRequest } from './client.ts'
import type { PlaidEnvironment } from './plaid-settings.ts'

export type LinkMode = 'create' | 'update'

export type LinkTokenResponse = {
  link_token: string
  expiration: string
  environment: PlaidEnvironment
  mode: LinkMode
  /** False when the server could link but not store the connection (no encryption key). */
  persist_ready: boolean
}

export type ExchangeResponse = {
  item_id: string
  institution_id: string | null
  persisted: boolean
  persist_hint: string | null
}

export type ItemStatus = 'good' | 'login_required' | 'pending_expiration' | 'pending_disconnect' | 'revoked'

export type LinkedAccount = {
  account_id: string
  name: string
  mask: string | null
  type: string
  subtype: string | null
  /** Plaid's verification_status: null for instant Auth; micro-deposit states otherwise. */
  verification_status: string | null
}

/** An account's Auth numbers as the lab sees them: last four digits only. */
export type AuthMask = {
  account_id: string
  account_mask: string
  routing_mask: string
  wire_routing_mask: string | null
  is_tokenized_account_number: boolean | null
  verification_status: string | null
}

export type AuthMasks = { accounts: AuthMask[]; error_code: string | null }

export type PlaidConnectionStatus = {
  connected: boolean
  environment: PlaidEnvironment
  item: null | {
    item_id: string
    institution_id: string | null
    institution_name: string | null
    status: ItemStatus
    accounts: LinkedAccount[]
    consent_expires_at: string | null
    linked_at: string
    updated_at: string
  }
  action: null | 'link' | 'update'
}

/** The link token in flight when a bank's OAuth redirect took the browser away, and where to go on. */
export type OAuthResume = {
  link_token: string
  mode: LinkMode
  environment: PlaidEnvironment
  return_to: string
}

/** What Safeclose keeps of a Link callback for support. Never a public token. */
export type LinkEventReport = {
  type: 'event' | 'exit'
  event_name: string
  view_name: string | null
  link_session_id: string | null
  request_id: string | null
  error_type: string | null
  error_code: string | null
  institution_id: string | null
  exit_status: string | null
  timestamp: string
}

/** The `/sandbox/item/fire_webhook` codes Safeclose lets the lab fire on the linked Item. */
export const SIMULATED_WEBHOOK_CODES = [
  'NEW_ACCOUNTS_AVAILABLE',
  'PENDING_DISCONNECT',
  'USER_PERMISSION_REVOKED',
  'USER_ACCOUNT_REVOKED',
  'LOGIN_REPAIRED',
  'DEFAULT_UPDATE',
] as const

export type SimulatedWebhookCode = (typeof SIMULATED_WEBHOOK_CODES)[number]

// Each call returns the whole exchange: the Plaid lab shows every request and response.
export const plaidApi = {
  createLinkToken: (mode: LinkMode): Promise<ApiExchange> =>
    sendApiRequest('POST', '/api/plaid/link-token', mode === 'update' ? { mode: 'update' } : {}),
  exchangePublicToken: (publicToken: string): Promise<ApiExchange> =>
    sendApiRequest('POST', '/api/plaid/exchange', { public_token: publicToken }),
  fetchStatus: (signal?: AbortSignal): Promise<ApiExchange> =>
    sendApiRequest('GET', '/api/plaid/status', undefined, signal),
  fetchOAuthResume: (signal?: AbortSignal): Promise<ApiExchange> =>
    sendApiRequest('GET', '/api/plaid/oauth-resume', undefined, signal),
  removeItem: (): Promise<ApiExchange> => sendApiRequest('DELETE', '/api/plaid/item', {}),
  /** The Link callbacks reported earlier (the lab's timeline after a reload). */
  fetchLinkEvents: (signal?: AbortSignal): Promise<{ events: Array<Partial<LinkEventReport>> }> =>
    apiRequest('GET', '/api/plaid/link-events', undefined, signal),
  reportLinkEvents: (events: LinkEventReport[]): Promise<ApiExchange> =>
    sendApiRequest('POST', '/api/plaid/link-events', { events }),
  simulateLoginRequired: (): Promise<ApiExchange> =>
    sendApiRequest('POST', '/api/plaid/sandbox/reset-login', {}),
  refreshAccounts: (): Promise<ApiExchange> => sendApiRequest('POST', '/api/plaid/accounts/refresh', {}),
  fetchAuthMasks: (signal?: AbortSignal): Promise<ApiExchange> =>
    sendApiRequest('GET', '/api/plaid/auth-numbers', undefined, signal),
  setVerificationStatus: (
    accountId: string,
    status: 'automatically_verified' | 'verification_expired',
  ): Promise<ApiExchange> =>
    sendApiRequest('POST', '/api/plaid/sandbox/set-verification-status', {
      account_id: accountId,
      verification_status: status,
    }),
  simulateWebhook: (webhookCode: SimulatedWebhookCode): Promise<ApiExchange> =>
    sendApiRequest('POST', '/api/plaid/sandbox/fire-webhook', { webhook_code: webhookCode }),
}
