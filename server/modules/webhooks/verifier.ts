import { createHash, type KeyObject, timingSafeEqual, verify } from 'node:crypto'
import type { PlaidEnvironment } from '../../../db/schema.ts'
import {
  type FetchVerificationKey,
  type KeyFetchPermit,
  KeyFetchRefused,
  type VerificationKeyCache,
} from './key-cache.ts'

/** Plaid's replay window: a signature older than this is refused. */
export const MAX_SIGNATURE_AGE_SECONDS = 5 * 60
/** How far ahead of our clock Plaid's may run before a signature counts as issued in the future. */
export const MAX_CLOCK_SKEW_SECONDS = 30
const MAX_HEADER_LENGTH = 4096
const MAX_KID_LENGTH = 128

/** Why a delivery was refused. Stable strings: they are counted, shown to admins and returned to callers. */
export const REJECTION_REASONS = {
  missing_signature: 401,
  malformed_signature: 400,
  unsupported_algorithm: 401,
  unknown_key: 401,
  expired_key: 401,
  bad_signature: 401,
  invalid_claims: 401,
  stale_signature: 401,
  future_signature: 401,
  body_hash_mismatch: 401,
  malformed_body: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  /** Plaid's key endpoint could not be asked (or we lack credentials): not the sender's fault. */
  key_service_unavailable: 503,
  /**
   * The kid is not cached and this minute's budget of key fetches is spent (a burst of unknown kids,
   * usually forged). Also "try again later": Plaid retries, and a genuine retry finds budget again.
   */
  key_fetch_budget_exhausted: 503,
} as const

export type RejectionReason = keyof typeof REJECTION_REASONS

export class WebhookRejection extends Error {
  override name = 'WebhookRejection'
  readonly reason: RejectionReason

  constructor(reason: RejectionReason, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.reason = reason
  }
}

export type VerifiedSignature = { keyId: string; issuedAt: Date; bodySha256: string }

/**
 * Verifies a Plaid-Verification header against the exact bytes received, in Plaid's order: the
 * (unverified) JWT header must say ES256 and name a kid; the kid's key comes from Plaid; the ES256
 * signature must hold; `iat` must be recent; the body's SHA-256 must equal the signed one (compared in
 * constant time). Nothing about the body is trusted before this returns.
 */
export async function verifyPlaidSignature(input: {
  rawBody: Buffer
  signature: string | undefined
  environment: PlaidEnvironment
  keys: VerificationKeyCache
  fetchKey: FetchVerificationKey
  /** Asked before an outbound key fetch; false refuses it (see key-fetch-budget.ts). */
  mayFetchKey?: KeyFetchPermit
  nowMs: number
}): Promise<VerifiedSignature> {
  const token = input.signature?.trim()
  if (!token) throw new WebhookRejection('missing_signature', 'The Plaid-Verification header is missing.')
  if (token.length > MAX_HEADER_LENGTH || !COMPACT_JWS.test(token)) {
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header is not a compact JWT.')
  }
  const headerEnd = token.indexOf('.')
  const payloadEnd = token.lastIndexOf('.')

  const header = decodeHeader(token.slice(0, headerEnd))
  if (header.alg !== 'ES256') {
    throw new WebhookRejection('unsupported_algorithm', 'Only ES256-signed webhooks are accepted.')
  }
  const kid = header.kid
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header names no key id.')
  }

  let key: Awaited<ReturnType<VerificationKeyCache['get']>>
  try {
    key = await input.keys.get(input.environment, kid, input.fetchKey, input.mayFetchKey)
  } catch (error) {
    if (error instanceof KeyFetchRefused) {
      throw new WebhookRejection(
        'key_fetch_budget_exhausted',
        'Too many unknown verification keys were asked for; try again later.',
        { cause: error },
      )
    }
    throw new WebhookRejection(
      'key_service_unavailable',
      'The verification key could not be fetched from Plaid; try again later.',
      { cause: error },
    )
  }
  if (!key) throw new WebhookRejection('unknown_key', 'Plaid does not know the key this webhook names.')
  const nowSeconds = Math.floor(input.nowMs / 1000)
  if (key.expiredAt !== null && key.expiredAt <= nowSeconds) {
    throw new WebhookRejection('expired_key', 'The key that signed this webhook has expired.')
  }

  const signature = Buffer.from(token.slice(payloadEnd + 1), 'base64url')
  const signingInput = Buffer.from(token.slice(0, payloadEnd), 'latin1')
  let holds: boolean
  try {
    holds = verifyEs256(signingInput, signature, key.key)
  } catch (error) {
    throw new WebhookRejection('bad_signature', 'The webhook signature does not verify.', { cause: error })
  }
  if (!holds) throw new WebhookRejection('bad_signature', 'The webhook signature does not verify.')

  const claims = parseClaims(Buffer.from(token.slice(headerEnd + 1, payloadEnd), 'base64url'))
  if (nowSeconds - claims.iat > MAX_SIGNATURE_AGE_SECONDS) {
    throw new WebhookRejection('stale_signature', 'The webhook was signed more than 5 minutes ago.')
  }
  if (claims.iat - nowSeconds > MAX_CLOCK_SKEW_SECONDS) {
    throw new WebhookRejection('future_signature', 'The webhook signature is dated in the future.')
  }

  const bodySha256 = createHash('sha256').update(input.rawBody).digest('hex')
  const signed = Buffer.from(claims.requestBodySha256, 'utf8')
  const actual = Buffer.from(bodySha256, 'utf8')
  if (signed.length !== actual.length || !timingSafeEqual(signed, actual)) {
    throw new WebhookRejection('body_hash_mismatch', 'The body is not the one Plaid signed.')
  }
  // Everything held: the key has signed a genuine webhook, so forged kids may no longer evict it.
  input.keys.markVerified(input.environment, kid)
  return { keyId: kid, issuedAt: new Date(claims.iat * 1000), bodySha256 }
}

