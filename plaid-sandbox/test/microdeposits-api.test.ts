import {
  SandboxItemFireWebhookRequestWebhookCodeEnum as Code,
  CountryCode,
  type LinkTokenCreateRequest,
  ProcessorTokenCreateRequestProcessorEnum as Processor,
  Products,
  SandboxItemSetVerificationStatusRequestVerificationStatusEnum as VerificationStatus,
  WebhookType,
} from 'plaid'
import { describe, expect, it } from 'vitest'
import { authContractViolations } from './helpers/auth-contract.ts'
import { authLinkTokenRequest, checked, failure, linkUi } from './helpers/link-ui.ts'
import { successSchemaName } from './helpers/openapi-contract.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'
import { startWebhookReceiver, type VerificationKey, verifyPlaidWebhook } from './helpers/webhook-receiver.ts'

type Sandbox = Awaited<ReturnType<typeof startTestSandbox>>

const SAME_DAY_ROUTING = '110000000'
const SAME_DAY_ACCOUNT = '1111222233330000'

function linkTokenRequest(extra: Partial<LinkTokenCreateRequest> = {}): LinkTokenCreateRequest {
  return authLinkTokenRequest(
    { same_day_microdeposits_enabled: true, automated_microdeposits_enabled: true },
    extra,
  )
}

async function receiverFor() {
  const receiver = await startWebhookReceiver()
  return { ...receiver, [Symbol.asyncDispose]: receiver.close }
}

function keyFetcher(sandbox: Sandbox) {
  return async (kid: string) =>
    (await sandbox.plaid.webhookVerificationKeyGet({ key_id: kid })).data.key as unknown as VerificationKey
}

/** Same-Day Micro-deposits through the Link UI's API: numbers typed in, Item pending. */
async function sameDayItem(sandbox: Sandbox, webhook?: string) {
  const call = linkUi(sandbox)
  const { link_token } = await checked(
    '/link/token/create',
    sandbox.plaid.linkTokenCreate(linkTokenRequest(webhook ? { webhook } : {})),
  )
  const started = await call('session/start', { link_token })
  const link_session_id = started.body.link_session_id as string
  const linked = await call('numbers/submit', {
    link_token,
    link_session_id,
    routing_number: SAME_DAY_ROUTING,
    account_number: SAME_DAY_ACCOUNT,
    name: 'Alberta Charleson',
    account_subtype: 'checking',
  })
  expect(linked.status).toBe(200)
  const { access_token, item_id } = await checked(
    '/item/public_token/exchange',
    sandbox.plaid.itemPublicTokenExchange({ public_token: linked.body.public_token as string }),
  )
  const account_id = (linked.body.accounts as { id: string }[])[0]?.id as string
  return { access_token, item_id, account_id, linked: linked.body, started: started.body, link_token }
}

/** Update mode for the Item, as Plaid documents for confirming the Same-Day code. */
async function verificationSession(sandbox: Sandbox, access_token: string) {
  const call = linkUi(sandbox)
  const { link_token } = await checked(
    '/link/token/create',
    sandbox.plaid.linkTokenCreate(linkTokenRequest({ access_token, products: [] })),
  )
  const started = await call('session/start', { link_token })
  return { link_token, link_session_id: started.body.link_session_id as string, started: started.body }
}

