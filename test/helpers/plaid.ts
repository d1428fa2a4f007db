import { Configuration, type CountryCode, PlaidApi, type Products } from 'plaid'
import { type StartedPlaidSandbox, startPlaidSandbox } from '../../plaid-sandbox/src/main.ts'
import { EMULATOR_CREDENTIALS } from '../../server/app.ts'
import {
  createPlaidGateway,
  type PlaidGateway,
  PlaidRequestError,
} from '../../server/modules/plaid/gateway.ts'

export type TestEmulator = StartedPlaidSandbox & {
  /** The official SDK pointed at the emulator, as an independent client for assertions. */
  plaid: PlaidApi
  createPublicToken(options?: { institutionId?: string; webhook?: string }): Promise<string>
}

/** The offline Plaid sandbox on a free loopback port, with quick webhook retries for tests. */
export async function startTestEmulator(): Promise<TestEmulator> {
  const started = await startPlaidSandbox({
    port: 0,
    webhookRetrySchedule: [50, 100],
    webhookTimeoutMs: 2_000,
  })
  const plaid = emulatorClient(started.url)
  return {
    ...started,
    plaid,
    async createPublicToken(options = {}) {
      const response = await plaid.sandboxPublicTokenCreate({
        institution_id: options.institutionId ?? 'ins_109508',
        initial_products: ['auth' as Products],
        options: options.webhook ? { webhook: options.webhook } : {},
      })
      return response.data.public_token
    },
  }
}

/** The official SDK pointed at an emulator, with the credentials the server uses for it. */
export function emulatorClient(url: string): PlaidApi {
  return new PlaidApi(
    new Configuration({
      basePath: url,
      baseOptions: {
        headers: {
          'PLAID-CLIENT-ID': EMULATOR_CREDENTIALS.clientId,
          'PLAID-SECRET': EMULATOR_CREDENTIALS.secret,
        },
      },
    }),
  )
}

/** A real gateway that also remembers every access token Plaid handed out, so tests can look for leaks. */
export function createRecordingGateway(emulatorUrl: string): {
  gateway: PlaidGateway
  accessTokens: string[]
  linkTokenRequests: Array<Parameters<PlaidGateway['createLinkToken']>[1]>
} {
  const real = createPlaidGateway({ emulatorUrl })
  const accessTokens: string[] = []
  const linkTokenRequests: Array<Parameters<PlaidGateway['createLinkToken']>[1]> = []
  return {
    accessTokens,
    linkTokenRequests,
    gateway: {
      ...real,
      async createLinkToken(connection, request) {
        linkTokenRequests.push(request)
        return real.createLinkToken(connection, request)
      },
      async exchangePublicToken(connection, publicToken) {
        const result = await real.exchangePublicToken(connection, publicToken)
        accessTokens.push(result.accessToken)
        return result
      },
    },
  }
}

/** Whether the emulator still knows an Item (false once it was removed). */
export async function isItemKnown(emulator: TestEmulator, accessToken: string): Promise<boolean> {
  try {
    await emulator.plaid.itemGet({ access_token: accessToken })
    return true
  } catch (error) {
    const code = (error as { response?: { data?: { error_code?: string } } }).response?.data?.error_code
    if (code === 'ITEM_NOT_FOUND' || code === 'INVALID_ACCESS_TOKEN') return false
    throw error
  }
}

export const US = 'US' as CountryCode

/** The error the gateway throws when Plaid answers 500 (tests use it to simulate an outage). */
export function simulatedPlaidOutage(): PlaidRequestError {
  return new PlaidRequestError({
    httpStatus: 500,
    errorType: 'API_ERROR',
    errorCode: 'INTERNAL_SERVER_ERROR',
    requestId: null,
    displayMessage: null,
    message: 'simulated Plaid outage',
  })
}
