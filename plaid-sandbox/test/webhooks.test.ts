import {
  SandboxItemFireWebhookRequestWebhookCodeEnum as Code,
  Products,
  SandboxItemSetVerificationStatusRequestVerificationStatusEnum as VerificationStatus,
  WebhookType,
} from 'plaid'
import { describe, expect, it } from 'vitest'
import { contractViolations } from './helpers/openapi-contract.ts'
import { plaidErrorOf } from './helpers/plaid-client.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'
import { startWebhookReceiver, type VerificationKey, verifyPlaidWebhook } from './helpers/webhook-receiver.ts'

type Sandbox = Awaited<ReturnType<typeof startTestSandbox>>

async function itemWithWebhook(sandbox: Sandbox, webhook: string, products = [Products.Auth]) {
  const { data: created } = await sandbox.plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: products,
    options: { webhook },
  })
  const { data } = await sandbox.plaid.itemPublicTokenExchange({ public_token: created.public_token })
  return data
}

/** Written here independently of the sandbox's serializer, from Plaid's documented format. */
function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep)
  if (value === null || typeof value !== 'object') return value
  const entries = Object.entries(value).sort(([left], [right]) => (left < right ? -1 : 1))
  return Object.fromEntries(entries.map(([key, nested]) => [key, sortedDeep(nested)]))
}

function keyFetcher(sandbox: Sandbox) {
  return async (kid: string) =>
    (await sandbox.plaid.webhookVerificationKeyGet({ key_id: kid })).data.key as unknown as VerificationKey
}

async function receiverFor(sandbox: Sandbox, options?: Parameters<typeof startWebhookReceiver>[0]) {
  const receiver = await startWebhookReceiver(options)
  return { ...receiver, [Symbol.asyncDispose]: receiver.close, sandbox }
}

