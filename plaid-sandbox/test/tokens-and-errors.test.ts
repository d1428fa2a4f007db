import { CountryCode, Products } from 'plaid'
import { describe, expect, it } from 'vitest'
import { contractViolations } from './helpers/openapi-contract.ts'
import { contractCheckedClient, plaidErrorOf } from './helpers/plaid-client.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'

const MINUTE = 60 * 1000
const linkTokenRequest = {
  client_name: 'Safeclose',
  language: 'en',
  country_codes: [CountryCode.Us],
  user: { client_user_id: 'signer-1' },
  products: [Products.Auth],
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const json = (await response.json()) as Record<string, unknown>
  if (response.status !== 200) expect(contractViolations('PlaidError', json)).toEqual([])
  return { status: response.status, body: json }
}

describe('token lifetimes', () => {
  it('expires link tokens after 4 hours, and after 30 minutes in update mode', async () => {
    const { plaid, control } = await startTestSandbox()
    const { data: created } = await plaid.linkTokenCreate(linkTokenRequest)
    const { data: publicToken } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Auth],
    })
    const { data: item } = await plaid.itemPublicTokenExchange({ public_token: publicToken.public_token })
    const { data: update } = await plaid.linkTokenCreate({
      ...linkTokenRequest,
      products: undefined,
      access_token: item.access_token,
    })
    expect(update.expiration).toBe('2026-03-02T09:30:00Z')

    control.advanceClock(30 * MINUTE)
    expect((await plaidErrorOf(plaid.linkTokenGet({ link_token: update.link_token }))).body).toMatchObject({
      error_type: 'INVALID_INPUT',
      error_code: 'INVALID_LINK_TOKEN',
      error_message: 'invalid link_token provided',
    })
    await plaid.linkTokenGet({ link_token: created.link_token })
    control.advanceClock(210 * MINUTE)
    const expired = await plaidErrorOf(plaid.linkTokenGet({ link_token: created.link_token }))
    expect(expired.body.error_code).toBe('INVALID_LINK_TOKEN')
  })

  it('expires public tokens after 30 minutes and accepts each only once', async () => {
    const { plaid, control } = await startTestSandbox()
    const create = () =>
      plaid.sandboxPublicTokenCreate({ institution_id: 'ins_109508', initial_products: [Products.Auth] })
    const { data: first } = await create()
    const { data: second } = await create()

    await plaid.itemPublicTokenExchange({ public_token: first.public_token })
    const reused = await plaidErrorOf(plaid.itemPublicTokenExchange({ public_token: first.public_token }))
    expect(reused).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PUBLIC_TOKEN', error_type: 'INVALID_INPUT' },
    })

    control.advanceClock(30 * MINUTE)
    const expired = await plaidErrorOf(plaid.itemPublicTokenExchange({ public_token: second.public_token }))
    expect(expired.body.error_code).toBe('INVALID_PUBLIC_TOKEN')
  })

  it('follows an injected base clock', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z')
    const { plaid } = await startTestSandbox({ now: () => now })
    const { data } = await plaid.linkTokenCreate(linkTokenRequest)
    expect(data.expiration).toBe('2030-01-01T04:00:00Z')
    now += 4 * 60 * MINUTE
    expect((await plaidErrorOf(plaid.linkTokenGet({ link_token: data.link_token }))).body.error_code).toBe(
      'INVALID_LINK_TOKEN',
    )
  })

  it('puts Items into ITEM_LOGIN_REQUIRED on their own after 30 days, as Plaid Sandbox does', async () => {
    const { plaid, control } = await startTestSandbox()
    const { data: created } = await plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Auth],
    })
    const { data: item } = await plaid.itemPublicTokenExchange({ public_token: created.public_token })
    control.advanceClock(30 * 24 * 60 * MINUTE)
    expect((await plaidErrorOf(plaid.accountsGet({ access_token: item.access_token }))).body.error_code).toBe(
      'ITEM_LOGIN_REQUIRED',
    )
  })
})

