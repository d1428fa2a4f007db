import { type ApiExchange, apiRequest, sendApiRequest } from './client.ts'

export type {
  AuthMask,
  AuthMasks,
  ExchangeResponse,
  LinkEventReport,
  LinkedAccount,
  LinkMode,
  LinkTokenResponse,
  OAuthResume,
  PlaidConnectionStatus,
  StoredLinkEvents,
} from '../../../server/http/contract.ts'

import type {
  LinkEventReport,
  LinkMode,
  PlaidConnectionStatus,
  StoredLinkEvents,
} from '../../../server/http/contract.ts'

/** An Item's status as Plaid's webhooks move it (see ITEM_STATUSES on the server). */
export type ItemStatus = NonNullable<PlaidConnectionStatus['item']>['status']

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
  fetchLinkEvents: (signal?: AbortSignal): Promise<StoredLinkEvents> =>
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