describe('signed webhooks', () => {
  it('signs ITEM ERROR from reset_login so that an independent jose verifier accepts it', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor(sandbox)
    const { access_token, item_id } = await itemWithWebhook(sandbox, receiver.url)

    await sandbox.plaid.sandboxItemResetLogin({ access_token })
    await sandbox.control.flushWebhooks()

    expect(receiver.received).toHaveLength(1)
    const webhook = receiver.received[0] as (typeof receiver.received)[number]
    const verified = await verifyPlaidWebhook(
      webhook,
      keyFetcher(sandbox),
      Math.floor(sandbox.control.now() / 1000),
    )
    expect(verified.iat).toBe(Math.floor(sandbox.control.now() / 1000))
    expect(webhook.headers['content-type']).toBe('application/json')
    // Plaid's serialization: keys sorted at every level, two-space indent, no trailing newline.
    const text = webhook.rawBody.toString('utf8')
    expect(text).toBe(JSON.stringify(sortedDeep(webhook.json), null, 2))
    expect(
      text.startsWith('{\n  "environment": "sandbox",\n  "error": {\n    "display_message": null,'),
    ).toBe(true)
    expect(text.endsWith('\n}')).toBe(true)
    expect(webhook.json).toMatchObject({
      webhook_type: 'ITEM',
      webhook_code: 'ERROR',
      item_id,
      error: { error_code: 'ITEM_LOGIN_REQUIRED', error_type: 'ITEM_ERROR', status: 400 },
    })
    expect(webhook.json.error).not.toHaveProperty('request_id')
    expect(contractViolations('ItemErrorWebhook', webhook.json)).toEqual([])
  })

  it('rejects a tampered body and a stale token', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor(sandbox)
    const { access_token } = await itemWithWebhook(sandbox, receiver.url)
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.NewAccountsAvailable })
    await sandbox.control.flushWebhooks()
    const webhook = receiver.received[0] as (typeof receiver.received)[number]
    const now = Math.floor(sandbox.control.now() / 1000)

    const tampered = {
      ...webhook,
      rawBody: Buffer.from(webhook.rawBody.toString().replace('NEW_ACCOUNTS', 'OLD_ACCOUNTS')),
    }
    await expect(verifyPlaidWebhook(tampered, keyFetcher(sandbox), now)).rejects.toThrow('body hash mismatch')
    await expect(verifyPlaidWebhook(webhook, keyFetcher(sandbox), now + 6 * 60)).rejects.toThrow()
  })

  it('fires the documented sandbox webhook codes with payloads that match the spec', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor(sandbox)
    const { access_token } = await itemWithWebhook(sandbox, receiver.url, [
      Products.Auth,
      Products.Transactions,
    ])
    await sandbox.control.flushWebhooks()
    const creationCodes = receiver.received.map((webhook) => String(webhook.json.webhook_code))
    expect(creationCodes.toSorted()).toEqual(['HISTORICAL_UPDATE', 'INITIAL_UPDATE'])
    receiver.received.length = 0

    const cases = [
      { webhook_code: Code.NewAccountsAvailable, delivered: 'ITEM', schema: 'NewAccountsAvailableWebhook' },
      { webhook_code: Code.PendingDisconnect, delivered: 'ITEM', schema: 'PendingDisconnectWebhook' },
      { webhook_code: Code.UserPermissionRevoked, delivered: 'ITEM', schema: 'UserPermissionRevokedWebhook' },
      { webhook_code: Code.UserAccountRevoked, delivered: 'ITEM', schema: 'UserAccountRevokedWebhook' },
      { webhook_code: Code.LoginRepaired, delivered: 'ITEM', schema: 'ItemLoginRepairedWebhook' },
      {
        webhook_code: Code.SyncUpdatesAvailable,
        delivered: 'TRANSACTIONS',
        schema: 'SyncUpdatesAvailableWebhook',
      },
      {
        webhook_code: Code.DefaultUpdate,
        webhook_type: WebhookType.Auth,
        delivered: 'AUTH',
        schema: 'AuthDefaultUpdateWebhook',
      },
      { webhook_code: Code.DefaultUpdate, delivered: 'TRANSACTIONS', schema: 'DefaultUpdateWebhook' },
      // The spec has no schema for this one; its signature is still checked below.
      { webhook_code: Code.SmsMicrodepositsVerification, delivered: 'AUTH', schema: null },
    ]
    for (const { schema, delivered, ...request } of cases) {
      const { data } = await sandbox.plaid.sandboxItemFireWebhook({ access_token, ...request })
      expect(data.webhook_fired).toBe(true)
    }
    await sandbox.control.flushWebhooks()
    // Deliveries run concurrently and, as with Plaid, arrive in no promised order:
    // match each case to its delivery by type and code.
    const deliveredKinds = receiver.received.map(
      (webhook) => `${webhook.json.webhook_type}:${webhook.json.webhook_code}`,
    )
    const expectedKinds = cases.map((entry) => `${entry.delivered}:${entry.webhook_code}`)
    expect(deliveredKinds.toSorted()).toEqual(expectedKinds.toSorted())
    for (const [index, { schema }] of cases.entries()) {
      const webhook = receiver.received[deliveredKinds.indexOf(expectedKinds[index] as string)]
      if (!webhook) throw new Error(`no delivery for ${expectedKinds[index]}`)
      if (schema) expect(contractViolations(schema, webhook.json), schema).toEqual([])
      await verifyPlaidWebhook(webhook, keyFetcher(sandbox), Math.floor(sandbox.control.now() / 1000))
    }
    const { data: item } = await sandbox.plaid.itemGet({ access_token })
    expect(item.status?.last_webhook?.code_sent).toBe('SMS_MICRODEPOSITS_VERIFICATION')
  })

  it('refuses to fire without a webhook URL or for a product the Item lacks', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor(sandbox)
    const { data: created } = await sandbox.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Auth],
    })
    const { data: silent } = await sandbox.plaid.itemPublicTokenExchange({
      public_token: created.public_token,
    })
    const noWebhook = await plaidErrorOf(
      sandbox.plaid.sandboxItemFireWebhook({
        access_token: silent.access_token,
        webhook_code: Code.NewAccountsAvailable,
      }),
    )
    expect(noWebhook.body).toMatchObject({
      error_type: 'SANDBOX_ERROR',
      error_code: 'SANDBOX_WEBHOOK_INVALID',
    })

    const { access_token } = await itemWithWebhook(sandbox, receiver.url)
    const noProduct = await plaidErrorOf(
      sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.SyncUpdatesAvailable }),
    )
    expect(noProduct.body).toMatchObject({
      error_code: 'SANDBOX_PRODUCT_NOT_ENABLED',
      error_message: 'The transactions product is not enabled on this item',
    })
  })

  it('acknowledges /item/webhook/update at the new URL', async () => {
    const sandbox = await startTestSandbox()
    await using oldReceiver = await receiverFor(sandbox)
    await using newReceiver = await receiverFor(sandbox)
    const { access_token, item_id } = await itemWithWebhook(sandbox, oldReceiver.url)

    const { data } = await sandbox.plaid.itemWebhookUpdate({ access_token, webhook: newReceiver.url })
    expect(data.item.webhook).toBe(newReceiver.url)
    await sandbox.control.flushWebhooks()

    expect(oldReceiver.received).toHaveLength(0)
    expect(newReceiver.received.map((webhook) => webhook.json)).toEqual([
      {
        environment: 'sandbox',
        error: null,
        item_id,
        new_webhook_url: newReceiver.url,
        webhook_code: 'WEBHOOK_UPDATE_ACKNOWLEDGED',
        webhook_type: 'ITEM',
      },
    ])
    expect(contractViolations('WebhookUpdateAcknowledgedWebhook', newReceiver.received[0]?.json)).toEqual([])
  })

  it('puts the Item in ITEM_LOGIN_REQUIRED after reset_login: /item/get reports it, products refuse', async () => {
    const sandbox = await startTestSandbox()
    const { data: created } = await sandbox.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109508',
      initial_products: [Products.Auth],
    })
    const { data: exchanged } = await sandbox.plaid.itemPublicTokenExchange({
      public_token: created.public_token,
    })
    const { access_token } = exchanged
    await sandbox.plaid.sandboxItemResetLogin({ access_token })

    const { data } = await sandbox.plaid.itemGet({ access_token })
    expect(data.item.error?.error_code).toBe('ITEM_LOGIN_REQUIRED')
    for (const call of [
      sandbox.plaid.accountsGet({ access_token }),
      sandbox.plaid.authGet({ access_token }),
    ]) {
      const error = await plaidErrorOf(call)
      expect(error).toMatchObject({
        status: 400,
        body: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED' },
      })
    }
  })
})

