import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createVerificationKeyCache,
  KeyFetchRefused,
  type PlaidVerificationJwk,
} from '../../server/modules/webhooks/key-cache.ts'
import { createKeyFetchBudget } from '../../server/modules/webhooks/key-fetch-budget.ts'

function jwkFor(kid: string, expiredAt: number | null = null): PlaidVerificationJwk {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string }
  return { kid, kty: 'EC', crv: 'P-256', alg: 'ES256', x: jwk.x, y: jwk.y, expired_at: expiredAt }
}

/** The per-kid cache on its own, with an injected clock: what the HTTP matrix cannot reach cheaply. */
describe('webhook verification key cache', () => {
  function setup(options: { maxEntries?: number } = {}) {
    let now = 1_000_000
    const published = new Map<string, PlaidVerificationJwk>()
    const fetches: string[] = []
    const cache = createVerificationKeyCache({ now: () => now, ...options })
    const fetchKey = async (kid: string) => {
      fetches.push(kid)
      return published.get(kid) ?? null
    }
    return { cache, published, fetches, fetchKey, advance: (ms: number) => (now += ms) }
  }

  it('keeps keys per environment and kid, and evicts the least recently used beyond its bound', async () => {
    const { cache, published, fetches, fetchKey } = setup({ maxEntries: 2 })
    for (const kid of ['a', 'b', 'c']) published.set(kid, jwkFor(kid))
    await cache.get('sandbox', 'a', fetchKey)
    await cache.get('sandbox', 'b', fetchKey)
    await cache.get('sandbox', 'a', fetchKey) // a is now the most recently used
    await cache.get('sandbox', 'c', fetchKey) // evicts b
    await cache.get('production', 'a', fetchKey) // another environment is another key; evicts a (sandbox)
    expect(cache.size).toBe(2)
    await cache.get('sandbox', 'c', fetchKey)
    await cache.get('sandbox', 'b', fetchKey)
    // a · b · c (evicts b) · production a · b again
    expect(fetches).toEqual(['a', 'b', 'c', 'a', 'b'])
  })

  it('remembers an unknown kid for a minute, then asks again', async () => {
    const { cache, fetches, fetchKey, advance, published } = setup()
    expect(await cache.get('sandbox', 'forged', fetchKey)).toBeNull()
    expect(await cache.get('sandbox', 'forged', fetchKey)).toBeNull()
    expect(fetches).toEqual(['forged'])
    published.set('forged', jwkFor('forged'))
    advance(60_001)
    expect(await cache.get('sandbox', 'forged', fetchKey)).not.toBeNull()
    expect(fetches).toEqual(['forged', 'forged'])
  })

  it('does not cache a failed fetch, and shares one fetch among concurrent callers', async () => {
    const { cache, published } = setup()
    published.set('k', jwkFor('k'))
    let calls = 0
    const failing = async () => {
      calls += 1
      throw new Error('Plaid unreachable')
    }
    await expect(cache.get('sandbox', 'k', failing)).rejects.toThrow('Plaid unreachable')
    const slow = async (kid: string) => {
      calls += 1
      await new Promise((resolve) => setTimeout(resolve, 20))
      return published.get(kid) ?? null
    }
    const keys = await Promise.all([1, 2, 3, 4].map(() => cache.get('sandbox', 'k', slow)))
    expect(keys.every((key) => key === keys[0] && key !== null)).toBe(true)
    expect(calls).toBe(2)
  })

  it('re-checks current keys when a new kid verifies a webhook, and learns their expiry', async () => {
    const { cache, published, fetches, fetchKey } = setup()
    published.set('old', jwkFor('old'))
    expect((await cache.get('sandbox', 'old', fetchKey))?.expiredAt).toBeNull()
    cache.markVerified('sandbox', 'old')
    published.set('old', { ...(published.get('old') as PlaidVerificationJwk), expired_at: 1_000 })
    published.set('new', jwkFor('new'))
    await cache.get('sandbox', 'new', fetchKey)
    // Fetched only (a forger can name a real kid): no re-check yet.
    expect((await cache.get('sandbox', 'old', fetchKey))?.expiredAt).toBeNull()
    cache.markVerified('sandbox', 'new')
    expect((await cache.get('sandbox', 'old', fetchKey))?.expiredAt).toBe(1_000)
    // A key with an expiry cannot change again: no further fetches for it.
    await cache.get('sandbox', 'old', fetchKey)
    expect(fetches).toEqual(['old', 'new', 'old'])
  })

  it('refuses a served key that is not an ES256 P-256 key for that kid', async () => {
    const { cache } = setup()
    const wrong = async () => ({ ...jwkFor('other'), kid: 'other' })
    await expect(cache.get('sandbox', 'k', wrong)).rejects.toThrow(/unusable/)
  })

  it('never lets unverified kids evict a key that verified a genuine webhook', async () => {
    const { cache, published, fetches, fetchKey } = setup({ maxEntries: 8 })
    published.set('genuine', jwkFor('genuine'))
    await cache.get('sandbox', 'genuine', fetchKey)
    cache.markVerified('sandbox', 'genuine')
    // 70 forged kids, some of which Plaid even serves (a key fetched is not yet a key trusted).
    for (let index = 0; index < 70; index += 1) {
      if (index % 7 === 0) published.set(`forged-${index}`, jwkFor(`forged-${index}`))
      await cache.get('sandbox', `forged-${index}`, fetchKey)
    }
    expect(cache.verifiedSize).toBe(1)
    const before = fetches.length
    expect(await cache.get('sandbox', 'genuine', fetchKey)).not.toBeNull()
    expect(fetches).toHaveLength(before)
  })

  it('names the one environment whose verified, current keys hold a kid, and no other', async () => {
    const { cache, published, fetchKey, advance } = setup()
    published.set('k', jwkFor('k'))
    published.set('shared', jwkFor('shared'))
    expect(cache.soleVerifiedEnvironment('k')).toBeNull()
    await cache.get('sandbox', 'k', fetchKey)
    // Fetched is not enough: only a key that verified a genuine webhook.
    expect(cache.soleVerifiedEnvironment('k')).toBeNull()
    cache.markVerified('sandbox', 'k')
    expect(cache.soleVerifiedEnvironment('k')).toBe('sandbox')
    expect(cache.soleVerifiedEnvironment('other')).toBeNull()
    // A kid verified in two environments names neither.
    for (const environment of ['sandbox', 'production'] as const) {
      await cache.get(environment, 'shared', fetchKey)
      cache.markVerified(environment, 'shared')
    }
    expect(cache.soleVerifiedEnvironment('shared')).toBeNull()
    // A current key due for its daily re-check is not used before it was asked for again.
    advance(24 * 60 * 60 * 1000 + 1)
    expect(cache.soleVerifiedEnvironment('k')).toBeNull()
    await cache.get('sandbox', 'k', fetchKey)
    expect(cache.soleVerifiedEnvironment('k')).toBe('sandbox')
  })

  it('without a verified webhook, a fetched key is on probation and can be evicted like any kid', async () => {
    const { cache, published, fetches, fetchKey } = setup({ maxEntries: 8 })
    published.set('fetched', jwkFor('fetched'))
    await cache.get('sandbox', 'fetched', fetchKey)
    for (let index = 0; index < 8; index += 1) await cache.get('sandbox', `forged-${index}`, fetchKey)
    await cache.get('sandbox', 'fetched', fetchKey)
    expect(fetches.filter((kid) => kid === 'fetched')).toHaveLength(2)
    expect(cache.verifiedSize).toBe(0)
  })

  it('asks the permit only for a real fetch; refused, it fails for a new kid and keeps a known one', async () => {
    const { cache, published, fetches, fetchKey, advance } = setup()
    published.set('k', jwkFor('k'))
    let asked = 0
    const allow = () => {
      asked += 1
      return true
    }
    await cache.get('sandbox', 'k', fetchKey, allow)
    cache.markVerified('sandbox', 'k')
    await cache.get('sandbox', 'unknown', fetchKey, allow)
    await cache.get('sandbox', 'k', fetchKey, allow) // cached: no permit needed
    await cache.get('sandbox', 'unknown', fetchKey, allow) // remembered as unknown: no permit needed
    expect(asked).toBe(2)
    const refuse = () => false
    await expect(cache.get('sandbox', 'new-kid', fetchKey, refuse)).rejects.toBeInstanceOf(KeyFetchRefused)
    // A day later the verified key is due for its re-check; without budget it is used as it is.
    advance(24 * 60 * 60 * 1000 + 1)
    expect(await cache.get('sandbox', 'k', fetchKey, refuse)).not.toBeNull()
    expect(fetches).toEqual(['k', 'unknown'])
    // With budget the re-check happens, and a key Plaid no longer knows leaves the verified tier.
    published.delete('k')
    expect(await cache.get('sandbox', 'k', fetchKey)).toBeNull()
    expect(cache.verifiedSize).toBe(0)
  })

  it('shares one permit among concurrent callers of the same new kid', async () => {
    const { cache, published } = setup()
    published.set('k', jwkFor('k'))
    let asked = 0
    const slow = async (kid: string) => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      return published.get(kid) ?? null
    }
    await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        cache.get('sandbox', 'k', slow, () => {
          asked += 1
          return true
        }),
      ),
    )
    expect(asked).toBe(1)
  })
})

