import { createHash, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto'
import fc from 'fast-check'
import { compactVerify, importJWK } from 'jose'
import { describe, expect, it } from 'vitest'
import {
  createVerificationKeyCache,
  type PlaidVerificationJwk,
} from '../../server/modules/webhooks/key-cache.ts'
import {
  es256SignatureToDer,
  peekKeyId,
  verifyEs256,
  verifyPlaidSignature,
  WebhookRejection,
} from '../../server/modules/webhooks/verifier.ts'

const KID = 'test-kid'
const NOW_MS = Date.parse('2026-12-06T12:00:00Z')
const BODY = Buffer.from(
  '{\n  "item_id": "item1",\n  "webhook_code": "DEFAULT_UPDATE",\n  "webhook_type": "AUTH"\n}',
)
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const JWK = { ...(publicKey.export({ format: 'jwk' }) as { x: string; y: string }) }

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url')
const sha256 = async (body: Buffer) => createHash('sha256').update(body).digest('hex')

/** A compact JWS signed by `key` over whatever header and claims the test wants. */
function token(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  options: { key?: KeyObject; dsaEncoding?: 'ieee-p1363' | 'der' } = {},
): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`
  const signature = sign('sha256', Buffer.from(input), {
    key: options.key ?? privateKey,
    dsaEncoding: options.dsaEncoding ?? 'ieee-p1363',
  })
  return `${input}.${b64(signature)}`
}

async function genuine(): Promise<string> {
  return token(
    { alg: 'ES256', kid: KID, typ: 'JWT' },
    { iat: Math.floor(NOW_MS / 1000) - 10, request_body_sha256: await sha256(BODY) },
  )
}

function verifyWith(signature: string, jwk: Partial<PlaidVerificationJwk> = {}) {
  return verifyPlaidSignature({
    rawBody: BODY,
    signature,
    environment: 'sandbox',
    keys: createVerificationKeyCache({ now: () => NOW_MS }),
    fetchKey: async (kid) =>
      kid === KID ? { kid, kty: 'EC', crv: 'P-256', alg: 'ES256', expired_at: null, ...JWK, ...jwk } : null,
    nowMs: NOW_MS,
  })
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  )
  if (!(error instanceof WebhookRejection)) throw new Error(`expected a rejection, got ${String(error)}`)
  return error.reason
}

/** jose's answer for the same token and key, the verifier the server used before ADR 0029. */
async function joseAccepts(signature: string): Promise<boolean> {
  const key = await importJWK({ kty: 'EC', crv: 'P-256', ...JWK }, 'ES256')
  return compactVerify(signature, key, { algorithms: ['ES256'] }).then(
    () => true,
    () => false,
  )
}

describe('ES256 webhook signatures verified with node:crypto', () => {
  it('accepts a genuine signature, as jose does', async () => {
    const signature = await genuine()
    await expect(verifyWith(signature)).resolves.toMatchObject({ keyId: KID, bodySha256: await sha256(BODY) })
    expect(await joseAccepts(signature)).toBe(true)
  })

  it('refuses what jose refuses: tampered claims, header or signature, a DER signature, another key', async () => {
    const signature = await genuine()
    const [header, claims, signed] = signature.split('.') as [string, string, string]
    const otherClaims = b64(JSON.stringify({ iat: Math.floor(NOW_MS / 1000), request_body_sha256: 'x' }))
    const otherHeader = b64(JSON.stringify({ alg: 'ES256', kid: KID }))
    const flipped = Buffer.from(signed, 'base64url')
    flipped[10] = (flipped[10] ?? 0) ^ 1
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const forged = [
      `${header}.${otherClaims}.${signed}`,
      `${otherHeader}.${claims}.${signed}`,
      `${header}.${claims}.${b64(flipped)}`,
      `${header}.${claims}.${signed.slice(0, -4)}`,
      `${header}.${claims}.`,
      `${header}..${signed}`,
      token({ alg: 'ES256', kid: KID }, { iat: 1, request_body_sha256: 'x' }, { dsaEncoding: 'der' }),
      token({ alg: 'ES256', kid: KID }, { iat: 1, request_body_sha256: 'x' }, { key: other }),
    ]
    for (const candidate of forged) {
      expect(await reasonOf(verifyWith(candidate)), candidate).toBe('bad_signature')
      expect(await joseAccepts(candidate), candidate).toBe(false)
    }
  })

  it('refuses malformed tokens and critical header extensions before asking for a key', async () => {
    const signature = await genuine()
    const [, claims, signed] = signature.split('.') as [string, string, string]
    const critical = token(
      { alg: 'ES256', kid: KID, crit: ['exp'], exp: 1 },
      { iat: Math.floor(NOW_MS / 1000), request_body_sha256: await sha256(BODY) },
    )
    expect(await joseAccepts(critical)).toBe(false)
    for (const candidate of [
      critical,
      `${signature}.extra`,
      `${b64('not json')}.${claims}.${signed}`,
      `${b64('["ES256"]')}.${claims}.${signed}`,
      `${signature.slice(0, 10)}*${signature.slice(11)}`,
      `.${claims}.${signed}`,
    ]) {
      expect(await reasonOf(verifyWith(candidate)), candidate).toBe('malformed_signature')
    }
    expect(await reasonOf(verifyWith(token({ alg: 'ES384', kid: KID }, {})))).toBe('unsupported_algorithm')
  })

  it('will not use a key Plaid served that is not a P-256 point', async () => {
    const signature = await genuine()
    const otherCurve = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' })
    expect(await reasonOf(verifyWith(signature, { crv: 'P-384' }))).toBe('key_service_unavailable')
    expect(
      await reasonOf(verifyWith(signature, { x: otherCurve.x as string, y: otherCurve.y as string })),
    ).toBe('key_service_unavailable')
    // A point that is not on the curve.
    expect(await reasonOf(verifyWith(signature, { y: JWK.x }))).toBe('key_service_unavailable')
  })
})

/** Node's own reading of a 64-byte r ‖ s, the oracle for our DER conversion. */
function nodeAcceptsP1363(input: Buffer, signature: Buffer, key: KeyObject = publicKey): boolean {
  try {
    return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)
  } catch {
    return false
  }
}

/** Signs `input` until r (or s) starts with `zeroBytes` zero bytes, which DER must drop. */
function signatureWithLeadingZeros(input: Buffer, half: 'r' | 's', zeroBytes: number): Buffer {
  const offset = half === 'r' ? 0 : 32
  for (;;) {
    const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })
    if (signature.subarray(offset, offset + zeroBytes).every((byte) => byte === 0)) return signature
  }
}

describe('ES256 with the signature converted to DER for node:crypto', () => {
  it('accepts exactly the signatures Node accepts in their JWS form', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(63),
        fc.integer({ min: 0, max: 255 }),
        (bytes, position, mask) => {
          const input = Buffer.from(bytes)
          const genuine = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })
          expect(verifyEs256(input, genuine, publicKey)).toBe(true)
          const altered = Buffer.from(genuine)
          altered[position] = (altered[position] as number) ^ mask
          expect(verifyEs256(input, altered, publicKey)).toBe(nodeAcceptsP1363(input, altered))
          expect(verifyEs256(Buffer.concat([input, Buffer.from('x')]), genuine, publicKey)).toBe(false)
        },
      ),
      { numRuns: 200 },
    )
  })

  it('agrees with Node on any 64 bytes, zeros and the curve order included', () => {
    const input = Buffer.from('header.payload')
    const order = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex')
    const edges = [
      Buffer.alloc(64),
      Buffer.alloc(64, 0xff),
      Buffer.concat([order, order]),
      Buffer.concat([Buffer.alloc(31), Buffer.from([1]), Buffer.alloc(31), Buffer.from([1])]),
    ]
    for (const signature of edges) {
      expect(verifyEs256(input, signature, publicKey)).toBe(nodeAcceptsP1363(input, signature))
    }
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.nat(32),
        fc.nat(32),
        (bytes, zr, zs) => {
          const signature = Buffer.from(bytes)
          signature.fill(0, 0, zr)
          signature.fill(0, 32, 32 + zs)
          expect(verifyEs256(input, signature, publicKey)).toBe(false)
          expect(nodeAcceptsP1363(input, signature)).toBe(false)
        },
      ),
    )
  })

  it('keeps r and s whole when they start with zero bytes or with the top bit set', () => {
    const input = Buffer.from('header.payload')
    for (const signature of [
      signatureWithLeadingZeros(input, 'r', 1),
      signatureWithLeadingZeros(input, 's', 1),
    ]) {
      expect(verifyEs256(input, signature, publicKey)).toBe(true)
    }
    // DER of the smallest and largest shapes: lengths, the sign byte, the dropped zeros.
    const small = Buffer.concat([
      Buffer.alloc(31),
      Buffer.from([0x7f]),
      Buffer.alloc(31),
      Buffer.from([0x80]),
    ])
    expect(es256SignatureToDer(small).toString('hex')).toBe('300702017f02020080')
    const large = Buffer.alloc(64, 0x80)
    expect(es256SignatureToDer(large).toString('hex')).toBe(
      `3046022100${'80'.repeat(32)}022100${'80'.repeat(32)}`,
    )
  })

  it('refuses a signature of any other length, DER included', () => {
    const input = Buffer.from('header.payload')
    const der = sign('sha256', input, privateKey)
    expect(verify('sha256', input, publicKey, der)).toBe(true)
    expect(verifyEs256(input, der, publicKey)).toBe(false)
    const genuine = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })
    expect(verifyEs256(input, genuine.subarray(0, 63), publicKey)).toBe(false)
    expect(verifyEs256(input, Buffer.concat([genuine, Buffer.alloc(1)]), publicKey)).toBe(false)
  })
})

describe('the kid of an unverified header', () => {
  it('is read from a compact JWS header, and is null for anything that names none', async () => {
    expect(peekKeyId(await genuine())).toBe(KID)
    expect(peekKeyId(` ${await genuine()} `)).toBe(KID)
    const claims = { iat: 1, request_body_sha256: 'x' }
    for (const signature of [
      undefined,
      '',
      'not-a-jws',
      `${b64('{not json')}.${b64('{}')}.${b64('sig')}`,
      token({ alg: 'ES256' }, claims),
      token({ alg: 'ES256', kid: 7 }, claims),
      token({ alg: 'ES256', kid: '' }, claims),
      token({ alg: 'ES256', kid: 'k'.repeat(129) }, claims),
      token({ alg: 'ES256', kid: KID, crit: ['exp'] }, claims),
    ]) {
      expect(peekKeyId(signature), String(signature)).toBeNull()
    }
  })

  it('never throws on any header value, and names a kid only as the JSON header carries it', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ maxLength: 600 }), { nil: undefined }), (value) => {
        const kid = peekKeyId(value)
        expect(kid === null || (kid.length > 0 && kid.length <= 128)).toBe(true)
      }),
    )
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 128 }), fc.string(), (kid, rest) => {
        const header = b64(JSON.stringify({ alg: 'ES256', kid }))
        expect(peekKeyId(`${header}.${b64(rest)}.${b64('signature')}`)).toBe(kid)
      }),
    )
  })
})