describe('link token auth options', () => {
  it('accepts Plaid’s auth flags, refuses unknown ones and non-US micro-deposits, and keeps /link/token/get to the spec', async () => {
    const sandbox = await startTestSandbox()
    const created = await checked(
      '/link/token/create',
      sandbox.plaid.linkTokenCreate(
        linkTokenRequest({
          auth: {
            same_day_microdeposits_enabled: true,
            automated_microdeposits_enabled: true,
            instant_microdeposits_enabled: false,
            instant_match_enabled: true,
            auth_type_select_enabled: false,
            reroute_to_credentials: 'OPTIONAL' as never,
            sms_microdeposits_verification_enabled: true,
          },
        }),
      ),
    )
    const got = await checked(
      '/link/token/get',
      sandbox.plaid.linkTokenGet({ link_token: created.link_token }),
    )
    // Plaid's LinkTokenGetMetadataResponse has no `auth`: the flags are not echoed.
    expect(got.metadata).not.toHaveProperty('auth')
    expect(got.metadata.initial_products).toEqual(['auth'])

    const unknown = await failure(
      '/link/token/create',
      sandbox.plaid.linkTokenCreate({
        ...linkTokenRequest(),
        auth: { same_day_microdeposits: true } as never,
      }),
    )
    expect(unknown.body).toMatchObject({ error_code: 'UNKNOWN_FIELDS' })
    const notUs = await failure(
      '/link/token/create',
      sandbox.plaid.linkTokenCreate(linkTokenRequest({ country_codes: [CountryCode.Us, CountryCode.Ca] })),
    )
    expect(notUs).toMatchObject({ status: 400, body: { error_code: 'INVALID_FIELD' } })
  })

  it('offers "Link with account numbers" only when Same-Day is enabled for an Auth-only token', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const startWith = async (request: LinkTokenCreateRequest) => {
      const { link_token } = await checked('/link/token/create', sandbox.plaid.linkTokenCreate(request))
      return (await call('session/start', { link_token })).body
    }
    expect((await startWith(linkTokenRequest())).manual_entry).toEqual({ asks_name: true })
    expect(
      (await startWith(linkTokenRequest({ user: { client_user_id: 'u', legal_name: 'Alberta Charleson' } })))
        .manual_entry,
    ).toEqual({ asks_name: false })
    expect((await startWith(linkTokenRequest({ auth: {} }))).manual_entry).toBeNull()
    expect(
      (await startWith(linkTokenRequest({ products: [Products.Auth, Products.Identity] }))).manual_entry,
    ).toBeNull()
  })
})

