import { createPublicKey, type KeyObject } from 'node:crypto'
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
  /** A P-256 public key, for node:crypto's ES256 verification (verifier.ts). */
  key: KeyObject
  /** Unix seconds after which Plaid no longer signs with, nor vouches for, this key; null = current. */
  expiredAt: number | null
}

/** Fetches one key from Plaid; resolves null when Plaid says the kid is unknown in that environment. */
export type FetchVerificationKey = (kid: string) => Promise<PlaidVerificationJwk | null>

export type KeyCacheOptions = {
  now: () => number
  /**
   * Most keys kept on probation (fetched but not yet seen verifying a genuine webhook, and kids Plaid
   * said it does not know); the least recently used goes first. Verified keys are not counted here.
   */
  maxEntries?: number
  /** Most keys kept that have verified a genuine webhook; only other verified keys can evict them. */
  maxVerifiedEntries?: number
  /** A current key (expired_at null) is asked for again after this long, to learn of its expiry. */
  recheckAfterMs?: number
  /** An unknown kid is remembered this long, so forged kids cannot make us call Plaid per request. */
  unknownKidTtlMs?: number
}

/**
 * Asked once before each outbound key fetch (never for a cached answer, nor for a caller that joins a
 * fetch already under way); false means the fetch may not happen now.
 */
export type KeyFetchPermit = () => boolean

/** No key is cached for the kid and the fetch budget refused asking Plaid for it now. */
export class KeyFetchRefused extends Error {
  override name = 'KeyFetchRefused'
}

type KnownEntry = { kind: 'known'; key: VerificationKey; checkedAt: number }
type Entry = KnownEntry | { kind: 'unknown'; checkedAt: number }

/**
 * Webhook verification keys cached per environment and kid (never one global key, which breaks at
 * Plaid's key rotation). A kid not in the cache is fetched once however many deliveries ask for it at
 * the same time; when a new kid first verifies a genuine webhook, the other current keys of that
 * environment are checked again on their next use, because a new key usually means the old one was
 * given an expiry.
 *
 * Two tiers: a fetched key starts on probation, next to the kids Plaid said it does not know, in a
 * bounded LRU that forged kids can churn. Once it has verified a genuine webhook (`markVerified`) it
 * moves to the verified tier, which nothing a forger can send evicts: a burst of new kids never turns
 * Plaid's real key back into a fetch.
 */
