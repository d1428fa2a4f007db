/**
 * A bounded, fair admission queue for password hashing (scrypt, ~0.5 s of CPU and 128 MiB each).
 *
 * Per process, because the resource it protects is this process's CPU and memory (the per-minute
 * limits live in the database because they must hold across instances; this one must not).
 *
 * - at most `concurrency` hashes run at once;
 * - at most `maxWaiting` requests wait; beyond that the caller is told to retry later;
 * - one key (the client IP) may run at most `perKeyConcurrency` hashes at once and hold at most
 *   `perKeyShare` places (running or waiting): one address flooding cannot fill the queue nor take
 *   every hashing slot;
 * - a freed slot goes to the waiting key whose last turn began longest ago (keys at their running
 *   cap skipped), so a newcomer waits behind at most one turn of each other busy key, not behind
 *   everything one key queued.
 */
export type HashQueueOptions = {
  concurrency: number
  maxWaiting: number
  perKeyConcurrency?: number
  perKeyShare?: number
  now?: () => number
}

export type HashQueueAdmission =
  | { admitted: true; turn: Promise<() => void> }
  | { admitted: false; reason: 'queue-full' | 'key-share'; retryAfterSeconds: number }

export type HashQueue = ReturnType<typeof createHashQueue>

type Waiter = { start: () => void }

export function createHashQueue(options: HashQueueOptions) {
  const concurrency = Math.max(1, options.concurrency)
  const maxWaiting = Math.max(0, options.maxWaiting)
  const perKeyConcurrency = Math.max(1, options.perKeyConcurrency ?? Math.floor(concurrency / 2))
  const perKeyShare = Math.max(1, options.perKeyShare ?? perKeyConcurrency + Math.ceil(maxWaiting / 4))
  const now = options.now ?? (() => performance.now())

  let running = 0
  let waitingCount = 0
  const runningByKey = new Map<string, number>()
  const waitingByKey = new Map<string, Waiter[]>()
  /** When each key in the system last began a turn (a sequence number); absent = never. */
  const lastTurn = new Map<string, number>()
  let turns = 0
  /** Moving average of how long a turn takes, for Retry-After. */
  let averageTurnMs = 500

  const inSystem = (key: string) => (runningByKey.get(key) ?? 0) + (waitingByKey.get(key)?.length ?? 0)

  function retryAfterSeconds(): number {
    const turnsAhead = (waitingCount + running) / concurrency
    return Math.max(1, Math.ceil((turnsAhead * averageTurnMs) / 1000))
  }

  function begin(key: string): () => void {
    running += 1
    runningByKey.set(key, (runningByKey.get(key) ?? 0) + 1)
    turns += 1
    lastTurn.set(key, turns)
    const startedAt = now()
    let released = false
    return () => {
      if (released) return
      released = true
      averageTurnMs = averageTurnMs * 0.8 + (now() - startedAt) * 0.2
      running -= 1
      const left = (runningByKey.get(key) ?? 1) - 1
      if (left > 0) runningByKey.set(key, left)
      else runningByKey.delete(key)
      if (inSystem(key) === 0) lastTurn.delete(key)
      dispatch()
    }
  }

  const canRunNow = (key: string) => running < concurrency && (runningByKey.get(key) ?? 0) < perKeyConcurrency

  function dispatch(): void {
    while (running < concurrency && waitingCount > 0) {
      let next: string | undefined
      let nextLastTurn = Number.POSITIVE_INFINITY
      for (const key of waitingByKey.keys()) {
        const keyLastTurn = lastTurn.get(key) ?? 0
        if ((runningByKey.get(key) ?? 0) < perKeyConcurrency && keyLastTurn < nextLastTurn) {
          next = key
          nextLastTurn = keyLastTurn
        }
      }
      if (next === undefined) return
      const queue = waitingByKey.get(next) as Waiter[]
      const waiter = queue.shift() as Waiter
      if (queue.length === 0) waitingByKey.delete(next)
      waitingCount -= 1
      waiter.start()
    }
  }

  return {
    /** Asks for a hashing turn for `key`; call the function the turn resolves to when done. */
    admit(key: string): HashQueueAdmission {
      const refusal = this.refusal(key)
      if (refusal) return refusal
      // After every dispatch no waiter could start, so a free slot this key may use is its to take.
      if (canRunNow(key)) return { admitted: true, turn: Promise.resolve(begin(key)) }
      const turn = new Promise<() => void>((resolve) => {
        const queue = waitingByKey.get(key) ?? []
        queue.push({ start: () => resolve(begin(key)) })
        waitingByKey.set(key, queue)
      })
      waitingCount += 1
      return { admitted: true, turn }
    },

    /** Whether `admit(key)` would refuse right now (lets a caller refuse before doing other work). */
    refusal(key: string): Extract<HashQueueAdmission, { admitted: false }> | null {
      if (inSystem(key) >= perKeyShare) {
        return { admitted: false, reason: 'key-share', retryAfterSeconds: retryAfterSeconds() }
      }
      if (!canRunNow(key) && waitingCount >= maxWaiting) {
        return { admitted: false, reason: 'queue-full', retryAfterSeconds: retryAfterSeconds() }
      }
      return null
    },

    stats() {
      return {
        running,
        waiting: waitingCount,
        keys: new Set([...runningByKey.keys(), ...waitingByKey.keys()]).size,
      }
    },
  }
}
