import { createHash } from 'node:crypto'
import type {
  CountryCode,
  PlaidApi,
  Products,
  SandboxItemFireWebhookRequestWebhookCodeEnum,
  SandboxItemSetVerificationStatusRequestVerificationStatusEnum,
  WebhookType,
} from 'plaid'
import type { PlaidEnvironment } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'

/**
 * The only door to Plaid. Everything else in the server calls these functions; nothing else imports
 * the SDK. The same code reaches real Plaid (sandbox, production) and the offline emulator, which
 * differ only in the base URL.
 *
 * Errors: the SDK throws axios errors whose `config.headers` hold the Plaid secret, so they are never
 * logged or rethrown. `PlaidRequestError` keeps only Plaid's safe fields (type, code, request id).
 */

export type PlaidConnection = {
  environment: PlaidEnvironment
  clientId: string
  secret: string
}

export class PlaidRequestError extends Error {
  override name = 'PlaidRequestError'
  readonly httpStatus: number | null
  readonly errorType: string | null
  readonly errorCode: string | null
  readonly requestId: string | null
  readonly displayMessage: string | null

  constructor(fields: {
    httpStatus: number | null
    errorType: string | null
    errorCode: string | null
    requestId: string | null
    displayMessage: string | null
    message: string
  }) {
    super(fields.message)
    this.httpStatus = fields.httpStatus
    this.errorType = fields.errorType
    this.errorCode = fields.errorCode
    this.requestId = fields.requestId
    this.displayMessage = fields.displayMessage
  }
}

export type LinkTokenRequest = {
  clientUserId: string
  webhookUrl: string
  /** Where a bank's OAuth redirect returns on mobile (registered with Plaid); absent = popup only. */
  redirectUri?: string | null
  /** Present for update mode: re-authenticate (or extend) this Item instead of linking a new one. */
  accessToken?: string
  /** Update mode only: let the user share accounts added since the Item was linked. */
  shouldSelectNewAccounts?: boolean
}

export type ItemSummary = {
  itemId: string
  institutionId: string | null
  errorCode: string | null
  consentExpiresAt: string | null
  webhookUrl: string | null
}

export type AccountSummary = {
  accountId: string
  name: string
  officialName: string | null
  mask: string | null
  type: string
  subtype: string | null
  verificationStatus: string | null
}

/**
 * One account's Auth numbers from /auth/get. Secret: these never go into a log, a view or the audit
 * chain; the signing module encrypts them at once.
 */
export type AuthNumbers = {
  accountId: string
  account: string
  routing: string
  wireRouting: string | null
  /** Plaid's is_tokenized_account_number; null when Plaid does not say. */
  isTokenizedAccountNumber: boolean | null
  mask: string | null
  verificationStatus: string | null
  /** The Item's auth_method (INSTANT_AUTH, SAME_DAY_MICRODEPOSITS, INSTANT_MICRODEPOSITS, …); null when Plaid does not say. */
  authMethod: string | null
}

export type PlaidGateway = ReturnType<typeof createPlaidGateway>

const CLIENT_CACHE_LIMIT = 32

/**
 * The SDK is 10 MB of generated JavaScript (about 70 MB resident and a second of start-up), needed
 * only once the server first talks to Plaid: it is loaded then, once.
 */
let plaidSdk: Promise<typeof import('plaid')> | undefined
const loadPlaidSdk = () => {
  plaidSdk ??= import('plaid')
  return plaidSdk
}