describe('webhook delivery', () => {
  it('retries non-2xx answers on the configured schedule until one succeeds', async () => {
    const sandbox = await startTestSandbox({ webhookRetrySchedule: [10, 30, 60] })
    await using receiver = await receiverFor(sandbox, { respondWith: [500, 404, 200] })
    const { access_token } = await itemWithWebhook(sandbox, receiver.url)
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.LoginRepaired })
    await sandbox.control.flushWebhooks()

    const [delivery] = sandbox.control.deliveries()
    expect(delivery?.status).toBe('delivered')
    expect(delivery?.attempts.map((attempt) => attempt.statusCode)).toEqual([500, 404, 200])
    expect(receiver.received).toHaveLength(3)
    // Each attempt is signed afresh and verifies on its own.
    for (const webhook of receiver.received) {
      await verifyPlaidWebhook(webhook, keyFetcher(sandbox), Math.floor(sandbox.control.now() / 1000))
    }
  })

  it('gives up after the last retry and logs every attempt', async () => {
    const sandbox = await startTestSandbox({ webhookRetrySchedule: [5, 5] })
    await using receiver = await receiverFor(sandbox, { respondWith: [503] })
    const { access_token } = await itemWithWebhook(sandbox, receiver.url)
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.NewAccountsAvailable })
    await sandbox.control.flushWebhooks()

    const [delivery] = sandbox.control.deliveries()
    expect(delivery).toMatchObject({
      status: 'failed',
      webhookCode: 'NEW_ACCOUNTS_AVAILABLE',
      nextAttemptAt: null,
    })
    expect(delivery?.attempts.map((attempt) => attempt.statusCode)).toEqual([503, 503, 503])
  })

  it('counts a receiver slower than the timeout as a failure', async () => {
    const sandbox = await startTestSandbox({ webhookRetrySchedule: [], webhookTimeoutMs: 50 })
    await using receiver = await receiverFor(sandbox, { delayMs: 500 })
    const { access_token } = await itemWithWebhook(sandbox, receiver.url)
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.NewAccountsAvailable })
    await sandbox.control.flushWebhooks()

    const [delivery] = sandbox.control.deliveries()
    expect(delivery?.status).toBe('failed')
    expect(delivery?.attempts[0]).toMatchObject({ statusCode: null, error: 'no response within 50 ms' })
  })

  it('drops webhooks on request and exposes the log over GET /__admin/deliveries', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor(sandbox)
    const { access_token } = await itemWithWebhook(sandbox, receiver.url)
    sandbox.control.dropWebhooks(1)
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.NewAccountsAvailable })
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.LoginRepaired })
    await sandbox.control.flushWebhooks()

    expect(receiver.received.map((webhook) => webhook.json.webhook_code)).toEqual(['LOGIN_REPAIRED'])
    const response = await fetch(`${sandbox.url}/__admin/deliveries`)
    const { deliveries } = (await response.json()) as {
      deliveries: { status: string; webhookCode: string }[]
    }
    expect(deliveries.map((delivery) => [delivery.webhookCode, delivery.status])).toEqual([
      ['NEW_ACCOUNTS_AVAILABLE', 'dropped'],
      ['LOGIN_REPAIRED', 'delivered'],
    ])
  })
})

