import { importJWK, type JWK } from 'jose'
import type { PlaidEnvironment } from '../../../db/schema.ts'

/** A verification key as /webhook_verification_key/get serves it (the fields we rely on). */
export type PlaidVerificationJwk = {
  kid: string
  kty: string
  crv: string
  x: string
  y: string
  alg?: string
  expired_at: number | null
}

export type VerificationKey = {
  key: CryptoKey | Uint8Array
  /** Unix seconds after which Plaid no longer signs with, nor vouches for, this key; null = current. */
  expiredAt: number | null
}

/** Fetches one key from Plaid; resolves null when Plaid says the kid is unknown in that environment. */
export type FetchVerificationKey = (kid: string) => Promise<PlaidVerificationJwk | null>

export type KeyCacheOptions = {
  now: () => number
  /** Most keys kept in memory; the least recently used goes first. Plaid has a handful per environment. */
  maxEntries?: number
  /** A current key (expired_at null) is asked for again after this long, to learn of its expiry. */
  recheckAfterMs?: number
  /** An unknown kid is remembered this long, so forged kids cannot make us call Plaid per request. */
  unknownKidTtlMs?: number
}

type Entry =
  | { kind: 'known'; key: VerificationKey; checkedAt: number }
  | { kind: 'unknown'; checkedAt: number }

/**
 * Webhook verification keys cached per environment and kid (never one global key, which breaks at
 * Plaid's key rotation). A kid not in the cache is fetched once however many deliveries ask for it at
 * the same time; when a new kid appears, the other current keys of that environment are checked again
 * on their next use, because a new key usually means the old one was given an expiry.
 */
export function createVerificationKeyCache(options: KeyCacheOptions) {
  const maxEntries = options.maxEntries ?? 64
  const recheckAfterMs = options.recheckAfterMs ?? 24 * 60 * 60 * 1000
  const unknownKidTtlMs = options.unknownKidTtlMs ?? 60 * 1000
  const entries = new Map<string, Entry>()
  const inFlight = new Map<string, Promise<Entry>>()

  function isFresh(entry: Entry): boolean {
    const age = options.now() - entry.checkedAt
    if (entry.kind === 'unknown') return age < unknownKidTtlMs
    // A key with a known expiry cannot change any more; only current keys need rechecking.
    return entry.key.expiredAt !== null || age < recheckAfterMs
  }

  function remember(cacheKey: string, entry: Entry): void {
    entries.delete(cacheKey)
    entries.set(cacheKey, entry)
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string)
  }

  function markCurrentKeysForRecheck(environment: PlaidEnvironment, exceptKid: string): void {
    const prefix = `${environment}:`
    for (const [cacheKey, entry] of entries) {
      if (!cacheKey.startsWith(prefix) || cacheKey === `${prefix}${exceptKid}`) continue
      if (entry.kind === 'known' && entry.key.expiredAt === null) entry.checkedAt = Number.NEGATIVE_INFINITY
    }
  }

  async function load(
    environment: PlaidEnvironment,
    kid: string,
    fetchKey: FetchVerificationKey,
    wasKnown: boolean,
  ): Promise<Entry> {
    const jwk = await fetchKey(kid)
    const checkedAt = options.now()
    if (!jwk) return { kind: 'unknown', checkedAt }
    if (!wasKnown) markCurrentKeysForRecheck(environment, kid)
    return { kind: 'known', key: await toVerificationKey(jwk, kid), checkedAt }
  }

  return {
    /**
     * The key for `kid` in `environment`, or null when Plaid does not know it. Rejects when Plaid could
     * not be asked (the caller answers "try again later", it does not blame the sender).
     */
    async get(
      environment: PlaidEnvironment,
      kid: string,
      fetchKey: FetchVerificationKey,
    ): Promise<VerificationKey | null> {
      const cacheKey = `${environment}:${kid}`
      const cached = entries.get(cacheKey)
      if (cached && isFresh(cached)) {
        remember(cacheKey, cached)
        return cached.kind === 'known' ? cached.key : null
      }
      let pending = inFlight.get(cacheKey)
      if (!pending) {
        pending = load(environment, kid, fetchKey, cached?.kind === 'known').finally(() =>
          inFlight.delete(cacheKey),
        )
        inFlight.set(cacheKey, pending)
      }
      const entry = await pending
      remember(cacheKey, entry)
      return entry.kind === 'known' ? entry.key : null
    },

    get size(): number {
      return entries.size
    },
  }
}

export type VerificationKeyCache = ReturnType<typeof createVerificationKeyCache>

async function toVerificationKey(jwk: PlaidVerificationJwk, kid: string): Promise<VerificationKey> {
  if (jwk.kid !== kid || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || (jwk.alg && jwk.alg !== 'ES256')) {
    throw new Error(`Plaid served an unusable verification key for kid ${kid}`)
  }
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }
  return { key: await importJWK(publicJwk, 'ES256'), expiredAt: jwk.expired_at }
}
