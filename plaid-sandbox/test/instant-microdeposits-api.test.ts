import {
  CountryCode,
  type LinkTokenCreateRequest,
  ProcessorTokenCreateRequestProcessorEnum as Processor,
  Products,
} from 'plaid'
import { describe, expect, it } from 'vitest'
import { authLinkTokenRequest, checked, failure, type Json, linkUi } from './helpers/link-ui.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'

type Sandbox = Awaited<ReturnType<typeof startTestSandbox>>

/** Plaid's testing guide for Instant Micro-deposits: Windowpane Bank, these numbers. */
const INSTANT_ROUTING = '333333334'
const INSTANT_ACCOUNT = '1111222233330000'
const WINDOWPANE = 'ins_135858'

function linkTokenRequest(extra: Partial<LinkTokenCreateRequest> = {}): LinkTokenCreateRequest {
  return authLinkTokenRequest({ instant_microdeposits_enabled: true }, extra)
}

async function session(sandbox: Sandbox, request: LinkTokenCreateRequest) {
  const { link_token } = await checked('/link/token/create', sandbox.plaid.linkTokenCreate(request))
  const started = await linkUi(sandbox)('session/start', { link_token })
  return { link_token, link_session_id: started.body.link_session_id as string, started: started.body }
}

function numbers(routing_number: string, extra: Json = {}) {
  return {
    routing_number,
    account_number: INSTANT_ACCOUNT,
    name: 'Alberta Charleson',
    account_subtype: 'checking',
    ...extra,
  }
}

describe('Instant Micro-deposits: link token and institution', () => {
  it('offers the flow only with auth.instant_microdeposits_enabled on an Auth-only US token', async () => {
    const sandbox = await startTestSandbox()
    const on = await session(sandbox, linkTokenRequest())
    expect(on.started.instant_microdeposits).toEqual({ asks_name: true, institution_ids: [WINDOWPANE] })
    // Same-Day is a separate flag: off here, so "manual_entry" (Same-Day) stays off.
    expect(on.started.manual_entry).toBeNull()
    const named = await session(
      sandbox,
      linkTokenRequest({ user: { client_user_id: 'u', legal_name: 'Alberta Charleson' } }),
    )
    expect(named.started.instant_microdeposits).toMatchObject({ asks_name: false })
    for (const request of [
      linkTokenRequest({ auth: {} }),
      linkTokenRequest({ auth: { instant_microdeposits_enabled: false } }),
      linkTokenRequest({ products: [Products.Auth, Products.Identity] }),
    ]) {
      expect((await session(sandbox, request)).started.instant_microdeposits).toBeNull()
    }
    const notUs = await failure(
      '/link/token/create',
      sandbox.plaid.linkTokenCreate({
        ...linkTokenRequest(),
        country_codes: [CountryCode.Us, CountryCode.Ca],
      }),
    )
    expect(notUs).toMatchObject({ status: 400, body: { error_code: 'INVALID_FIELD' } })

    const { institution } = (
      await sandbox.plaid.institutionsGetById({
        institution_id: WINDOWPANE,
        country_codes: [CountryCode.Us],
        options: { include_auth_metadata: true },
      })
    ).data
    expect(institution).toMatchObject({
      name: 'Windowpane Bank',
      routing_numbers: [INSTANT_ROUTING],
      auth_metadata: { supported_methods: { instant_micro_deposits: true, instant_auth: true } },
    })
  })
})

