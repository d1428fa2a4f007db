import { createHash, timingSafeEqual } from 'node:crypto'
import { compactVerify, decodeProtectedHeader, errors as joseErrors } from 'jose'
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
  if (token.length > MAX_HEADER_LENGTH || token.split('.').length !== 3) {
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header is not a compact JWT.')
  }

  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(token)
  } catch (error) {
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header cannot be decoded.', {
      cause: error,
    })
  }
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

  let payload: Uint8Array
  try {
    payload = (await compactVerify(token, key.key, { algorithms: ['ES256'] })).payload
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw new WebhookRejection('bad_signature', 'The webhook signature does not verify.', { cause: error })
    }
    throw new WebhookRejection('malformed_signature', 'The Plaid-Verification header is not a valid JWS.', {
      cause: error,
    })
  }

  const claims = parseClaims(payload)
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

/** The Plaid item_id named by an unverified body, used only to choose whose key endpoint to ask. */
export function peekItemId(rawBody: Buffer): string | null {
  const match = /"item_id"\s*:\s*"([A-Za-z0-9_-]{1,128})"/.exec(rawBody.toString('latin1'))
  return match?.[1] ?? null
}