export function createPlaidGateway(options: { emulatorUrl: string; timeoutMs?: number }) {
  const clients = new Map<string, PlaidApi>()

  async function clientFor(connection: PlaidConnection): Promise<PlaidApi> {
    // Keyed by a hash so the secret itself is not kept as a map key.
    const key = createHash('sha256')
      .update(`${connection.environment}\0${connection.clientId}\0${connection.secret}`)
      .digest('hex')
    let client = clients.get(key)
    if (!client) {
      const { Configuration, PlaidApi } = await loadPlaidSdk()
      if (clients.size >= CLIENT_CACHE_LIMIT) clients.delete(clients.keys().next().value as string)
      client = new PlaidApi(
        new Configuration({
          basePath: basePathFor(connection.environment, options.emulatorUrl),
          baseOptions: {
            timeout: options.timeoutMs ?? 15_000,
            headers: {
              'PLAID-CLIENT-ID': connection.clientId,
              'PLAID-SECRET': connection.secret,
              'Plaid-Version': '2020-09-14',
            },
          },
        }),
      )
      clients.set(key, client)
    }
    return client
  }

  async function call<T>(work: () => Promise<{ data: T }>): Promise<T> {
    try {
      return (await work()).data
    } catch (error) {
      throw toPlaidRequestError(error)
    }
  }

  return {
    async createLinkToken(connection: PlaidConnection, request: LinkTokenRequest) {
      const data = await call(async () =>
        (await clientFor(connection)).linkTokenCreate({
          client_name: 'Safeclose',
          user: { client_user_id: request.clientUserId },
          country_codes: ['US' as CountryCode],
          language: 'en',
          webhook: request.webhookUrl,
          ...(request.redirectUri ? { redirect_uri: request.redirectUri } : {}),
          ...(request.accessToken
            ? {
                access_token: request.accessToken,
                ...(request.shouldSelectNewAccounts ? { update: { account_selection_enabled: true } } : {}),
              }
            : {
                products: ['auth' as Products],
                // Identity is fetched for ownership checks when the Item exists; it must not block linking.
                optional_products: ['identity' as Products],
                // Banks without an instant login (ADR 0018): the signer types the numbers and confirms a
                // deposit code later (Same-Day), or Plaid verifies the deposits itself (Automated). A bank
                // reached by real-time payments gets the deposit at once and the code is entered in the
                // same Link session (Instant, ADR 0025).
                auth: {
                  same_day_microdeposits_enabled: true,
                  automated_microdeposits_enabled: true,
                  instant_microdeposits_enabled: true,
                },
              }),
        }),
      )
      return { linkToken: data.link_token, expiration: data.expiration, requestId: data.request_id }
    },

    async exchangePublicToken(connection: PlaidConnection, publicToken: string) {
      const data = await call(async () =>
        (await clientFor(connection)).itemPublicTokenExchange({ public_token: publicToken }),
      )
      return { accessToken: data.access_token, itemId: data.item_id }
    },

    async getItem(connection: PlaidConnection, accessToken: string): Promise<ItemSummary> {
      const data = await call(async () =>
        (await clientFor(connection)).itemGet({ access_token: accessToken }),
      )
      return {
        itemId: data.item.item_id,
        institutionId: data.item.institution_id ?? null,
        errorCode: data.item.error?.error_code ?? null,
        consentExpiresAt: data.item.consent_expiration_time ?? null,
        webhookUrl: data.item.webhook ?? null,
      }
    },

    async getAccounts(connection: PlaidConnection, accessToken: string): Promise<AccountSummary[]> {
      const data = await call(async () =>
        (await clientFor(connection)).accountsGet({ access_token: accessToken }),
      )
      return data.accounts.map((account) => ({
        accountId: account.account_id,
        name: account.name,
        officialName: account.official_name ?? null,
        mask: account.mask ?? null,
        type: String(account.type),
        subtype: account.subtype ? String(account.subtype) : null,
        verificationStatus: account.verification_status ? String(account.verification_status) : null,
      }))
    },

    /** The ACH numbers of one account (null when Plaid has none for it, e.g. not yet verified). */
    async getAuthNumbers(
      connection: PlaidConnection,
      accessToken: string,
      accountId: string,
    ): Promise<AuthNumbers | null> {
      const data = await call(async () =>
        (await clientFor(connection)).authGet({
          access_token: accessToken,
          options: { account_ids: [accountId] },
        }),
      )
      const ach = data.numbers.ach.find((entry) => entry.account_id === accountId)
      const account = data.accounts.find((entry) => entry.account_id === accountId)
      if (!ach?.account || !ach.routing) return null
      return {
        accountId,
        account: ach.account,
        routing: ach.routing,
        wireRouting: ach.wire_routing ?? null,
        isTokenizedAccountNumber:
          typeof ach.is_tokenized_account_number === 'boolean' ? ach.is_tokenized_account_number : null,
        mask: account?.mask ?? null,
        verificationStatus: account?.verification_status ? String(account.verification_status) : null,
        authMethod: data.item.auth_method ? String(data.item.auth_method) : null,
      }
    },

    /** Every account's ACH numbers of an Item (the lab masks them at once). */
    async getAllAuthNumbers(connection: PlaidConnection, accessToken: string): Promise<AuthNumbers[]> {
      const data = await call(async () =>
        (await clientFor(connection)).authGet({ access_token: accessToken }),
      )
      return data.numbers.ach.flatMap((ach) => {
        const account = data.accounts.find((entry) => entry.account_id === ach.account_id)
        if (!ach.account || !ach.routing) return []
        return [
          {
            accountId: ach.account_id,
            account: ach.account,
            routing: ach.routing,
            wireRouting: ach.wire_routing ?? null,
            isTokenizedAccountNumber:
              typeof ach.is_tokenized_account_number === 'boolean' ? ach.is_tokenized_account_number : null,
            mask: account?.mask ?? null,
            verificationStatus: account?.verification_status ? String(account.verification_status) : null,
            authMethod: data.item.auth_method ? String(data.item.auth_method) : null,
          },
        ]
      })
    },

    /** The account holders' names Plaid has for one account (/identity/get); [] when it has none. */
    async getHolderNames(connection: PlaidConnection, accessToken: string, accountId: string) {
      const data = await call(async () =>
        (await clientFor(connection)).identityGet({
          access_token: accessToken,
          options: { account_ids: [accountId] },
        }),
      )
      const account = data.accounts.find((entry) => entry.account_id === accountId)
      return [...new Set((account?.owners ?? []).flatMap((owner) => owner.names ?? []))]
    },

    async getInstitutionName(connection: PlaidConnection, institutionId: string): Promise<string> {
      const data = await call(async () =>
        (await clientFor(connection)).institutionsGetById({
          institution_id: institutionId,
          country_codes: ['US' as CountryCode],
        }),
      )
      return data.institution.name
    },

    async removeItem(connection: PlaidConnection, accessToken: string): Promise<void> {
      await call(async () => (await clientFor(connection)).itemRemove({ access_token: accessToken }))
    },

    /** Sandbox only: resolves an Automated Micro-deposit account (Plaid then sends the AUTH webhook). */
    async setVerificationStatusInSandbox(
      connection: PlaidConnection,
      accessToken: string,
      accountId: string,
      status: 'automatically_verified' | 'verification_expired',
    ): Promise<void> {
      await call(async () =>
        (await clientFor(connection)).sandboxItemSetVerificationStatus({
          access_token: accessToken,
          account_id: accountId,
          verification_status: status as SandboxItemSetVerificationStatusRequestVerificationStatusEnum,
        }),
      )
    },

    async resetLoginInSandbox(connection: PlaidConnection, accessToken: string): Promise<void> {
      await call(async () =>
        (await clientFor(connection)).sandboxItemResetLogin({ access_token: accessToken }),
      )
    },

    async fireWebhookInSandbox(
      connection: PlaidConnection,
      accessToken: string,
      webhookCode: string,
      webhookType?: string,
    ): Promise<void> {
      await call(async () =>
        (await clientFor(connection)).sandboxItemFireWebhook({
          access_token: accessToken,
          webhook_code: webhookCode as SandboxItemFireWebhookRequestWebhookCodeEnum,
          ...(webhookType ? { webhook_type: webhookType as WebhookType } : {}),
        }),
      )
    },

    /** Creates a public token without the Link UI (sandbox and emulator only): for tests and benchmarks. */
    async createSandboxPublicToken(connection: PlaidConnection, institutionId: string, webhookUrl?: string) {
      const data = await call(async () =>
        (await clientFor(connection)).sandboxPublicTokenCreate({
          institution_id: institutionId,
          initial_products: ['auth' as Products],
          options: webhookUrl ? { webhook: webhookUrl } : {},
        }),
      )
      return data.public_token
    },

    async getWebhookVerificationKey(connection: PlaidConnection, keyId: string) {
      const data = await call(async () =>
        (await clientFor(connection)).webhookVerificationKeyGet({ key_id: keyId }),
      )
      return data.key
    },

    async matchIdentity(
      connection: PlaidConnection,
      accessToken: string,
      user: { legalName: string; email?: string },
    ) {
      const data = await call(async () =>
        (await clientFor(connection)).identityMatch({
          access_token: accessToken,
          user: { legal_name: user.legalName, ...(user.email ? { email_address: user.email } : {}) },
        }),
      )
      return data.accounts.map((account) => ({
        accountId: account.account_id,
        nameScore: account.legal_name?.score ?? null,
        emailScore: account.email_address?.score ?? null,
      }))
    },
  }
}