describe('Instant Micro-deposits: the flow', () => {
  it('sends the deposit, takes the code in the same session and only then creates a verified Item', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const { link_token, link_session_id } = await session(sandbox, linkTokenRequest())

    const sent = await call('numbers/submit', { link_token, link_session_id, ...numbers(INSTANT_ROUTING) })
    expect(sent).toEqual({
      status: 200,
      body: {
        flow: 'instant',
        deposit: { mask: '0000', subtype: 'checking', attempts_remaining: 3 },
        request_id: expect.any(String),
      },
    })
    // Nothing is linked before the code: no public token, no Item in /link/token/get.
    const before = await checked('/link/token/get', sandbox.plaid.linkTokenGet({ link_token }))
    expect(before.link_sessions?.[0]?.results?.item_add_results ?? []).toEqual([])

    const wrong = await call('instant-microdeposits/verify', { link_token, link_session_id, code: 'XYZ' })
    expect(wrong.body).toMatchObject({ verified: false, deposit: { attempts_remaining: 2 } })
    const right = await call('instant-microdeposits/verify', { link_token, link_session_id, code: ' abc ' })
    expect(right.body).toMatchObject({
      verified: true,
      link_session_id,
      institution: null,
      transfer_status: null,
      accounts: [
        {
          name: 'Checking',
          mask: '0000',
          type: 'depository',
          subtype: 'checking',
          verification_status: 'manually_verified',
          class_type: null,
        },
      ],
    })
    expect(right.body.public_token).toMatch(/^public-sandbox-/)
    const account_id = (right.body.accounts as { id: string }[])[0]?.id as string
    // The session is over: another code is refused.
    expect(
      (await call('instant-microdeposits/verify', { link_token, link_session_id, code: 'ABC' })).body,
    ).toMatchObject({ error_code: 'INVALID_FIELD' })

    const { access_token, item_id } = await checked(
      '/item/public_token/exchange',
      sandbox.plaid.itemPublicTokenExchange({ public_token: right.body.public_token as string }),
    )
    const item = await checked('/item/get', sandbox.plaid.itemGet({ access_token }))
    expect(item.item).toMatchObject({ item_id, institution_id: null, auth_method: 'INSTANT_MICRODEPOSITS' })
    const accounts = await checked('/accounts/get', sandbox.plaid.accountsGet({ access_token }))
    expect(accounts.accounts).toEqual([
      expect.objectContaining({
        account_id,
        mask: '0000',
        verification_status: 'manually_verified',
        verification_name: 'Alberta Charleson',
      }),
    ])
    // Verified at once: Auth answers the typed numbers, a processor token can be made.
    const auth = await checked('/auth/get', sandbox.plaid.authGet({ access_token }))
    expect(auth.item.auth_method).toBe('INSTANT_MICRODEPOSITS')
    expect(auth.accounts[0]?.verification_status).toBe('manually_verified')
    expect(auth.numbers.ach).toEqual([
      { account_id, account: INSTANT_ACCOUNT, routing: INSTANT_ROUTING, wire_routing: null },
    ])
    await checked(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate({ access_token, account_id, processor: Processor.Dwolla }),
    )
    // No bank login, so no identity data.
    for (const [path, request] of [
      ['/identity/get', sandbox.plaid.identityGet({ access_token })],
      ['/identity/match', sandbox.plaid.identityMatch({ access_token, user: { legal_name: 'Alberta' } })],
    ] as const) {
      expect((await failure(path, request)).body).toMatchObject({ error_code: 'PRODUCTS_NOT_SUPPORTED' })
    }
    const got = await checked('/link/token/get', sandbox.plaid.linkTokenGet({ link_token }))
    expect(got.link_sessions?.[0]?.results?.item_add_results[0]).toMatchObject({
      institution: null,
      accounts: [{ id: account_id, verification_status: 'manually_verified' }],
    })
    // An Auth Item sends no webhook when it is created.
    expect(sandbox.control.deliveries()).toEqual([])
  })

  it('ends the verification after three wrong codes without creating an Item', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const { link_token, link_session_id } = await session(sandbox, linkTokenRequest())
    await call('numbers/submit', { link_token, link_session_id, ...numbers(INSTANT_ROUTING) })
    const attempt = async (code: string) =>
      (await call('instant-microdeposits/verify', { link_token, link_session_id, code })).body
    expect(await attempt('AAA')).toMatchObject({ verified: false, deposit: { attempts_remaining: 2 } })
    expect(await attempt('BBB')).toMatchObject({ verified: false, deposit: { attempts_remaining: 1 } })
    expect(await attempt('CCC')).toMatchObject({ verified: false, deposit: { attempts_remaining: 0 } })
    expect(await attempt('ABC')).toMatchObject({ error_code: 'INVALID_FIELD' })
    const got = await checked('/link/token/get', sandbox.plaid.linkTokenGet({ link_token }))
    expect(got.link_sessions?.[0]?.results?.item_add_results ?? []).toEqual([])
    // A code without a deposit sent is refused too.
    const other = await session(sandbox, linkTokenRequest())
    expect(
      (
        await call('instant-microdeposits/verify', {
          link_token: other.link_token,
          link_session_id: other.link_session_id,
          code: 'ABC',
        })
      ).body,
    ).toMatchObject({ error_code: 'INVALID_FIELD' })
  })

  it('lets the routing number decide between instant and Same-Day, and checks the numbers', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const both = linkTokenRequest({
      auth: { instant_microdeposits_enabled: true, same_day_microdeposits_enabled: true },
    })
    const a = await session(sandbox, both)
    const sameDay = await call('numbers/submit', {
      link_token: a.link_token,
      link_session_id: a.link_session_id,
      ...numbers('110000000'),
    })
    expect(sameDay.body).toMatchObject({
      flow: 'same_day',
      accounts: [{ verification_status: 'pending_manual_verification' }],
    })
    const b = await session(sandbox, both)
    expect(
      (
        await call('numbers/submit', {
          link_token: b.link_token,
          link_session_id: b.link_session_id,
          ...numbers(INSTANT_ROUTING),
        })
      ).body,
    ).toMatchObject({ flow: 'instant' })

    // Instant only: a bank without real-time payments cannot get the deposit.
    const c = await session(sandbox, linkTokenRequest())
    const ids = { link_token: c.link_token, link_session_id: c.link_session_id }
    expect((await call('numbers/submit', { ...ids, ...numbers('110000000') })).body).toMatchObject({
      flow: 'not_eligible',
    })
    expect((await call('numbers/submit', { ...ids, ...numbers('333333333') })).body).toMatchObject({
      error_code: 'INVALID_FIELD',
    })
    expect(
      (await call('numbers/submit', { ...ids, ...numbers(INSTANT_ROUTING, { account_number: '12' }) })).body,
    ).toMatchObject({ error_code: 'INVALID_FIELD' })
    expect(
      (await call('numbers/submit', { ...ids, ...numbers(INSTANT_ROUTING, { name: ' ' }) })).body,
    ).toMatchObject({ error_code: 'MISSING_FIELDS' })

    // Same-Day only: the instant routing number gets a Same-Day deposit.
    const d = await session(sandbox, linkTokenRequest({ auth: { same_day_microdeposits_enabled: true } }))
    expect(
      (
        await call('numbers/submit', {
          link_token: d.link_token,
          link_session_id: d.link_session_id,
          ...numbers(INSTANT_ROUTING),
        })
      ).body,
    ).toMatchObject({ flow: 'same_day' })
    // Neither flag: no manual entry at all.
    const e = await session(sandbox, linkTokenRequest({ auth: {} }))
    expect(
      (
        await call('numbers/submit', {
          link_token: e.link_token,
          link_session_id: e.link_session_id,
          ...numbers(INSTANT_ROUTING),
        })
      ).body,
    ).toMatchObject({ error_code: 'INVALID_FIELD' })
  })
})
