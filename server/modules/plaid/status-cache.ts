import type { SessionContext } from '../auth/service.ts'

/** The NOTIFY channel the database triggers of migration 0013 write to. */
export const PLAID_STATUS_CHANNEL = 'plaid_status'

type Entry<T> = { workspaceId: string; value: T; cachedUntil: number }

export type StatusCache<T> = ReturnType<typeof createStatusCache<T>>

/**
 * Each principal's bank-linking status (`GET /api/plaid/status`), so that reading it again needs no
 * database round trip (ADR 0027). Built like the session cache (ADR 0019):
 *
 * - Bounded: at most `maxEntries` (the oldest goes first), each for at most `ttlMs`.
 * - Invalidated by the database: triggers on `plaid_items`, `plaid_accounts` and
 *   `workspace_plaid_settings` notify `w:<workspace id>` at commit, whoever wrote (this instance, a
 *   separate worker, an operator). `*` or anything unknown clears everything.
 * - This instance's own writes: a request that may have changed something (any method but GET and
 *   HEAD) drops its workspace's entries once its handler has finished, i.e. after its commit and
 *   before its answer leaves, so the caller's next read never sees the old status.
 * - A read that began before an invalidation does not store what it read (generation number).
 * - Stores nothing while not listening: every read then goes to the database.
 */
export function createStatusCache<T>(options: { maxEntries: number; ttlMs: number; now: () => Date }) {
  const entries = new Map<string, Entry<T>>()
  let isListening = false
  let generation = 0

  function invalidate(payload: string): void {
    generation++
    if (!payload.startsWith('w:')) {
      entries.clear()
      return
    }
    dropWorkspace(payload.slice(2))
  }

  function dropWorkspace(workspaceId: string): void {
    for (const [key, entry] of entries) {
      if (entry.workspaceId === workspaceId) entries.delete(key)
    }
  }

  return {
    /** The cached status of this principal, or what `load` reads (kept when nothing changed meanwhile). */
    async read(session: SessionContext, load: () => Promise<T>): Promise<T> {
      const key = keyOf(session)
      const now = options.now().getTime()
      const entry = entries.get(key)
      if (entry && now < entry.cachedUntil) return entry.value
      if (entry) entries.delete(key)
      const startedAt = generation
      const value = await load()
      if (isListening && startedAt === generation && options.maxEntries > 0) {
        if (entries.size >= options.maxEntries) {
          const oldest = entries.keys().next().value
          if (oldest !== undefined) entries.delete(oldest)
        }
        entries.set(key, { workspaceId: session.workspace.id, value, cachedUntil: now + options.ttlMs })
      }
      return value
    },

    /** A change committed by any instance, from the database's notification. */
    invalidate,

    /** A change this instance has just committed for one workspace. */
    invalidateWorkspace(workspaceId: string): void {
      generation++
      dropWorkspace(workspaceId)
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

function keyOf(session: SessionContext): string {
  return session.principal === 'member'
    ? `${session.workspace.id}:member:${session.user.id}`
    : `${session.workspace.id}:signer:${session.signer.id}`
}