describe('Same-Day Micro-deposits', () => {
  it('creates a pending Item without institution, then update mode verifies code ABC', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const { access_token, account_id, linked, item_id } = await sameDayItem(sandbox)
    expect(linked).toMatchObject({
      institution: null,
      accounts: [
        {
          id: account_id,
          name: 'Checking',
          mask: '0000',
          type: 'depository',
          subtype: 'checking',
          verification_status: 'pending_manual_verification',
          class_type: null,
        },
      ],
    })

    const accounts = await checked('/accounts/get', sandbox.plaid.accountsGet({ access_token }))
    expect(accounts.item).toMatchObject({
      item_id,
      institution_id: null,
      auth_method: 'SAME_DAY_MICRODEPOSITS',
    })
    expect(accounts.accounts[0]).toMatchObject({
      account_id,
      verification_status: 'pending_manual_verification',
      verification_name: 'Alberta Charleson',
    })
    expect((await failure('/auth/get', sandbox.plaid.authGet({ access_token }))).body).toMatchObject({
      error_code: 'PRODUCT_NOT_READY',
    })
    const early = await failure(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate({ access_token, account_id, processor: Processor.Dwolla }),
    )
    expect(early.body).toMatchObject({ error_code: 'PRODUCT_NOT_READY' })
    // No bank login, so no identity data.
    for (const [path, request] of [
      ['/identity/get', sandbox.plaid.identityGet({ access_token })],
      ['/identity/match', sandbox.plaid.identityMatch({ access_token, user: { legal_name: 'Alberta' } })],
    ] as const) {
      expect((await failure(path, request)).body).toMatchObject({ error_code: 'PRODUCTS_NOT_SUPPORTED' })
    }

    const { link_token, link_session_id, started } = await verificationSession(sandbox, access_token)
    expect(started).toMatchObject({
      mode: 'update',
      update: {
        institution: null,
        item_id,
        microdeposit: {
          account: { id: account_id, verification_status: 'pending_manual_verification' },
          attempts_remaining: 3,
        },
      },
    })
    const wrong = await call('microdeposits/verify', { link_token, link_session_id, code: 'XYZ' })
    expect(wrong.body).toMatchObject({ verified: false, attempts_remaining: 2 })
    const right = await call('microdeposits/verify', { link_token, link_session_id, code: 'abc' })
    expect(right.body).toMatchObject({
      verified: true,
      institution: null,
      accounts: [{ id: account_id, verification_status: 'manually_verified' }],
    })
    expect(right.body.public_token).toMatch(/^public-sandbox-/)

    const auth = await checked('/auth/get', sandbox.plaid.authGet({ access_token }))
    expect(auth.accounts[0]?.verification_status).toBe('manually_verified')
    expect(auth.numbers.ach).toEqual([
      { account_id, account: SAME_DAY_ACCOUNT, routing: SAME_DAY_ROUTING, wire_routing: null },
    ])
    const processor = await checked(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate({ access_token, account_id, processor: Processor.Dwolla }),
    )
    expect(processor.processor_token).toMatch(
      /^processor-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    const got = await checked('/link/token/get', sandbox.plaid.linkTokenGet({ link_token }))
    expect(got.link_sessions?.[0]?.results?.item_add_results[0]).toMatchObject({
      institution: null,
      accounts: [{ id: account_id, verification_status: 'manually_verified' }],
    })
  })

  it('rejects invalid numbers and fails verification after three wrong codes', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const { link_token } = await checked(
      '/link/token/create',
      sandbox.plaid.linkTokenCreate(linkTokenRequest()),
    )
    const link_session_id = (await call('session/start', { link_token })).body.link_session_id
    const numbers = {
      link_token,
      link_session_id,
      routing_number: '110000001',
      account_number: SAME_DAY_ACCOUNT,
      name: 'Alberta Charleson',
      account_subtype: 'savings',
    }
    expect((await call('numbers/submit', numbers)).body).toMatchObject({ error_code: 'INVALID_FIELD' })
    expect(
      (await call('numbers/submit', { ...numbers, routing_number: SAME_DAY_ROUTING, account_number: '12' }))
        .body,
    ).toMatchObject({ error_code: 'INVALID_FIELD' })
    expect(
      (await call('numbers/submit', { ...numbers, routing_number: SAME_DAY_ROUTING, name: ' ' })).body,
    ).toMatchObject({ error_code: 'MISSING_FIELDS' })

    const { access_token, account_id } = await sameDayItem(sandbox)
    const session = await verificationSession(sandbox, access_token)
    const attempt = (code: string) =>
      call('microdeposits/verify', {
        link_token: session.link_token,
        link_session_id: session.link_session_id,
        code,
      })
    expect((await attempt('AAA')).body).toMatchObject({ verified: false, attempts_remaining: 2 })
    expect((await attempt('BBB')).body).toMatchObject({ verified: false, attempts_remaining: 1 })
    expect((await attempt('CCC')).body).toMatchObject({
      verified: false,
      attempts_remaining: 0,
      account: { verification_status: 'verification_failed' },
    })
    expect((await attempt('ABC')).body).toMatchObject({ error_code: 'INVALID_FIELD' })
    const accounts = await checked('/accounts/get', sandbox.plaid.accountsGet({ access_token }))
    expect(accounts.accounts[0]?.verification_status).toBe('verification_failed')
    expect((await failure('/auth/get', sandbox.plaid.authGet({ access_token }))).body).toMatchObject({
      error_code: 'NO_AUTH_ACCOUNTS',
    })
    const refused = await failure(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate({ access_token, account_id, processor: Processor.Moov }),
    )
    expect(refused.body).toMatchObject({ error_code: 'NO_AUTH_ACCOUNTS' })
  })
})

