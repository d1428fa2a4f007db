import { generateKeyEntry } from '../server/security/keyring.ts'

/**
 * Prints a new 32-byte key as `<id>:<base64>`. To rotate: put it FIRST in SAFECLOSE_ENCRYPTION_KEYS
 * (keep the old keys after it), restart, then run `npm run keys:rotate`.
 * Usage: npm run keys:generate [-- <key id>]
 */
const keyId = process.argv[2] ?? `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`
console.info(generateKeyEntry(keyId))
