import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CountryCode, Products } from 'plaid'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startPlaidSandbox } from '../src/main.ts'
import { plaidErrorOf } from './helpers/plaid-client.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'
import { startWebhookReceiver } from './helpers/webhook-receiver.ts'

type Sandbox = Awaited<ReturnType<typeof startTestSandbox>>

async function receiver() {
  const started = await startWebhookReceiver()
  onTestFinished(() => started.close())
  return started
}

function linkTokenCreate(sandbox: Sandbox, webhook: string) {
  return sandbox.plaid.linkTokenCreate({
    client_name: 'Safeclose',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'signer-1' },
    products: [Products.Auth],
    webhook,
  })
}

function publicTokenCreate(sandbox: Sandbox, webhook: string) {
  return sandbox.plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Auth],
    options: { webhook },
  })
}

async function accessTokenFor(sandbox: Sandbox, webhook: string) {
  const { data } = await publicTokenCreate(sandbox, webhook)
  return (await sandbox.plaid.itemPublicTokenExchange({ public_token: data.public_token })).data.access_token
}

describe('webhook allowlist (allowedWebhookOrigins)', () => {
  it('refuses webhook URLs outside the allowed origins where they are set, with INVALID_FIELD', async () => {
    const allowed = await receiver()
    const sandbox = await startTestSandbox({ allowedWebhookOrigins: [new URL(allowed.url).origin] })
    const outside = [
      'http://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:1/admin',
      `${new URL(allowed.url).origin.replace('http:', 'https:')}/plaid/webhooks`,
      `http://localhost:${new URL(allowed.url).port}/plaid/webhooks`,
    ]
    for (const webhook of outside) {
      for (const [endpoint, attempt] of [
        ['/link/token/create', () => linkTokenCreate(sandbox, webhook)],
        ['/sandbox/public_token/create', () => publicTokenCreate(sandbox, webhook)],
      ] as const) {
        const error = await plaidErrorOf(attempt())
        expect(error, `${endpoint} ${webhook}`).toMatchObject({
          status: 400,
          body: { error_type: 'INVALID_REQUEST', error_code: 'INVALID_FIELD' },
        })
        expect(String(error.body.error_message)).toContain(
          'webhook must be on an origin this sandbox delivers to',
        )
      }
    }

    const accessToken = await accessTokenFor(sandbox, allowed.url)
    const moved = await plaidErrorOf(
      sandbox.plaid.itemWebhookUpdate({ access_token: accessToken, webhook: 'http://169.254.169.254/x' }),
    )
    expect(moved.body.error_code).toBe('INVALID_FIELD')
    const { data: item } = await sandbox.plaid.itemGet({ access_token: accessToken })
    expect(item.item.webhook).toBe(allowed.url)

    await sandbox.control.flushWebhooks()
    expect(sandbox.control.deliveries().map((delivery) => delivery.url)).toEqual([])
  })

  it('delivers to URLs on the allowed origins, whatever their path', async () => {
    const allowed = await receiver()
    const sandbox = await startTestSandbox({ allowedWebhookOrigins: [`${new URL(allowed.url).origin}/`] })
    expect((await linkTokenCreate(sandbox, `${allowed.url}?from=link`)).data.link_token).toMatch(
      /^link-sandbox-/,
    )
    const accessToken = await accessTokenFor(sandbox, allowed.url)
    await sandbox.plaid.sandboxItemResetLogin({ access_token: accessToken })
    await sandbox.control.flushWebhooks()
    expect(allowed.received.map((webhook) => webhook.json.webhook_code)).toEqual(['ERROR'])
  })

  it('refuses an empty allowlist everywhere, and rejects an entry that is not an origin', async () => {
    const sandbox = await startTestSandbox({ allowedWebhookOrigins: [] })
    const error = await plaidErrorOf(publicTokenCreate(sandbox, 'https://hooks.example/plaid'))
    expect(error.body.error_code).toBe('INVALID_FIELD')
    await expect(startPlaidSandbox({ port: 0, allowedWebhookOrigins: ['hooks.example'] })).rejects.toThrow(
      /not an http\(s\) origin/,
    )
  })

  it('keeps Plaid behaviour without the option: any http(s) URL is accepted', async () => {
    const sandbox = await startTestSandbox()
    expect((await publicTokenCreate(sandbox, 'https://anywhere.example/hook')).data.public_token).toMatch(
      /^public-sandbox-/,
    )
    expect((await linkTokenCreate(sandbox, 'http://10.1.2.3:8080/hook')).data.link_token).toMatch(
      /^link-sandbox-/,
    )
  })

  it('does not deliver to a stored URL that the allowlist of a later run leaves out', async () => {
    const target = await receiver()
    const dataDir = await mkdtemp(join(tmpdir(), 'plaid-sandbox-allowlist-'))
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }))

    // First run without an allowlist: an Item whose webhook points at the receiver.
    const open = await startTestSandbox({ dataDir })
    const accessToken = await accessTokenFor(open, target.url)
    await open.close()

    const narrowed = await startTestSandbox({ dataDir, allowedWebhookOrigins: ['https://app.example'] })
    await narrowed.plaid.sandboxItemResetLogin({ access_token: accessToken })
    await narrowed.control.flushWebhooks()
    expect(target.received).toEqual([])
    const delivery = narrowed.control.deliveries().at(-1)
    expect(delivery).toMatchObject({ url: target.url, webhookCode: 'ERROR', status: 'failed' })
    expect(delivery?.attempts).toEqual([
      expect.objectContaining({ statusCode: null, error: 'webhook URL not on the allowlist' }),
    ])
  })
})
