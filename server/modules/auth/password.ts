import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto'

/**
 * Password hashing with scrypt from Node's crypto (OWASP's recommended parameters for scrypt:
 * N=2^17, r=8, p=1). The stored form records its parameters, so they can be raised later without
 * invalidating existing hashes.
 */
const PARAMETERS = { N: 2 ** 17, r: 8, p: 1 }
const KEY_LENGTH = 64
const SALT_BYTES = 16

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const derived = await deriveKey(password, salt, PARAMETERS)
  return [
    'scrypt',
    PARAMETERS.N,
    PARAMETERS.r,
    PARAMETERS.p,
    salt.toString('base64'),
    derived.toString('base64'),
  ].join('$')
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, expected] = stored.split('$')
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !expected) return false
  const expectedKey = Buffer.from(expected, 'base64')
  const derived = await deriveKey(password, Buffer.from(salt, 'base64'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  })
  return derived.length === expectedKey.length && timingSafeEqual(derived, expectedKey)
}

// Verifying against this when the e-mail is unknown keeps the response time the same for known and
// unknown accounts, so timing does not reveal who has an account.
let decoyHash: Promise<string> | undefined
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'))
  return decoyHash
}

function deriveKey(password: string, salt: Buffer, parameters: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const maxmem = 256 * (parameters.N ?? 0) * (parameters.r ?? 8)
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, { ...parameters, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })
}
