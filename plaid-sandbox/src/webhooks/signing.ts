import { createHash, type KeyObject } from 'node:crypto'
import { CompactSign } from 'jose'

/**
 * Plaid's webhook wire format: the body is the payload with keys sorted at every level, indented by
 * two spaces, without a trailing newline; the Plaid-Verification header is an ES256 JWS over
 * `{"iat":…,"request_body_sha256":…}` whose header names the key (`kid`). Verifiers hash the exact
 * bytes, so this serialization must not change.
 */
export function serializeWebhookBody(payload: unknown): string {
  return JSON.stringify(sortKeysDeep(payload), null, 2)
}

function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeysDeep((value as Record<string, unknown>)[key])]),
    )
  }
  return value
}

export async function signWebhookBody(
  body: string,
  key: { kid: string; privateKey: KeyObject },
  issuedAtSeconds: number,
): Promise<string> {
  const claims = {
    iat: issuedAtSeconds,
    request_body_sha256: createHash('sha256').update(body, 'utf8').digest('hex'),
  }
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey)
}
