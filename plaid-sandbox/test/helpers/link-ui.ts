import { CountryCode, type LinkTokenCreateRequest, type LinkTokenCreateRequestAuth, Products } from 'plaid'
import { expect } from 'vitest'
import { authContractViolations, RESPONSE_SCHEMAS } from './auth-contract.ts'

export type Json = Record<string, unknown>

/** A caller of the Link UI's JSON API (`/link/v2/stable/api/<path>`) on a running sandbox. */
export function linkUi(sandbox: { url: string }) {
  return async (path: string, body: Json): Promise<{ status: number; body: Json }> => {
    const response = await fetch(`${sandbox.url}/link/v2/stable/api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    return { status: response.status, body: (await response.json()) as Json }
  }
}

/** Awaits an SDK call and checks its data against Plaid's schema for `path`; returns the data. */
export async function checked<T>(path: string, call: Promise<{ data: T }>): Promise<T> {
  const { data } = await call
  expect(authContractViolations(RESPONSE_SCHEMAS[path] as string, data), path).toEqual([])
  return data
}

/** Awaits an SDK call that must fail with a Plaid error (checked against `PlaidError`). */
export async function failure(path: string, call: Promise<unknown>): Promise<{ status: number; body: Json }> {
  try {
    await call
  } catch (error) {
    const response = (error as { response?: { status: number; data: Json } }).response
    if (!response) throw error
    expect(authContractViolations('PlaidError', response.data), `${path} error`).toEqual([])
    return { status: response.status, body: response.data }
  }
  throw new Error(`expected ${path} to fail`)
}

/**
 * An Auth-only US /link/token/create request with the given micro-deposit flags, checked against
 * Plaid's `LinkTokenCreateRequest` (the flags are fields of the spec's LinkTokenCreateRequestAuth).
 */
export function authLinkTokenRequest(
  auth: LinkTokenCreateRequestAuth,
  extra: Partial<LinkTokenCreateRequest> = {},
): LinkTokenCreateRequest {
  const request: LinkTokenCreateRequest = {
    client_name: 'Safeclose',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'signer-1' },
    products: [Products.Auth],
    auth,
    ...extra,
  }
  expect(authContractViolations('LinkTokenCreateRequest', request)).toEqual([])
  return request
}
