import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EMULATOR_CREDENTIALS } from '../../server/app.ts'
import { loadConfig } from '../../server/config.ts'
import { mountablePlaidSandbox } from '../../server/plaid-sandbox-mount.ts'
import { buildTestApp } from '../helpers/build-app.ts'

const PUBLIC_URL = 'http://127.0.0.1:3000'
const CREDENTIALS = { client_id: EMULATOR_CREDENTIALS.clientId, secret: EMULATOR_CREDENTIALS.secret }

/** The app with the embedded sandbox mounted exactly as main.ts mounts it, for this environment. */
async function appWithMountedSandbox(env: Record<string, string>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'safeclose-sandbox-allowlist-'))
  const fullEnv = { PUBLIC_URL, PLAID_SANDBOX_ENABLED: 'true', DATA_DIR: dataDir, ...env }
  const sandbox = await mountablePlaidSandbox(loadConfig(fullEnv), pino({ level: 'silent' }))
  const t = await buildTestApp({ env: fullEnv, plaidSandboxPlugin: sandbox.plugin })
  return {
    t,
    plaid: async (path: string, body: Record<string, unknown>) => {
      const response = await t.app.inject({
        method: 'POST',
        url: `/plaid-sandbox${path}`,
        payload: { ...CREDENTIALS, ...body },
      })
      return { status: response.statusCode, body: response.json() as Record<string, unknown> }
    },
    async close() {
      await t.close()
      await sandbox.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

const publicTokenBody = (webhook: string) => ({
  institution_id: 'ins_109508',
  initial_products: ['auth'],
  options: { webhook },
})
const linkTokenBody = (webhook: string) => ({
  client_name: 'Safeclose',
  language: 'en',
  country_codes: ['US'],
  user: { client_user_id: 'signer-1' },
  products: ['auth'],
  webhook,
})

describe('the embedded sandbox delivers webhooks only to allowed origins', () => {
  describe('by default, PUBLIC_URL', () => {
    let mounted: Awaited<ReturnType<typeof appWithMountedSandbox>>
    beforeAll(async () => {
      mounted = await appWithMountedSandbox({})
    })
    afterAll(() => mounted?.close())

    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://127.0.0.1:5432/',
      'http://localhost:3000/api/webhooks/plaid',
      'https://127.0.0.1:3000/api/webhooks/plaid',
      'https://attacker.example/collect',
    ])('refuses %s where a webhook is set', async (webhook) => {
      for (const [path, body] of [
        ['/sandbox/public_token/create', publicTokenBody(webhook)],
        ['/link/token/create', linkTokenBody(webhook)],
      ] as const) {
        const refused = await mounted.plaid(path, body)
        expect(refused.status, path).toBe(400)
        expect(refused.body).toMatchObject({ error_type: 'INVALID_REQUEST', error_code: 'INVALID_FIELD' })
      }
    })

    it("accepts the app's own webhook URL, and refuses moving an Item's webhook elsewhere", async () => {
      const webhook = `${PUBLIC_URL}/api/webhooks/plaid`
      expect((await mounted.plaid('/link/token/create', linkTokenBody(webhook))).status).toBe(200)
      const created = await mounted.plaid('/sandbox/public_token/create', publicTokenBody(webhook))
      expect(created.status).toBe(200)
      const exchanged = await mounted.plaid('/item/public_token/exchange', {
        public_token: created.body.public_token,
      })
      const moved = await mounted.plaid('/item/webhook/update', {
        access_token: exchanged.body.access_token,
        webhook: 'http://169.254.169.254/latest/meta-data/',
      })
      expect(moved).toMatchObject({ status: 400, body: { error_code: 'INVALID_FIELD' } })
    })
  })

  describe('with PLAID_SANDBOX_WEBHOOK_ALLOWLIST', () => {
    const received: string[] = []
    const receiver = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => {
        body += chunk
      })
      request.on('end', () => {
        received.push(body)
        response.writeHead(200).end()
      })
    })
    let receiverOrigin: string
    let mounted: Awaited<ReturnType<typeof appWithMountedSandbox>>
    beforeAll(async () => {
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
      receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
      mounted = await appWithMountedSandbox({ PLAID_SANDBOX_WEBHOOK_ALLOWLIST: receiverOrigin })
    })
    afterAll(async () => {
      await mounted?.close()
      receiver.closeAllConnections()
      await new Promise((resolve) => receiver.close(resolve))
    })

    it('delivers to the listed origin and refuses everything else, PUBLIC_URL included', async () => {
      const refused = await mounted.plaid(
        '/sandbox/public_token/create',
        publicTokenBody(`${PUBLIC_URL}/api/webhooks/plaid`),
      )
      expect(refused.body.error_code).toBe('INVALID_FIELD')

      const created = await mounted.plaid(
        '/sandbox/public_token/create',
        publicTokenBody(`${receiverOrigin}/hook`),
      )
      expect(created.status).toBe(200)
      const exchanged = await mounted.plaid('/item/public_token/exchange', {
        public_token: created.body.public_token,
      })
      const reset = await mounted.plaid('/sandbox/item/reset_login', {
        access_token: exchanged.body.access_token,
      })
      expect(reset.status).toBe(200)
      await expect.poll(() => received.length, { timeout: 5_000 }).toBe(1)
      expect(JSON.parse(received[0] as string)).toMatchObject({ webhook_type: 'ITEM', webhook_code: 'ERROR' })
    })
  })
})
