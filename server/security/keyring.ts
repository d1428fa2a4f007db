import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

/**
 * Encryption of secrets at rest (Plaid access tokens, workspace Plaid secrets).
 *
 * AES-256-GCM with a random 96-bit nonce per value. The key id travels with the ciphertext so old
 * values stay readable after a rotation, and the additional authenticated data binds a ciphertext to
 * its purpose and row: copying an encrypted access token into another user's row makes it undecryptable.
 */

const KEY_BYTES = 32
const NONCE_BYTES = 12
const TAG_BYTES = 16
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/

/** Where a ciphertext belongs. Both parts are authenticated, never stored inside the ciphertext. */
export type CiphertextBinding = { purpose: string; rowId: string }

export type EncryptedValue = { keyId: string; ciphertext: string }

export type KeyringStatus =
  | { isConfigured: true; activeKeyId: string; keyIds: string[]; problem: null }
  | { isConfigured: false; activeKeyId: null; keyIds: []; problem: string }

export class KeyringError extends Error {
  override name = 'KeyringError'
}

export type Keyring = {
  readonly status: KeyringStatus
  encrypt(plaintext: string, binding: CiphertextBinding): EncryptedValue
  decrypt(value: EncryptedValue, binding: CiphertextBinding): string
  /** True when the value is not under the active key and should be re-encrypted by a rotation. */
  needsRotation(value: EncryptedValue): boolean
  /** The value re-encrypted under the active key, or null when it already is (rotation). */
  reencrypt(value: EncryptedValue, binding: CiphertextBinding): EncryptedValue | null
}

/**
 * Parses `k2:<base64>,k1:<base64>` (first = active). A missing or malformed keyring does not throw:
 * it yields a keyring whose status explains the problem, so the server still boots and the features
 * that need encryption report that the key is not configured.
 */
export function createKeyring(spec: string | null): Keyring {
  if (spec === null || spec.trim() === '') {
    return unavailableKeyring('SAFECLOSE_ENCRYPTION_KEYS is not set')
  }
  const keys = new Map<string, Buffer>()
  for (const entry of spec.split(',').map((part) => part.trim())) {
    const separator = entry.indexOf(':')
    const keyId = entry.slice(0, separator)
    const key = Buffer.from(entry.slice(separator + 1), 'base64')
    if (separator < 1 || !KEY_ID_PATTERN.test(keyId)) {
      return unavailableKeyring('SAFECLOSE_ENCRYPTION_KEYS entries must look like "<key id>:<base64 key>"')
    }
    if (key.length !== KEY_BYTES) {
      return unavailableKeyring(
        `SAFECLOSE_ENCRYPTION_KEYS key "${keyId}" is not ${KEY_BYTES} bytes of base64`,
      )
    }
    if (keys.has(keyId)) return unavailableKeyring(`SAFECLOSE_ENCRYPTION_KEYS repeats key id "${keyId}"`)
    keys.set(keyId, key)
  }
  const activeKeyId = [...keys.keys()][0] as string
  const activeKey = keys.get(activeKeyId) as Buffer

  const keyring: Keyring = {
    status: { isConfigured: true, activeKeyId, keyIds: [...keys.keys()], problem: null },
    encrypt(plaintext, binding) {
      const nonce = randomBytes(NONCE_BYTES)
      const cipher = createCipheriv('aes-256-gcm', activeKey, nonce)
      cipher.setAAD(additionalData(activeKeyId, binding))
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
      return {
        keyId: activeKeyId,
        ciphertext: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64'),
      }
    },
    decrypt(value, binding) {
      const key = keys.get(value.keyId)
      if (!key) throw new KeyringError(`No key with id "${value.keyId}" in the keyring`)
      const packed = Buffer.from(value.ciphertext, 'base64')
      if (packed.length < NONCE_BYTES + TAG_BYTES) throw new KeyringError('Ciphertext is truncated')
      const decipher = createDecipheriv('aes-256-gcm', key, packed.subarray(0, NONCE_BYTES))
      decipher.setAAD(additionalData(value.keyId, binding))
      decipher.setAuthTag(packed.subarray(packed.length - TAG_BYTES))
      try {
        return Buffer.concat([
          decipher.update(packed.subarray(NONCE_BYTES, packed.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8')
      } catch {
        // GCM does not say why; any of tampering, wrong key or wrong binding lands here.
        throw new KeyringError('Ciphertext failed authentication (tampered, wrong key or wrong row)')
      }
    },
    needsRotation(value) {
      return value.keyId !== activeKeyId
    },
    reencrypt(value, binding) {
      return keyring.needsRotation(value) ? keyring.encrypt(keyring.decrypt(value, binding), binding) : null
    },
  }
  return keyring
}

/**
 * One kind of stored secret through `npm run keys:rotate`: each value still under an older key is
 * re-encrypted under the active one and handed to `save`. Returns how many changed; re-running after
 * an interruption only finishes the rest.
 */
export async function rotateStoredValues(
  keyring: Keyring,
  purpose: string,
  stored: Array<{ rowId: string; value: EncryptedValue }>,
  save: (rowId: string, encrypted: EncryptedValue) => Promise<void>,
): Promise<number> {
  let rotated = 0
  for (const { rowId, value } of stored) {
    const encrypted = keyring.reencrypt(value, { purpose, rowId })
    if (!encrypted) continue
    await save(rowId, encrypted)
    rotated += 1
  }
  return rotated
}

/** A fresh random key, in the keyring's `<id>:<base64>` form. */
export function generateKeyEntry(keyId: string): string {
  if (!KEY_ID_PATTERN.test(keyId)) throw new KeyringError(`Invalid key id "${keyId}"`)
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`
}

function additionalData(keyId: string, binding: CiphertextBinding): Buffer {
  // JSON-encoded as an array so that ("a:b", "c") and ("a", "b:c") cannot produce the same bytes.
  return Buffer.from(JSON.stringify(['safeclose/v1', keyId, binding.purpose, binding.rowId]), 'utf8')
}

function unavailableKeyring(problem: string): Keyring {
  const refuse = (): never => {
    throw new KeyringError(`Encryption key is not configured: ${problem}`)
  }
  return {
    status: { isConfigured: false, activeKeyId: null, keyIds: [], problem },
    encrypt: refuse,
    decrypt: refuse,
    needsRotation: () => false,
    reencrypt: refuse,
  }
}