describe('webhook key fetch budget', () => {
  it('allows perMinute fetches a minute, half of them only for deliveries naming a known Item', () => {
    let now = 0
    const budget = createKeyFetchBudget({ perMinute: 10, now: () => now })
    const anonymous = Array.from({ length: 50 }, () => budget.tryTake({ knownItemId: null }))
    expect(anonymous.filter(Boolean)).toHaveLength(5)
    // The reserve: each known Item once per window, up to the total.
    expect(budget.tryTake({ knownItemId: 'item-a' })).toBe(true)
    expect(budget.tryTake({ knownItemId: 'item-a' })).toBe(false)
    for (const item of ['b', 'c', 'd', 'e'])
      expect(budget.tryTake({ knownItemId: `item-${item}` })).toBe(true)
    expect(budget.tryTake({ knownItemId: 'item-f' })).toBe(false)
    expect(budget.stats()).toMatchObject({ used: 10, perMinute: 10, reserved: 5 })
    now += 60_000
    expect(budget.tryTake({ knownItemId: null })).toBe(true)
    expect(budget.tryTake({ knownItemId: 'item-a' })).toBe(true)
  })

  it('lets a known Item use the open part first, so a quiet minute costs the reserve nothing', () => {
    const budget = createKeyFetchBudget({ perMinute: 4, now: () => 0 })
    expect(budget.tryTake({ knownItemId: 'item-a' })).toBe(true)
    expect(budget.tryTake({ knownItemId: 'item-a' })).toBe(true)
    expect(budget.tryTake({ knownItemId: null })).toBe(false)
    expect(budget.tryTake({ knownItemId: 'item-a' })).toBe(true)
    expect(budget.tryTake({ knownItemId: 'item-a' })).toBe(false)
    expect(budget.tryTake({ knownItemId: 'item-b' })).toBe(true)
  })
})