describe('Automated Micro-deposits', () => {
  it('needs the flag in Link, and set_verification_status expires the account with a signed AUTH webhook', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor()
    const call = linkUi(sandbox)
    const credentialsFor = async (request: LinkTokenCreateRequest) => {
      const { link_token } = await checked('/link/token/create', sandbox.plaid.linkTokenCreate(request))
      const link_session_id = (await call('session/start', { link_token })).body.link_session_id
      const step = await call('credentials/submit', {
        link_token,
        link_session_id,
        institution_id: 'ins_109512',
        username: 'user_good',
        password: 'microdeposits_good',
      })
      return { link_token, link_session_id, step }
    }
    const off = await credentialsFor(linkTokenRequest({ auth: { same_day_microdeposits_enabled: true } }))
    expect(off.step.body).toMatchObject({ error_code: 'NO_AUTH_ACCOUNTS' })

    const on = await credentialsFor(linkTokenRequest({ webhook: receiver.url }))
    const offered = on.step.body.accounts as { account_id: string; subtype: string }[]
    expect(offered.map((account) => account.subtype)).toEqual(['checking'])
    const linked = await call('accounts/submit', {
      link_token: on.link_token,
      link_session_id: on.link_session_id,
      account_ids: [offered[0]?.account_id],
    })
    expect(linked.body).toMatchObject({
      institution: { institution_id: 'ins_109512' },
      accounts: [{ verification_status: 'pending_automatic_verification' }],
    })
    const { access_token } = await checked(
      '/item/public_token/exchange',
      sandbox.plaid.itemPublicTokenExchange({ public_token: linked.body.public_token as string }),
    )
    const account_id = (linked.body.accounts as { id: string }[])[0]?.id as string
    expect((await failure('/auth/get', sandbox.plaid.authGet({ access_token }))).body).toMatchObject({
      error_code: 'PRODUCT_NOT_READY',
    })

    await checked(
      '/sandbox/item/set_verification_status',
      sandbox.plaid.sandboxItemSetVerificationStatus({
        access_token,
        account_id,
        verification_status: VerificationStatus.VerificationExpired,
      }),
    )
    await sandbox.control.flushWebhooks()
    const webhook = receiver.received.at(-1)
    expect(webhook?.json).toMatchObject({
      webhook_type: 'AUTH',
      webhook_code: 'VERIFICATION_EXPIRED',
      account_id,
      environment: 'sandbox',
    })
    expect(authContractViolations('VerificationExpiredWebhook', webhook?.json)).toEqual([])
    await verifyPlaidWebhook(
      webhook as NonNullable<typeof webhook>,
      keyFetcher(sandbox),
      Math.floor(sandbox.control.now() / 1000),
    )
    const accounts = await checked('/accounts/get', sandbox.plaid.accountsGet({ access_token }))
    expect(accounts.accounts[0]?.verification_status).toBe('verification_expired')
    expect((await failure('/auth/get', sandbox.plaid.authGet({ access_token }))).body).toMatchObject({
      error_code: 'NO_AUTH_ACCOUNTS',
    })
    // Only an account awaiting automated verification can be resolved.
    const again = await failure(
      '/sandbox/item/set_verification_status',
      sandbox.plaid.sandboxItemSetVerificationStatus({
        access_token,
        account_id,
        verification_status: VerificationStatus.AutomaticallyVerified,
      }),
    )
    expect(again.body).toMatchObject({ error_code: 'INVALID_FIELD' })
  })
})