describe('webhook verification keys', () => {
  it('rotates keys: the old key verifies until its grace period ends, then reports expired', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor(sandbox)
    const { access_token } = await itemWithWebhook(sandbox, receiver.url)
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.NewAccountsAvailable })
    await sandbox.control.flushWebhooks()

    const newKid = sandbox.control.rotateSigningKey({ graceMs: 60 * 60 * 1000 })
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.LoginRepaired })
    await sandbox.control.flushWebhooks()
    const [beforeRotation, afterRotation] = receiver.received as [
      (typeof receiver.received)[0],
      (typeof receiver.received)[0],
    ]
    const now = () => Math.floor(sandbox.control.now() / 1000)

    const oldKey = await verifyPlaidWebhook(beforeRotation, keyFetcher(sandbox), now())
    expect(oldKey.kid).not.toBe(newKid)
    expect((await verifyPlaidWebhook(afterRotation, keyFetcher(sandbox), now())).kid).toBe(newKid)

    const { data: oldJwk } = await sandbox.plaid.webhookVerificationKeyGet({ key_id: oldKey.kid })
    expect(oldJwk.key).toMatchObject({
      alg: 'ES256',
      crv: 'P-256',
      kty: 'EC',
      use: 'sig',
      expired_at: now() + 3600,
    })
    expect(oldJwk.key.created_at).toBe(now())
    const { data: newJwk } = await sandbox.plaid.webhookVerificationKeyGet({ key_id: newKid })
    expect(newJwk.key.expired_at).toBeNull()

    sandbox.control.advanceClock(60 * 60 * 1000)
    // Re-signed after the clock moved: only the key check can fail now.
    await sandbox.plaid.sandboxItemFireWebhook({ access_token, webhook_code: Code.LoginRepaired })
    await sandbox.control.flushWebhooks()
    await expect(verifyPlaidWebhook(beforeRotation, keyFetcher(sandbox), now())).rejects.toThrow(
      'verification key expired',
    )
    expect(
      (
        await verifyPlaidWebhook(
          receiver.received[2] as (typeof receiver.received)[0],
          keyFetcher(sandbox),
          now(),
        )
      ).kid,
    ).toBe(newKid)
  })

  it('answers an unknown key id with INVALID_WEBHOOK_VERIFICATION_KEY_ID', async () => {
    const sandbox = await startTestSandbox()
    const error = await plaidErrorOf(sandbox.plaid.webhookVerificationKeyGet({ key_id: 'not-a-key' }))
    expect(error).toMatchObject({
      status: 400,
      body: { error_type: 'INVALID_INPUT', error_code: 'INVALID_WEBHOOK_VERIFICATION_KEY_ID' },
    })
  })
})

describe('automated micro-deposits', () => {
  it('keeps Auth not ready until set_verification_status verifies the account, with an AUTH webhook', async () => {
    const sandbox = await startTestSandbox()
    await using receiver = await receiverFor(sandbox)
    const { data: created } = await sandbox.plaid.sandboxPublicTokenCreate({
      institution_id: 'ins_109512',
      initial_products: [Products.Auth],
      options: {
        webhook: receiver.url,
        override_username: 'user_good',
        override_password: 'microdeposits_good',
      },
    })
    const { data: exchanged } = await sandbox.plaid.itemPublicTokenExchange({
      public_token: created.public_token,
    })
    const { access_token } = exchanged

    const notReady = await plaidErrorOf(sandbox.plaid.authGet({ access_token }))
    expect(notReady.body).toMatchObject({ error_type: 'ITEM_ERROR', error_code: 'PRODUCT_NOT_READY' })
    const { data: accounts } = await sandbox.plaid.accountsGet({ access_token })
    const account = accounts.accounts[0]
    expect(account?.verification_status).toBe('pending_automatic_verification')
    expect(accounts.item.auth_method).toBe('AUTOMATED_MICRODEPOSITS')

    await sandbox.plaid.sandboxItemSetVerificationStatus({
      access_token,
      account_id: account?.account_id as string,
      verification_status: VerificationStatus.AutomaticallyVerified,
    })
    await sandbox.control.flushWebhooks()
    expect(receiver.received.map((webhook) => webhook.json)).toEqual([
      expect.objectContaining({
        webhook_type: 'AUTH',
        webhook_code: 'AUTOMATICALLY_VERIFIED',
        account_id: account?.account_id,
      }),
    ])
    expect(contractViolations('AutomaticallyVerifiedWebhook', receiver.received[0]?.json)).toEqual([])
    const { data: auth } = await sandbox.plaid.authGet({ access_token })
    expect(auth.numbers.ach[0]?.account).toBe('1111222233330000')
  })
})
