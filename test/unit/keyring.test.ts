import { describe, expect, it } from 'vitest'
import { createKeyring, generateKeyEntry, KeyringError } from '../../server/security/keyring.ts'

const oldKey = generateKeyEntry('k1')
const newKey = generateKeyEntry('k2')
const binding = { purpose: 'plaid_items.access_token', rowId: 'item-row-1' }

describe('keyring', () => {
  it('round-trips a value under the active (first) key', () => {
    const keyring = createKeyring(`${newKey},${oldKey}`)
    const encrypted = keyring.encrypt('access-sandbox-1234', binding)
    expect(encrypted.keyId).toBe('k2')
    expect(encrypted.ciphertext).not.toContain('access-sandbox')
    expect(keyring.decrypt(encrypted, binding)).toBe('access-sandbox-1234')
  })

  it('uses a fresh nonce for every encryption', () => {
    const keyring = createKeyring(newKey)
    expect(keyring.encrypt('same', binding).ciphertext).not.toBe(keyring.encrypt('same', binding).ciphertext)
  })

  it('keeps values under an older key readable after rotation and flags them for re-encryption', () => {
    const before = createKeyring(oldKey).encrypt('secret-value', binding)
    const after = createKeyring(`${newKey},${oldKey}`)
    expect(after.decrypt(before, binding)).toBe('secret-value')
    expect(after.needsRotation(before)).toBe(true)
    expect(after.needsRotation(after.encrypt('secret-value', binding))).toBe(false)
  })

  const keyring = createKeyring(`${newKey},${oldKey}`)
  const valid = keyring.encrypt('access-sandbox-abcd', binding)
  const flipByte = (ciphertext: string, index: number) => {
    const bytes = Buffer.from(ciphertext, 'base64')
    bytes[index] = (bytes[index] ?? 0) ^ 0x01
    return bytes.toString('base64')
  }

  it.each([
    ['a flipped nonce byte', { ...valid, ciphertext: flipByte(valid.ciphertext, 0) }, binding],
    ['a flipped body byte', { ...valid, ciphertext: flipByte(valid.ciphertext, 13) }, binding],
    [
      'a flipped tag byte',
      {
        ...valid,
        ciphertext: flipByte(valid.ciphertext, Buffer.from(valid.ciphertext, 'base64').length - 1),
      },
      binding,
    ],
    ['a truncated ciphertext', { ...valid, ciphertext: valid.ciphertext.slice(0, 12) }, binding],
    ['the other key id (wrong key)', { ...valid, keyId: 'k1' }, binding],
    ['an unknown key id', { ...valid, keyId: 'k9' }, binding],
    ['another row binding', valid, { ...binding, rowId: 'item-row-2' }],
    ['another purpose', valid, { ...binding, purpose: 'workspace_plaid_settings.secret' }],
  ])('rejects %s', (_case, value, usedBinding) => {
    expect(() => keyring.decrypt(value, usedBinding)).toThrow(KeyringError)
  })

  it.each([
    ['unset', null, 'not set'],
    ['empty', '  ', 'not set'],
    ['missing key id', `:${Buffer.alloc(32).toString('base64')}`, 'entries must look like'],
    ['short key', `k1:${Buffer.alloc(16).toString('base64')}`, 'is not 32 bytes'],
    ['repeated key id', `${oldKey},${oldKey}`, 'repeats key id'],
    ['invalid key id characters', `k 1:${Buffer.alloc(32).toString('base64')}`, 'entries must look like'],
  ])('reports a %s keyring instead of crashing', (_case, spec, problem) => {
    const broken = createKeyring(spec)
    expect(broken.status.isConfigured).toBe(false)
    expect(broken.status.problem).toContain(problem)
    expect(() => broken.encrypt('x', binding)).toThrow(/not configured/)
  })
})
