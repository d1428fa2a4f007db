import { CountryCode, Products } from 'plaid'
import { describe, expect, it } from 'vitest'
import { plaidErrorOf } from './helpers/plaid-client.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'

const ACCESS_TOKEN_PATTERN = /^access-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const OPAQUE_ID_PATTERN = /^[A-Za-z0-9]{37}$/

async function linkedItem(
  plaid: Awaited<ReturnType<typeof startTestSandbox>>['plaid'],
  products = [Products.Auth],
) {
  const { data: created } = await plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: products,
  })
  const { data: exchanged } = await plaid.itemPublicTokenExchange({ public_token: created.public_token })
  return exchanged
}

describe('Plaid API round trips through the official SDK', () => {
  it('creates a link token and reads it back with the create parameters', async () => {
    const { plaid } = await startTestSandbox()
    const { data: created } = await plaid.linkTokenCreate({
      client_name: 'Safeclose',
      language: 'en',
      country_codes: [CountryCode.Us],
      user: { client_user_id: 'signer-42' },
      products: [Products.Auth, Products.Identity],
      webhook: 'https://safeclose.example/plaid/webhooks',
      redirect_uri: 'http://localhost:3000/oauth-return',
    })
    expect(created.link_token).toMatch(/^link-sandbox-[0-9a-f-]{36}$/)
    expect(created.expiration).toBe('2026-03-02T13:00:00Z')

    const { data: fetched } = await plaid.linkTokenGet({ link_token: created.link_token })
    expect(fetched.metadata).toMatchObject({
      initial_products: ['auth', 'identity'],
      webhook: 'https://safeclose.example/plaid/webhooks',
      country_codes: ['US'],
      language: 'en',
      redirect_uri: 'http://localhost:3000/oauth-return',
      client_name: 'Safeclose',
    })
    expect(fetched.created_at).toBe('2026-03-02T09:00:00Z')
  })

  it('creates an Item without Link, exchanges its public token and reads Item, accounts, Auth and Identity', async () => {
    const { plaid } = await startTestSandbox()
    const { access_token, item_id } = await linkedItem(plaid, [Products.Auth, Products.Identity])
    expect(access_token).toMatch(ACCESS_TOKEN_PATTERN)
    expect(item_id).toMatch(OPAQUE_ID_PATTERN)

    const { data: itemResponse } = await plaid.itemGet({ access_token })
    expect(itemResponse.item).toMatchObject({
      item_id,
      institution_id: 'ins_109508',
      institution_name: 'First Platypus Bank',
      webhook: null,
      error: null,
      billed_products: ['auth', 'identity'],
    })
    expect(itemResponse.status?.last_webhook).toBeNull()

    const { data: accounts } = await plaid.accountsGet({ access_token })
    expect(
      accounts.accounts.map((account) => [account.name, account.mask, account.balances.current]),
    ).toEqual([
      ['Plaid Checking', '0000', 110],
      ['Plaid Saving', '1111', 210],
    ])
    for (const account of accounts.accounts) expect(account.account_id).toMatch(OPAQUE_ID_PATTERN)

    const { data: auth } = await plaid.authGet({ access_token })
    expect(auth.numbers.ach).toEqual([
      {
        account_id: accounts.accounts[0]?.account_id,
        account: '1111222233330000',
        routing: '011401533',
        wire_routing: '021000021',
      },
      {
        account_id: accounts.accounts[1]?.account_id,
        account: '1111222233331111',
        routing: '011401533',
        wire_routing: '021000021',
      },
    ])

    const { data: identity } = await plaid.identityGet({ access_token })
    expect(identity.accounts[0]?.owners[0]?.names).toEqual(['Alberta Bobbeth Charleson'])
    expect(identity.accounts[0]?.owners[0]?.addresses[0]?.data.postal_code).toBe('14236')
  })

  it('gives an identity-only Item all twelve user_good accounts and narrows by options.account_ids', async () => {
    const { plaid } = await startTestSandbox()
    const { access_token } = await linkedItem(plaid, [Products.Identity])
    const { data } = await plaid.accountsGet({ access_token })
    expect(data.accounts.map((account) => account.mask)).toEqual([
      '0000',
      '1111',
      '2222',
      '3333',
      '4444',
      '5555',
      '6666',
      '7777',
      '8888',
      '9001',
      '9002',
      '9999',
    ])
    const savingsId = data.accounts[1]?.account_id as string
    const { data: narrowed } = await plaid.accountsGet({
      access_token,
      options: { account_ids: [savingsId] },
    })
    expect(narrowed.accounts.map((account) => account.name)).toEqual(['Plaid Saving'])

    const invalid = await plaidErrorOf(
      plaid.accountsGet({ access_token, options: { account_ids: ['nope'] } }),
    )
    expect(invalid.body).toMatchObject({ error_code: 'INVALID_ACCOUNT_ID', error_type: 'INVALID_INPUT' })
  })

  it('scores /identity/match inputs against the sandbox owner', async () => {
    const { plaid } = await startTestSandbox()
    const { access_token } = await linkedItem(plaid, [Products.Auth, Products.Identity])
    const { data } = await plaid.identityMatch({
      access_token,
      user: {
        legal_name: 'Alberta Charleson',
        phone_number: '+1 202-555-0123',
        email_address: 'accountholder0@example.com',
        address: {
          street: '2992 Cameron Rd',
          city: 'Malakoff',
          region: 'NY',
          postal_code: '14236',
          country: 'US',
        },
      },
    })
    const account = data.accounts[0]
    expect(account?.legal_name).toEqual({
      score: 95,
      is_first_name_or_last_name_match: true,
      is_nickname_match: false,
      is_business_name_detected: false,
    })
    expect(account?.phone_number?.score).toBe(100)
    expect(account?.email_address?.score).toBe(100)
    expect(account?.address).toEqual({ score: 100, is_postal_code_match: true })
    expect(account?.balances.available).toBeNull()
  })

  it('removes an Item, after which its access token answers ITEM_NOT_FOUND', async () => {
    const { plaid } = await startTestSandbox()
    const { access_token } = await linkedItem(plaid)
    const { data } = await plaid.itemRemove({ access_token })
    expect(data.request_id).toMatch(/^[A-Za-z0-9]{15}$/)
    const error = await plaidErrorOf(plaid.itemGet({ access_token }))
    expect(error).toMatchObject({
      status: 400,
      body: { error_type: 'ITEM_ERROR', error_code: 'ITEM_NOT_FOUND' },
    })
  })

  it('rotates an access token with /item/access_token/invalidate', async () => {
    const { plaid } = await startTestSandbox()
    const { access_token, item_id } = await linkedItem(plaid)
    const { data } = await plaid.itemAccessTokenInvalidate({ access_token })
    expect(data.new_access_token).toMatch(ACCESS_TOKEN_PATTERN)
    expect((await plaid.itemGet({ access_token: data.new_access_token })).data.item.item_id).toBe(item_id)
    const error = await plaidErrorOf(plaid.itemGet({ access_token }))
    expect(error.body.error_code).toBe('INVALID_ACCESS_TOKEN')
  })

  it('describes institutions, with optional metadata only on request', async () => {
    const { plaid } = await startTestSandbox()
    const { data: plain } = await plaid.institutionsGetById({
      institution_id: 'ins_109512',
      country_codes: [CountryCode.Us],
    })
    expect(plain.institution).toMatchObject({
      institution_id: 'ins_109512',
      name: 'Houndstooth Bank',
      routing_numbers: ['011000138', '011200365', '011400495'],
      oauth: false,
    })
    expect(plain.institution).not.toHaveProperty('primary_color')
    const { data: detailed } = await plaid.institutionsGetById({
      institution_id: 'ins_109508',
      country_codes: [CountryCode.Us],
      options: { include_optional_metadata: true, include_auth_metadata: true },
    })
    expect(detailed.institution.primary_color).toBe('#1f8ded')
    const unknown = await plaidErrorOf(
      plaid.institutionsGetById({ institution_id: 'ins_0', country_codes: [CountryCode.Us] }),
    )
    expect(unknown.body).toMatchObject({
      error_code: 'INVALID_INSTITUTION',
      error_message: 'invalid institution_id provided',
    })
  })

  it('serves the standard sandbox institutions', async () => {
    const { plaid } = await startTestSandbox()
    const expected = {
      ins_109508: 'First Platypus Bank',
      ins_109509: 'First Gingham Credit Union',
      ins_109510: 'Tattersall Federal Credit Union',
      ins_109511: 'Tartan Bank',
      ins_109512: 'Houndstooth Bank',
      ins_130016: 'First Platypus Balance Bank',
      ins_127287: 'Platypus OAuth Bank',
    }
    for (const [institutionId, name] of Object.entries(expected)) {
      const { data } = await plaid.institutionsGetById({
        institution_id: institutionId,
        country_codes: [CountryCode.Us],
      })
      expect(data.institution.name).toBe(name)
    }
  })
})