describe('client credentials', () => {
  it('accepts credentials in the body as well as in headers, and rejects wrong ones', async () => {
    const { url } = await startTestSandbox()
    const inBody = await postJson(`${url}/institutions/get_by_id`, {
      client_id: 'safeclose-demo',
      secret: 'sandbox-secret-demo',
      institution_id: 'ins_109508',
      country_codes: ['US'],
    })
    expect(inBody.status).toBe(200)

    const { plaid, violations } = contractCheckedClient(url, { clientId: 'safeclose-demo', secret: 'wrong' })
    const wrong = await plaidErrorOf(
      plaid.institutionsGetById({ institution_id: 'ins_109508', country_codes: [CountryCode.Us] }),
    )
    expect(wrong).toMatchObject({
      status: 400,
      body: { error_type: 'INVALID_INPUT', error_code: 'INVALID_API_KEYS', display_message: null },
    })
    expect(violations).toEqual([])

    const missing = await postJson(`${url}/item/get`, { access_token: 'x' })
    expect(missing.body).toMatchObject({
      error_code: 'MISSING_FIELDS',
      error_message: 'the following required fields are missing: client_id, secret',
    })
  })

  it('accepts only the configured clients', async () => {
    const { url } = await startTestSandbox({ clients: [{ clientId: 'ci-client', secret: 'ci-secret' }] })
    const demo = contractCheckedClient(url)
    expect((await plaidErrorOf(demo.plaid.linkTokenCreate(linkTokenRequest))).body.error_code).toBe(
      'INVALID_API_KEYS',
    )
    const configured = contractCheckedClient(url, { clientId: 'ci-client', secret: 'ci-secret' })
    expect((await configured.plaid.linkTokenCreate(linkTokenRequest)).status).toBe(200)
  })

  it('keeps each client to its own Items', async () => {
    const clients = [
      { clientId: 'a', secret: 'a-secret' },
      { clientId: 'b', secret: 'b-secret' },
    ]
    const { url } = await startTestSandbox({ clients })
    const a = contractCheckedClient(url, clients[0])
    const b = contractCheckedClient(url, clients[1])
    const { data: created } = await a.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Auth],
    })
    const { data: item } = await a.plaid.itemPublicTokenExchange({ public_token: created.public_token })
    expect((await plaidErrorOf(b.plaid.itemGet({ access_token: item.access_token }))).body.error_code).toBe(
      'INVALID_ACCESS_TOKEN',
    )
  })
})

describe('request validation and errors', () => {
  const headers = { 'PLAID-CLIENT-ID': 'safeclose-demo', 'PLAID-SECRET': 'sandbox-secret-demo' }

  it.each([
    [
      'an unknown field',
      { ...linkTokenRequest, colour: 'blue' },
      'UNKNOWN_FIELDS',
      'the following fields are not recognized by this endpoint: colour',
    ],
    [
      'a missing field',
      { ...linkTokenRequest, client_name: undefined },
      'MISSING_FIELDS',
      'the following required fields are missing: client_name',
    ],
    [
      'a nested missing field',
      { ...linkTokenRequest, user: {} },
      'MISSING_FIELDS',
      'the following required fields are missing: user.client_user_id',
    ],
    [
      'a wrong type',
      { ...linkTokenRequest, client_name: 42 },
      'INVALID_FIELD',
      'client_name must be a non-empty string',
    ],
    ['an unknown country', { ...linkTokenRequest, country_codes: ['XX'] }, 'INVALID_FIELD', undefined],
    [
      'an email as client_user_id',
      { ...linkTokenRequest, user: { client_user_id: 'a@b.co' } },
      'INVALID_FIELD',
      undefined,
    ],
    ['no products outside update mode', { ...linkTokenRequest, products: [] }, 'INVALID_FIELD', undefined],
  ])('rejects %s in /link/token/create', async (_case, body, errorCode, message) => {
    const { url } = await startTestSandbox()
    const response = await postJson(`${url}/link/token/create`, body, headers)
    expect(response.status).toBe(400)
    expect(response.body).toMatchObject({ error_type: 'INVALID_REQUEST', error_code: errorCode })
    if (message) expect(response.body.error_message).toBe(message)
  })

  it('refuses balance as a Link product with INVALID_PRODUCT', async () => {
    const { plaid } = await startTestSandbox()
    const error = await plaidErrorOf(
      plaid.linkTokenCreate({ ...linkTokenRequest, products: [Products.Balance] }),
    )
    expect(error.body).toMatchObject({ error_type: 'INVALID_INPUT', error_code: 'INVALID_PRODUCT' })
  })

  it('answers malformed JSON with INVALID_BODY and unknown paths with a 404 NOT_FOUND', async () => {
    const { url } = await startTestSandbox()
    const malformed = await postJson(`${url}/item/get`, '{"access_token":', headers)
    expect(malformed).toMatchObject({
      status: 400,
      body: { error_type: 'INVALID_REQUEST', error_code: 'INVALID_BODY' },
    })
    const unknown = await postJson(`${url}/transactions/sync`, {}, headers)
    expect(unknown).toMatchObject({
      status: 404,
      body: { error_code: 'NOT_FOUND', error_message: 'not found' },
    })
    expect(unknown.body.request_id).toMatch(/^[A-Za-z0-9]{15}$/)
  })

  it('answers unknown access tokens with INVALID_ACCESS_TOKEN and simulated credential errors with theirs', async () => {
    const { plaid } = await startTestSandbox()
    const unknown = await plaidErrorOf(
      plaid.itemGet({ access_token: 'access-sandbox-00000000-0000-4000-8000-000000000000' }),
    )
    expect(unknown.body).toMatchObject({
      error_code: 'INVALID_ACCESS_TOKEN',
      error_message: 'could not find matching access token',
    })

    const locked = await plaidErrorOf(
      plaid.sandboxPublicTokenCreate({
        institution_id: 'ins_109508',
        initial_products: [Products.Auth],
        options: { override_username: 'user_good', override_password: 'error_ITEM_LOCKED' },
      }),
    )
    expect(locked.body).toMatchObject({ error_type: 'ITEM_ERROR', error_code: 'ITEM_LOCKED' })
    expect(locked.body.display_message).toMatch(/locked/)
  })
})
