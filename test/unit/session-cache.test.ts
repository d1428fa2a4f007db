import { describe, expect, it } from 'vitest'
import type { SessionContext } from '../../server/modules/auth/service.ts'
import { createSessionCache } from '../../server/modules/auth/session-cache.ts'

const LATER = new Date('2030-01-01T00:00:00Z')

function member(userId: string, workspaceId = 'w1'): SessionContext {
  return {
    principal: 'member',
    user: { id: userId, email: `${userId}@example.test`, name: userId },
    workspace: { id: workspaceId, name: 'Workspace' },
    role: 'manager',
    heldByTwoFactorPolicy: false,
  }
}

function signer(signerId: string, packageId: string): SessionContext {
  return {
    principal: 'signer',
    signer: { id: signerId, email: 's@example.test', name: 'Sam', packageId },
    workspace: { id: 'w1', name: 'Workspace' },
  }
}

function listeningCache(maxEntries = 10) {
  let nowMs = Date.parse('2026-12-06T12:00:00Z')
  const cache = createSessionCache({ maxEntries, ttlMs: 30_000, now: () => new Date(nowMs) })
  cache.setListening(true)
  const put = (hash: string, session: SessionContext) => cache.set(hash, session, LATER, cache.begin())
  return { cache, put, advance: (ms: number) => (nowMs += ms) }
}

describe('session cache', () => {
  it('keeps at most maxEntries, dropping the oldest first', () => {
    const { cache, put } = listeningCache(2)
    put('a', member('u1'))
    put('b', member('u2'))
    put('c', member('u3'))
    expect(cache.size).toBe(2)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('c')).toMatchObject({ user: { id: 'u3' } })
  })

  it('stores nothing a lookup read before an invalidation, nor while not listening', () => {
    const { cache } = listeningCache()
    const startedAt = cache.begin()
    cache.invalidate('u:someone-else')
    cache.set('a', member('u1'), LATER, startedAt)
    expect(cache.get('a')).toBeUndefined()

    cache.setListening(false)
    cache.set('a', member('u1'), LATER, cache.begin())
    expect(cache.get('a')).toBeUndefined()
  })

  it('drops exactly the sessions a key names', () => {
    const { cache, put } = listeningCache()
    put('m1', member('u1', 'w1'))
    put('m2', member('u2', 'w2'))
    put('s1', signer('sig1', 'p1'))
    put('s2', signer('sig2', 'p2'))
    cache.invalidate('u:u1')
    cache.invalidate('s:sig1')
    cache.invalidate('p:p2')
    expect([...['m1', 'm2', 's1', 's2']].filter((hash) => cache.get(hash))).toEqual(['m2'])
    cache.invalidate('w:w2')
    expect(cache.get('m2')).toBeUndefined()
  })

  it('clears everything on a key it does not know, and on losing the connection', () => {
    const { cache, put } = listeningCache()
    put('a', member('u1'))
    cache.invalidate('something-new')
    expect(cache.size).toBe(0)
    put('a', member('u1'))
    cache.setListening(false)
    expect(cache.size).toBe(0)
  })

  it('caches nothing new for a moment after a change of its own', () => {
    const { cache, put, advance } = listeningCache()
    cache.invalidateLocal('t:a')
    put('a', member('u1'))
    expect(cache.get('a')).toBeUndefined()
    advance(2_001)
    put('a', member('u1'))
    expect(cache.get('a')).toBeDefined()
  })

  it('hands out frozen sessions', () => {
    const { cache, put } = listeningCache()
    put('a', member('u1'))
    const session = cache.get('a') as Extract<SessionContext, { principal: 'member' }>
    expect(Object.isFrozen(session)).toBe(true)
    expect(Object.isFrozen(session.user)).toBe(true)
  })
})
