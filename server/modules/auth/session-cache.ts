import type { SessionContext } from './service.ts'

/** The NOTIFY channel the database triggers of migrations 0012 and 0014 write to. */
export const SESSION_CACHE_CHANNEL = 'session_cache'

/**
 * After this instance itself changed sessions or memberships, it stores no new entry for this long:
 * its change is not committed yet when it invalidates, and a lookup in between could read the old
 * rows back. The commit's own notification clears any such entry too; this covers the gap before it.
 */
const QUIET_AFTER_LOCAL_CHANGE_MS = 2_000

type Entry = { session: SessionContext; tokenHash: string; expiresAt: number; cachedUntil: number }

export type SessionCache = ReturnType<typeof createSessionCache>

/**
 * Validated sessions by token hash, so an authenticated request needs no database round trip
 * (ADR 0019). Bounded twice: at most `maxEntries` (the oldest entry goes first) and each entry for at
 * most `ttlMs`, whatever happens to notifications. It never serves a session past its expiry.
 *
 * Invalidation keys (what the triggers send, and what this instance passes for its own changes):
 * `t:<token hash>`, `u:<user id>`, `w:<workspace id>`, `s:<signer id>`, `p:<signing package id>`.
 * Anything else clears the whole cache. While not listening (no connection, or before it starts),
 * the cache is empty and stores nothing: every lookup goes to the database.
 */
export function createSessionCache(options: { maxEntries: number; ttlMs: number; now: () => Date }) {
  const entries = new Map<string, Entry>()
  let isListening = false
  /** Bumped by every invalidation: a lookup that started before one must not store what it read. */
  let generation = 0
  let quietUntil = 0

  function invalidate(key: string): void {
    generation++
    const separator = key.indexOf(':')
    const kind = key.slice(0, separator)
    const id = key.slice(separator + 1)
    if (kind === 't') {
      entries.delete(id)
      return
    }
    const matches = KEY_MATCHERS[kind]
    if (separator === -1 || !matches) {
      entries.clear()
      return
    }
    for (const entry of entries.values()) {
      if (matches(entry.session, id)) entries.delete(entry.tokenHash)
    }
  }

  return {
    /** The cached session of this token hash, if it is still valid. */
    get(tokenHash: string): SessionContext | undefined {
      const entry = entries.get(tokenHash)
      if (!entry) return undefined
      const now = options.now().getTime()
      if (now < entry.expiresAt && now < entry.cachedUntil) return entry.session
      entries.delete(tokenHash)
      return undefined
    },

    /** Call before reading a session from the database; pass the result to `set`. */
    begin(): number {
      return generation
    },

    /** Stores what a lookup that began at `startedAt` read, unless anything was invalidated since. */
    set(tokenHash: string, session: SessionContext, expiresAt: Date, startedAt: number): void {
      const now = options.now().getTime()
      if (!isListening || startedAt !== generation || now < quietUntil || options.maxEntries <= 0) return
      entries.delete(tokenHash)
      if (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next().value
        if (oldest !== undefined) entries.delete(oldest)
      }
      entries.set(tokenHash, {
        session: deepFreeze(session),
        tokenHash,
        expiresAt: expiresAt.getTime(),
        cachedUntil: now + options.ttlMs,
      })
    },

    /** A change another instance (or this one) committed, from the database's notification. */
    invalidate,

    /** A change this instance is making right now, inside a transaction not yet committed. */
    invalidateLocal(key: string): void {
      invalidate(key)
      quietUntil = options.now().getTime() + QUIET_AFTER_LOCAL_CHANGE_MS
    },

    /** Whether notifications are arriving; either way, what was cached before is forgotten. */
    setListening(listening: boolean): void {
      isListening = listening
      generation++
      entries.clear()
    },

    get size(): number {
      return entries.size
    },
  }
}

const KEY_MATCHERS: Record<string, (session: SessionContext, id: string) => boolean> = {
  u: (session, id) => session.principal === 'member' && session.user.id === id,
  w: (session, id) => session.workspace.id === id,
  s: (session, id) => session.principal === 'signer' && session.signer.id === id,
  p: (session, id) => session.principal === 'signer' && session.signer.packageId === id,
}

// A cached session is shared by every request that presents its token: nobody may change it.
function deepFreeze(session: SessionContext): SessionContext {
  for (const value of Object.values(session)) {
    if (typeof value === 'object' && value !== null) Object.freeze(value)
  }
  return Object.freeze(session)
}
