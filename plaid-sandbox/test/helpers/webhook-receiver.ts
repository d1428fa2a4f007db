import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose'

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders
  rawBody: Buffer
  json: Record<string, unknown>
}

/**
 * A tiny webhook endpoint on 127.0.0.1:<ephemeral>. `respondWith` lists the status codes to answer
 * with, in order (the last one repeats); `delayMs` makes it slow.
 */
export async function startWebhookReceiver(options: { respondWith?: number[]; delayMs?: number } = {}) {
  const received: ReceivedWebhook[] = []
  const statuses = [...(options.respondWith ?? [200])]
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const rawBody = Buffer.concat(chunks)
      received.push({ headers: request.headers, rawBody, json: JSON.parse(rawBody.toString('utf8')) })
      const status = statuses.length > 1 ? (statuses.shift() as number) : (statuses[0] ?? 200)
      setTimeout(() => response.writeHead(status).end(), options.delayMs ?? 0)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/plaid/webhooks`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface VerificationKey {
  alg: string
  crv: string
  kid: string
  kty: string
  use: string
  x: string
  y: string
  created_at: number
  expired_at: number | null
}

/**
 * An independent implementation of Plaid's published verification algorithm
 * (plaid.com/docs/api/webhooks/webhook-verification/), using jose:
 * ES256 only → key by kid → key not expired → signature → iat at most 5 minutes old →
 * SHA-256 of the raw body equals request_body_sha256 (constant-time compare).
 * Throws with the reason when verification fails.
 */
export async function verifyPlaidWebhook(
  webhook: { headers: IncomingHttpHeaders; rawBody: Buffer },
  fetchKey: (kid: string) => Promise<VerificationKey>,
  nowSeconds: number,
): Promise<{ kid: string; iat: number }> {
  const token = webhook.headers['plaid-verification']
  if (typeof token !== 'string') throw new Error('missing Plaid-Verification header')
  const header = decodeProtectedHeader(token)
  if (header.alg !== 'ES256') throw new Error(`unexpected alg ${header.alg}`)
  if (!header.kid) throw new Error('missing kid')
  const key = await fetchKey(header.kid)
  // Plaid's docs reject any key with expired_at set; the sandbox publishes a future expired_at during a
  // rotation's grace period, so only a past expiry counts here.
  if (key.expired_at !== null && key.expired_at <= nowSeconds) throw new Error('verification key expired')
  const { payload } = await jwtVerify(token, await importJWK({ ...key }, 'ES256'), {
    algorithms: ['ES256'],
    maxTokenAge: '5 min',
    currentDate: new Date(nowSeconds * 1000),
  })
  const expected = Buffer.from(String(payload.request_body_sha256), 'utf8')
  const actual = Buffer.from(createHash('sha256').update(webhook.rawBody).digest('hex'), 'utf8')
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    throw new Error('body hash mismatch')
  return { kid: header.kid, iat: payload.iat as number }
}