describe('AUTH DEFAULT_UPDATE and processor tokens', () => {
  it('fires DEFAULT_UPDATE for an Auth Item and sends changed numbers through /__admin', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor()
    const { public_token } = await checked(
      '/sandbox/public_token/create',
      sandbox.plaid.sandboxPublicTokenCreate({
        institution_id: 'ins_109508',
        initial_products: [Products.Auth],
        options: { webhook: receiver.url },
      }),
    )
    const { access_token, item_id } = await checked(
      '/item/public_token/exchange',
      sandbox.plaid.itemPublicTokenExchange({ public_token }),
    )
    const fired = await checked(
      '/sandbox/item/fire_webhook',
      sandbox.plaid.sandboxItemFireWebhook({
        access_token,
        webhook_type: WebhookType.Auth,
        webhook_code: Code.DefaultUpdate,
      }),
    )
    expect(fired.webhook_fired).toBe(true)
    await sandbox.control.flushWebhooks()
    const defaultUpdate = receiver.received.at(-1)?.json
    expect(authContractViolations('AuthDefaultUpdateWebhook', defaultUpdate)).toEqual([])
    const before = await checked('/auth/get', sandbox.plaid.authGet({ access_token }))
    expect(defaultUpdate).toMatchObject({
      webhook_type: 'AUTH',
      webhook_code: 'DEFAULT_UPDATE',
      item_id,
      account_ids_with_new_auth: [],
    })
    // The sandbox keeps the numbers: /auth/get answers the same after the webhook.
    expect(before.numbers.ach.map((ach) => ach.account)).toEqual(['1111222233330000', '1111222233331111'])

    const checking = before.numbers.ach[0]?.account_id as string
    const response = await fetch(`${sandbox.url}/__admin/items/auth-numbers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item_id, account_id: checking, routing: '021000021' }),
    })
    expect(response.status).toBe(200)
    await sandbox.control.flushWebhooks()
    const renumbered = receiver.received.at(-1)?.json
    expect(renumbered).toMatchObject({
      webhook_code: 'DEFAULT_UPDATE',
      account_ids_with_updated_auth: { [checking]: ['ROUTING_NUMBER'] },
    })
    expect(authContractViolations('AuthDefaultUpdateWebhook', renumbered)).toEqual([])
    const after = await checked('/auth/get', sandbox.plaid.authGet({ access_token }))
    expect(after.numbers.ach[0]).toMatchObject({ account_id: checking, routing: '021000021' })
  })

  it('answers SANDBOX_PRODUCT_NOT_ENABLED for an Item without Auth', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor()
    const { public_token } = await checked(
      '/sandbox/public_token/create',
      sandbox.plaid.sandboxPublicTokenCreate({
        institution_id: 'ins_109508',
        initial_products: [Products.Identity],
        options: { webhook: receiver.url },
      }),
    )
    const { access_token } = await checked(
      '/item/public_token/exchange',
      sandbox.plaid.itemPublicTokenExchange({ public_token }),
    )
    const refused = await failure(
      '/sandbox/item/fire_webhook',
      sandbox.plaid.sandboxItemFireWebhook({
        access_token,
        webhook_type: WebhookType.Auth,
        webhook_code: Code.DefaultUpdate,
      }),
    )
    expect(refused.body).toMatchObject({ error_code: 'SANDBOX_PRODUCT_NOT_ENABLED' })
  })

  it('creates processor tokens for instantly verified accounts and validates the request', async () => {
    const sandbox = await startTestSandbox()
    const { public_token } = await checked(
      '/sandbox/public_token/create',
      sandbox.plaid.sandboxPublicTokenCreate({
        institution_id: 'ins_109508',
        initial_products: [Products.Auth],
      }),
    )
    const { access_token } = await checked(
      '/item/public_token/exchange',
      sandbox.plaid.itemPublicTokenExchange({ public_token }),
    )
    const { accounts } = await checked('/accounts/get', sandbox.plaid.accountsGet({ access_token }))
    const account_id = accounts[0]?.account_id as string
    const first = await checked(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate({ access_token, account_id, processor: Processor.Dwolla }),
    )
    const second = await checked(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate({ access_token, account_id, processor: Processor.Dwolla }),
    )
    expect(first.processor_token).not.toBe(second.processor_token)
    const request = { access_token, account_id: 'nope', processor: Processor.Dwolla }
    expect(authContractViolations('ProcessorTokenCreateRequest', request)).toEqual([])
    const unknownAccount = await failure(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate(request),
    )
    expect(unknownAccount.body).toMatchObject({ error_code: 'INVALID_ACCOUNT_ID' })
    const badProcessor = await failure(
      '/processor/token/create',
      sandbox.plaid.processorTokenCreate({ access_token, account_id, processor: 'paypal' as Processor }),
    )
    expect(badProcessor.body).toMatchObject({ error_code: 'INVALID_FIELD' })
  })

  it('checks processor tokens against the contract in the repository', () => {
    expect(successSchemaName('/processor/token/create')).toBe('ProcessorTokenCreateResponse')
    expect(authContractViolations('ProcessorTokenCreateResponse', { request_id: 'x' })).not.toEqual([])
  })
})
