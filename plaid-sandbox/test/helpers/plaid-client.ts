import { Configuration, PlaidApi } from 'plaid'
import { contractViolations, successSchemaName } from './openapi-contract.ts'

export const DEMO_CLIENT_ID = 'safeclose-demo'
export const DEMO_SECRET = 'sandbox-secret-demo'

interface AxiosLikeResponse {
  status: number
  data: unknown
  config: { url?: string }
}

/**
 * The official SDK pointed at the sandbox, wrapped so that every response it receives (success or
 * Plaid error) is checked against the official OpenAPI spec. Violations collect in `violations`;
 * tests assert the list is empty.
 */
export function contractCheckedClient(
  baseUrl: string,
  credentials: { clientId: string; secret: string } = { clientId: DEMO_CLIENT_ID, secret: DEMO_SECRET },
): { plaid: PlaidApi; violations: string[] } {
  const violations: string[] = []
  const sdk = new PlaidApi(
    new Configuration({
      basePath: baseUrl,
      baseOptions: {
        headers: { 'PLAID-CLIENT-ID': credentials.clientId, 'PLAID-SECRET': credentials.secret },
      },
    }),
  )
  const check = (response: AxiosLikeResponse) => {
    const path = new URL(response.config.url ?? '', baseUrl).pathname.slice(
      new URL(baseUrl).pathname.replace(/\/$/, '').length,
    )
    const schemaName = response.status === 200 ? successSchemaName(path) : 'PlaidError'
    violations.push(
      ...contractViolations(schemaName, response.data).map((violation) => `${path}: ${violation}`),
    )
  }
  const plaid = new Proxy(sdk, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver)
      if (typeof value !== 'function') return value
      return async (...args: unknown[]) => {
        try {
          const response = (await value.apply(target, args)) as AxiosLikeResponse
          check(response)
          return response
        } catch (error) {
          const response = (error as { response?: AxiosLikeResponse }).response
          if (response) check(response)
          throw error
        }
      }
    },
  })
  return { plaid, violations }
}

/** The Plaid error body of a rejected SDK call. */
export async function plaidErrorOf(
  call: Promise<unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    await call
  } catch (error) {
    const response = (error as { response?: { status: number; data: Record<string, unknown> } }).response
    if (!response) throw error
    return { status: response.status, body: response.data }
  }
  throw new Error('expected the Plaid call to fail')
}