const ES256_SIGNATURE_BYTES = 64

/**
 * ES256 (RFC 7515/7518): ECDSA P-256 with SHA-256 over the ASCII "header.payload", the JWS signature
 * being r and s, 32 bytes each. node:crypto directly, about twice as fast as WebCrypto through jose
 * (ADR 0029), and handed the bare key object and a DER signature: the same check through an options
 * object with `dsaEncoding: 'ieee-p1363'` costs Node about 40% more (ADR 0031). Anything but 64 bytes
 * is refused, so a DER signature in the token does not verify.
 */
export function verifyEs256(signingInput: Buffer, signature: Buffer, key: KeyObject): boolean {
  if (signature.length !== ES256_SIGNATURE_BYTES) return false
  return verify('sha256', signingInput, key, es256SignatureToDer(signature))
}

/**
 * A 64-byte r ‖ s as DER's ECDSA-Sig-Value, SEQUENCE { INTEGER r, INTEGER s }: each integer without
 * its leading zero bytes (one kept for zero), and a zero byte in front when its top bit is set, so it
 * reads as positive. At most 2 + 2 × 35 bytes, so every length fits in one byte.
 */
export function es256SignatureToDer(signature: Buffer): Buffer {
  const half = ES256_SIGNATURE_BYTES / 2
  const r = derIntegerShape(signature, 0, half)
  const s = derIntegerShape(signature, half, ES256_SIGNATURE_BYTES)
  const der = Buffer.allocUnsafe(6 + r.length + s.length)
  der[0] = 0x30
  der[1] = 4 + r.length + s.length
  const afterR = writeDerInteger(der, 2, signature, r)
  writeDerInteger(der, afterR, signature, s)
  return der
}

type DerIntegerShape = { start: number; end: number; padded: boolean; length: number }

function derIntegerShape(bytes: Buffer, start: number, end: number): DerIntegerShape {
  let first = start
  while (first < end - 1 && bytes[first] === 0) first += 1
  const padded = ((bytes[first] as number) & 0x80) !== 0
  return { start: first, end, padded, length: end - first + (padded ? 1 : 0) }
}

function writeDerInteger(der: Buffer, at: number, bytes: Buffer, shape: DerIntegerShape): number {
  der[at] = 0x02
  der[at + 1] = shape.length
  let offset = at + 2
  if (shape.padded) {
    der[offset] = 0
    offset += 1
  }
  return offset + bytes.copy(der, offset, shape.start, shape.end)
}

/** Three base64url parts; the characters checked here, since Node's decoder skips what it cannot read. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/

/**
 * The protected header: a JSON object. A `crit` header names extensions we would have to understand
 * (RFC 7515 §4.1.11); Plaid uses none, so any is refused (this also refuses unencoded payloads, RFC
 * 7797, which need `crit`).
 */
function decodeHeader(part: string): { alg?: unknown; kid?: unknown } {
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(part, 'base64url')))
  } catch (error) {
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header cannot be decoded.', {
      cause: error,
    })
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header cannot be decoded.')
  }
  if ('crit' in header) {
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header is not a valid JWS.')
  }
  return header as { alg?: unknown; kid?: unknown }
}

function parseClaims(payload: Uint8Array): { iat: number; requestBodySha256: string } {
  let claims: unknown
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload))
  } catch (error) {
    throw new WebhookRejection('invalid_claims', 'The signed claims are not JSON.', { cause: error })
  }
  const { iat, request_body_sha256: hash } = (claims ?? {}) as Record<string, unknown>
  if (typeof iat !== 'number' || !Number.isInteger(iat) || typeof hash !== 'string') {
    throw new WebhookRejection('invalid_claims', 'The signed claims lack iat or request_body_sha256.')
  }
  return { iat, requestBodySha256: hash }
}

/**
 * The kid named by an unverified Plaid-Verification header, used only to choose which cached key to
 * verify it with; null when the header has none (verification then says why).
 */
export function peekKeyId(signature: string | undefined): string | null {
  const token = signature?.trim()
  if (!token || token.length > MAX_HEADER_LENGTH || !COMPACT_JWS.test(token)) return null
  try {
    const { kid } = decodeHeader(token.slice(0, token.indexOf('.')))
    return typeof kid === 'string' && kid.length > 0 && kid.length <= MAX_KID_LENGTH ? kid : null
  } catch {
    return null
  }
}

/** The Plaid item_id named by an unverified body, used only to choose whose key endpoint to ask. */
export function peekItemId(rawBody: Buffer): string | null {
  const match = /"item_id"\s*:\s*"([A-Za-z0-9_-]{1,128})"/.exec(rawBody.toString('latin1'))
  return match?.[1] ?? null
}
