import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createVerificationKeyCache,
  type PlaidVerificationJwk,
} from '../../server/modules/webhooks/key-cache.ts'

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
    await cache.get('sandbox', 'a', fetchKey) // a is now the most recently used (and re-checked)
    await cache.get('sandbox', 'c', fetchKey) // evicts b
    await cache.get('production', 'a', fetchKey) // another environment is another key; evicts a (sandbox)
    expect(cache.size).toBe(2)
    await cache.get('sandbox', 'c', fetchKey)
    await cache.get('sandbox', 'b', fetchKey)
    // a · b (a new kid: current a is re-checked on next use) · a · c (evicts b) · production a · b again
    expect(fetches).toEqual(['a', 'b', 'a', 'c', 'a', 'b'])
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

  it('re-checks current keys when a new kid appears, and learns their expiry', async () => {
    const { cache, published, fetches, fetchKey } = setup()
    published.set('old', jwkFor('old'))
    expect((await cache.get('sandbox', 'old', fetchKey))?.expiredAt).toBeNull()
    published.set('old', { ...(published.get('old') as PlaidVerificationJwk), expired_at: 1_000 })
    published.set('new', jwkFor('new'))
    await cache.get('sandbox', 'new', fetchKey)
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
})