// The SDK's PlaidEnvironments, written out so that nothing loads the SDK before it is needed.
const PLAID_HOSTS = {
  sandbox: 'https://sandbox.plaid.com',
  production: 'https://production.plaid.com',
}

export function basePathFor(environment: PlaidEnvironment, emulatorUrl: string): string {
  return environment === 'emulator' ? emulatorUrl : PLAID_HOSTS[environment]
}

function toPlaidRequestError(error: unknown): PlaidRequestError {
  const response = (error as { response?: { status?: number; data?: Record<string, unknown> } }).response
  const data = response?.data
  const text = (key: string) => (typeof data?.[key] === 'string' ? (data[key] as string) : null)
  if (response) {
    const errorCode = text('error_code')
    return new PlaidRequestError({
      httpStatus: response.status ?? null,
      errorType: text('error_type'),
      errorCode,
      requestId: text('request_id'),
      displayMessage: text('display_message'),
      message: `Plaid answered ${response.status ?? '?'} ${errorCode ?? 'without an error code'}`,
    })
  }
  // No response: timeout, refused connection, DNS. The axios message names the host, never the secret.
  const code = (error as { code?: string }).code ?? 'NETWORK_ERROR'
  return new PlaidRequestError({
    httpStatus: null,
    errorType: null,
    errorCode: null,
    requestId: null,
    displayMessage: null,
    message: `Plaid could not be reached (${code})`,
  })
}

