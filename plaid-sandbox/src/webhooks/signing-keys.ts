import { createPrivateKey, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto'
import type { SandboxClock } from '../core/clock.ts'
import type { SigningKeyRecord } from '../core/state.ts'
import type { StateStore } from '../core/store.ts'
import { plaidError } from '../errors.ts'

/** How long a rotated-out key keeps verifying webhooks it signed before it expires. */
export const DEFAULT_KEY_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000

/**
 * The ES256 (P-256) keys webhooks are signed with. Exactly one key is current (expired_at null).
 * Rotation makes a new current key and gives the old one an expired_at in the future, so webhooks it
 * signed keep verifying during the grace period.
 */
export class SigningKeyRing {
  readonly #store: StateStore
  readonly #clock: SandboxClock
  readonly #privateKeys = new Map<string, KeyObject>()

  constructor(store: StateStore, clock: SandboxClock) {
    this.#store = store
    this.#clock = clock
  }

  /** The key that signs new webhooks, created on first use. */
  current(): { kid: string; privateKey: KeyObject } {
    const record = this.#keys().find((key) => key.expiredAt === null) ?? this.#addKey()
    return { kid: record.kid, privateKey: this.#privateKey(record) }
  }

  rotate(graceMs: number = DEFAULT_KEY_ROTATION_GRACE_MS): string {
    const expiredAtSeconds = Math.floor((this.#clock.now() + graceMs) / 1000)
    for (const key of this.#keys()) if (key.expiredAt === null) key.expiredAt = expiredAtSeconds
    return this.#addKey().kid
  }

  /** The public JWK as /webhook_verification_key/get serves it. */
  publicJwk(kid: string): Record<string, unknown> {
    const record = this.#keys().find((key) => key.kid === kid)
    if (!record) throw plaidError('INVALID_WEBHOOK_VERIFICATION_KEY_ID')
    return {
      alg: 'ES256',
      created_at: record.createdAt,
      crv: record.publicJwk.crv,
      expired_at: record.expiredAt,
      kid: record.kid,
      kty: record.publicJwk.kty,
      use: 'sig',
      x: record.publicJwk.x,
      y: record.publicJwk.y,
    }
  }

  list(): Record<string, unknown>[] {
    return this.#keys().map((key) => this.publicJwk(key.kid))
  }

  forgetCachedKeys(): void {
    this.#privateKeys.clear()
  }

  #keys(): SigningKeyRecord[] {
    return this.#store.state.signingKeys
  }

  #addKey(): SigningKeyRecord {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const jwk = privateKey.export({ format: 'jwk' }) as {
      kty: string
      crv: string
      x: string
      y: string
      d: string
    }
    const record: SigningKeyRecord = {
      kid: randomUUID(),
      createdAt: this.#clock.nowSeconds(),
      expiredAt: null,
      publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
      privateJwk: jwk,
    }
    this.#keys().push(record)
    this.#privateKeys.set(record.kid, privateKey)
    this.#store.changed()
    return record
  }

  #privateKey(record: SigningKeyRecord): KeyObject {
    let key = this.#privateKeys.get(record.kid)
    if (!key) {
      key = createPrivateKey({ key: record.privateJwk, format: 'jwk' })
      this.#privateKeys.set(record.kid, key)
    }
    return key
  }
}
