import { createServer, type Server } from 'node:http'
import type { CountryCode, PlaidApi, Products } from 'plaid'
import { type StartedPlaidSandbox, startPlaidSandbox } from '../../plaid-sandbox/src/main.ts'
import { emulatorClient } from '../helpers/plaid.ts'

/** A signed delivery exactly as the sandbox sent it: the bytes and the Plaid-Verification header. */
export type CapturedDelivery = { body: Buffer; signature: string }

/** Records what the sandbox POSTs to it, so tests can replay real signatures with changes. */
export async function startCaptureServer(): Promise<{
  url: string
  deliveries: CapturedDelivery[]
  next(): Promise<CapturedDelivery>
  close(): Promise<void>
}> {
  const deliveries: CapturedDelivery[] = []
  let waiters: Array<(delivery: CapturedDelivery) => void> = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const delivery = {
        body: Buffer.concat(chunks),
        signature: String(request.headers['plaid-verification'] ?? ''),
      }
      deliveries.push(delivery)
      const pending = waiters
      waiters = []
      for (const resolve of pending) resolve(delivery)
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/**
 * The offline sandbox on a free port with a clock the test can skew (to sign "old" or "future"
 * webhooks with real keys), quick retries, and the official SDK pointed at it.
 */
export async function startSkewableSandbox(): Promise<
  StartedPlaidSandbox & {
    plaid: PlaidApi
    setSkewMs(ms: number): void
    createItem(webhook: string): Promise<string>
  }
> {
  let skewMs = 0
  const started = await startPlaidSandbox({
    port: 0,
    now: () => Date.now() + skewMs,
    webhookRetrySchedule: [50, 100],
    webhookTimeoutMs: 5_000,
  })
  const plaid = emulatorClient(started.url)
  return {
    ...started,
    plaid,
    setSkewMs(ms) {
      skewMs = ms
    },
    /** Links an Item directly at the sandbox (unknown to Safeclose) and returns its access token. */
    async createItem(webhook) {
      const created = await plaid.sandboxPublicTokenCreate({
        institution_id: 'ins_109508',
        initial_products: ['auth' as Products],
        options: { webhook },
      })
      const exchanged = await plaid.itemPublicTokenExchange({ public_token: created.data.public_token })
      return exchanged.data.access_token
    },
  }
}

export const US = 'US' as CountryCode

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * A stand-in for Plaid's key endpoint plus a signer, built from the sandbox's own key ring and signing
 * code (the same bytes and JWS the sandbox sends). Used where a test needs thousands of pre-signed
 * deliveries without driving the sandbox's API for each.
 */
export async function startSigningKeyServer(): Promise<{
  url: string
  sign(payload: Record<string, unknown>): Promise<{ body: string; signature: string }>
  close(): Promise<void>
}> {
  const { StateStore } = await import('../../plaid-sandbox/src/core/store.ts')
  const { SandboxClock } = await import('../../plaid-sandbox/src/core/clock.ts')
  const { SigningKeyRing } = await import('../../plaid-sandbox/src/webhooks/signing-keys.ts')
  const { serializeWebhookBody, signWebhookBody } = await import(
    '../../plaid-sandbox/src/webhooks/signing.ts'
  )
  const clock = new SandboxClock()
  const keys = new SigningKeyRing(new StateStore(), clock)
  const current = keys.current()
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const kid = (JSON.parse(Buffer.concat(chunks).toString() || '{}') as { key_id?: string }).key_id
      if (request.url === '/webhook_verification_key/get' && kid === current.kid) {
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ key: keys.publicJwk(kid), request_id: 'systemtest00001' }))
        return
      }
      response.writeHead(400, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({ error_type: 'INVALID_INPUT', error_code: 'INVALID_WEBHOOK_VERIFICATION_KEY_ID' }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    async sign(payload) {
      const body = serializeWebhookBody({ environment: 'sandbox', ...payload })
      return { body, signature: await signWebhookBody(body, current, clock.nowSeconds()) }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