/**
 * The one mapping from Plaid failures to our error model, for routes that surface them as-is.
 * Services handle the codes they expect (e.g. ITEM_NOT_FOUND on removal) before calling this.
 */
export function appErrorFromPlaid(error: PlaidRequestError): AppError {
  const details = { plaid_request_id: error.requestId, plaid_error_code: error.errorCode }
  switch (error.errorCode) {
    case 'INVALID_API_KEYS':
    case 'INVALID_CLIENT_ID':
    case 'INVALID_SECRET':
      return new AppError(
        'PLAID_NOT_CONFIGURED',
        'Bank linking is not configured correctly for this workspace. Ask your administrator to check the Plaid credentials.',
        { cause: error, details },
      )
    case 'INVALID_PUBLIC_TOKEN':
      return new AppError(
        'INVALID_PUBLIC_TOKEN',
        'This bank connection token is invalid, expired or already used.',
        {
          cause: error,
          details,
        },
      )
    default: {
      // Plaid said no (4xx, not a rate limit): trying again would get the same answer.
      const isRefused =
        error.httpStatus !== null &&
        error.httpStatus >= 400 &&
        error.httpStatus < 500 &&
        error.httpStatus !== 429
      if (isRefused) {
        const reason = error.displayMessage ?? `Plaid answered ${error.errorCode ?? 'an error'}.`
        return new AppError('PLAID_REFUSED', `Plaid refused this request: ${reason}`, {
          cause: error,
          details,
        })
      }
      return new AppError(
        'PLAID_UNAVAILABLE',
        'Plaid could not complete the request. Please try again shortly.',
        {
          cause: error,
          details,
        },
      )
    }
  }
}