export function createVerificationKeyCache(options: KeyCacheOptions) {
  const maxEntries = options.maxEntries ?? 64
  const maxVerifiedEntries = options.maxVerifiedEntries ?? 16
  const recheckAfterMs = options.recheckAfterMs ?? 24 * 60 * 60 * 1000
  const unknownKidTtlMs = options.unknownKidTtlMs ?? 60 * 1000
  const probation = new Map<string, Entry>()
  const verified = new Map<string, KnownEntry>()
  const inFlight = new Map<string, Promise<Entry>>()

  function isFresh(entry: Entry): boolean {
    const age = options.now() - entry.checkedAt
    if (entry.kind === 'unknown') return age < unknownKidTtlMs
    // A key with a known expiry cannot change any more; only current keys need rechecking.
    return entry.key.expiredAt !== null || age < recheckAfterMs
  }

  function touch<T>(map: Map<string, T>, cacheKey: string, entry: T, bound: number): void {
    map.delete(cacheKey)
    map.set(cacheKey, entry)
    while (map.size > bound) map.delete(map.keys().next().value as string)
  }

  /** Stores a fetch's answer in the tier it belongs to. */
  function remember(cacheKey: string, entry: Entry): void {
    if (verified.has(cacheKey)) {
      // Plaid no longer knowing a key it served is its word against ours: the key goes.
      if (entry.kind === 'known') {
        touch(verified, cacheKey, entry, maxVerifiedEntries)
        return
      }
      verified.delete(cacheKey)
    }
    touch(probation, cacheKey, entry, maxEntries)
  }

  function markCurrentKeysForRecheck(environment: PlaidEnvironment, exceptKid: string): void {
    const prefix = `${environment}:`
    for (const map of [verified, probation] as Array<Map<string, Entry>>) {
      for (const [cacheKey, entry] of map) {
        if (!cacheKey.startsWith(prefix) || cacheKey === `${prefix}${exceptKid}`) continue
        if (entry.kind === 'known' && entry.key.expiredAt === null) entry.checkedAt = Number.NEGATIVE_INFINITY
      }
    }
  }

  async function load(kid: string, fetchKey: FetchVerificationKey): Promise<Entry> {
    const jwk = await fetchKey(kid)
    const checkedAt = options.now()
    if (!jwk) return { kind: 'unknown', checkedAt }
    return { kind: 'known', key: toVerificationKey(jwk, kid), checkedAt }
  }

  return {
    /**
     * The key for `kid` in `environment`, or null when Plaid does not know it. Rejects when Plaid could
     * not be asked (the caller answers "try again later", it does not blame the sender), and with
     * `KeyFetchRefused` when a fetch is needed but `mayFetch` refuses it. A key that is only due for
     * its re-check is still used when the fetch is refused.
     */
    async get(
      environment: PlaidEnvironment,
      kid: string,
      fetchKey: FetchVerificationKey,
      mayFetch: KeyFetchPermit = () => true,
    ): Promise<VerificationKey | null> {
      const cacheKey = `${environment}:${kid}`
      const trusted = verified.get(cacheKey)
      const cached: Entry | undefined = trusted ?? probation.get(cacheKey)
      if (cached && isFresh(cached)) {
        if (trusted) touch(verified, cacheKey, trusted, maxVerifiedEntries)
        else touch(probation, cacheKey, cached, maxEntries)
        return cached.kind === 'known' ? cached.key : null
      }
      let pending = inFlight.get(cacheKey)
      if (!pending) {
        if (!mayFetch()) {
          if (cached?.kind === 'known') return cached.key
          throw new KeyFetchRefused(`no budget left to fetch verification key ${kid}`)
        }
        pending = load(kid, fetchKey).finally(() => inFlight.delete(cacheKey))
        inFlight.set(cacheKey, pending)
      }
      const entry = await pending
      remember(cacheKey, entry)
      return entry.kind === 'known' ? entry.key : null
    },

    /**
     * Records that `kid` verified a genuine webhook (signature, age and body hash all held): its key
     * leaves probation for the tier forged kids cannot evict.
     */
    /**
     * The one environment whose verified keys hold `kid`, current and not due for a re-check; null
     * when none or several do. Such a key has verified a genuine webhook, so it can verify the next
     * one before anything is looked up (ADR 0030).
     */
    soleVerifiedEnvironment(kid: string): PlaidEnvironment | null {
      let found: PlaidEnvironment | null = null
      for (const [cacheKey, entry] of verified) {
        const separator = cacheKey.indexOf(':')
        if (cacheKey.slice(separator + 1) !== kid || !isFresh(entry)) continue
        if (found) return null
        found = cacheKey.slice(0, separator) as PlaidEnvironment
      }
      return found
    },

    markVerified(environment: PlaidEnvironment, kid: string): void {
      const cacheKey = `${environment}:${kid}`
      const entry = verified.get(cacheKey) ?? probation.get(cacheKey)
      if (entry?.kind !== 'known') return
      // A new key in use usually means the others were given an expiry (Plaid's recipe). Only a key
      // that verified a genuine webhook counts as in use: a forger naming some real kid cannot make
      // us re-fetch our keys.
      if (!verified.has(cacheKey)) markCurrentKeysForRecheck(environment, kid)
      probation.delete(cacheKey)
      touch(verified, cacheKey, entry, maxVerifiedEntries)
    },

    get size(): number {
      return probation.size + verified.size
    },

    /** How many keys are in the verified tier (for tests and diagnostics). */
    get verifiedSize(): number {
      return verified.size
    },
  }
}

export type VerificationKeyCache = ReturnType<typeof createVerificationKeyCache>

function toVerificationKey(jwk: PlaidVerificationJwk, kid: string): VerificationKey {
  if (jwk.kid !== kid || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || (jwk.alg && jwk.alg !== 'ES256')) {
    throw new Error(`Plaid served an unusable verification key for kid ${kid}`)
  }
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new Error(`Plaid served an unusable verification key for kid ${kid}`)
  }
  // createPublicKey checks that the point lies on P-256, as jose's importJWK did.
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' })
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`Plaid served an unusable verification key for kid ${kid}`)
  }
  return { key, expiredAt: jwk.expired_at }
}
