/**
 * Group commit: callers submit one item each and wait for it to be durable; items that arrive while
 * another commit is in flight are written together, in one transaction, by the next one.
 *
 * - Callers announce themselves early (`arrival()`, before their own slow work such as verifying a
 *   signature) and submit when ready. With nothing in flight and nobody else announced, an item is
 *   committed at once, alone: a lone caller never waits for a window.
 * - While a commit is in flight, or while other announced callers are still on their way, items
 *   queue. The queue (up to `maxBatch`) becomes a batch when the commit in flight has finished and the
 *   announced callers have all submitted or withdrawn, or when it reaches `maxBatch`, or when `windowMs`
 *   has passed since the oldest queued item came (a slow commit or a slow caller holds the others back
 *   no longer), in each case as long as fewer than `maxInFlight` commits run.
 * - If a batch's transaction fails, nothing of it was written (or, when the commit's outcome is
 *   unknown, all of it was): each item is then committed again in a transaction of its own, so one bad
 *   item fails only its own caller. `commitBatch` must therefore be safe to run again for an item that
 *   may already be stored (the webhook receiver's dedupe makes it so).
 */
export type GroupCommitOptions = {
  /** Most items in one transaction. */
  maxBatch: number
  /** Longest an item waits for a commit in flight before its batch starts beside it. */
  windowMs: number
  /** Most transactions at once (each holds a database connection). */
  maxInFlight: number
}

export const DEFAULT_GROUP_COMMIT: GroupCommitOptions = { maxBatch: 64, windowMs: 5, maxInFlight: 4 }

export type GroupCommitStats = {
  /** Transactions that committed a batch (a fallback's single-item transactions included). */
  commits: number
  /** Items committed. */
  items: number
  largestBatch: number
  /** Batches whose transaction failed and whose items were retried one by one. */
  fallbacks: number
}

export type GroupCommitter<I, R> = {
  /** A caller on its way: its item will be worth waiting for (up to the window), or it withdraws. */
  arrival(): Arrival<I, R>
  /** An item from a caller that did not announce itself. */
  submit(item: I): Promise<R>
  stats(): GroupCommitStats
}

export type Arrival<I, R> = {
  submit(item: I): Promise<R>
  /** The caller has nothing to commit after all (e.g. its delivery was refused); idempotent. */
  withdraw(): void
}

type Waiter<I, R> = { item: I; resolve: (result: R) => void; reject: (error: unknown) => void }

/**
 * `commitBatch` writes all its items in one transaction and returns one result per item, in order,
 * or throws (and then wrote none of them).
 */
export function createGroupCommitter<I, R>(
  commitBatch: (items: I[]) => Promise<R[]>,
  options: GroupCommitOptions = DEFAULT_GROUP_COMMIT,
  onFallback?: (error: unknown, batchSize: number) => void,
): GroupCommitter<I, R> {
  const queue: Array<Waiter<I, R>> = []
  let inFlight = 0
  /** Announced callers that have not submitted or withdrawn yet. */
  let arriving = 0
  let timer: NodeJS.Timeout | null = null
  const stats: GroupCommitStats = { commits: 0, items: 0, largestBatch: 0, fallbacks: 0 }

  function pump(): void {
    while (
      queue.length > 0 &&
      inFlight < options.maxInFlight &&
      (queue.length >= options.maxBatch || (inFlight === 0 && arriving === 0))
    ) {
      void run(queue.splice(0, options.maxBatch))
    }
    if (queue.length > 0 && timer === null && inFlight < options.maxInFlight) {
      timer = setTimeout(() => {
        timer = null
        if (queue.length > 0 && inFlight < options.maxInFlight) void run(queue.splice(0, options.maxBatch))
        pump()
      }, options.windowMs)
    }
  }

  async function run(batch: Array<Waiter<I, R>>): Promise<void> {
    inFlight += 1
    try {
      await commit(batch)
    } finally {
      inFlight -= 1
      if (queue.length === 0 && timer !== null) {
        clearTimeout(timer)
        timer = null
      }
      pump()
    }
  }

  async function commit(batch: Array<Waiter<I, R>>): Promise<void> {
    let results: R[]
    try {
      results = await commitBatch(batch.map((waiter) => waiter.item))
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error)
        return
      }
      stats.fallbacks += 1
      onFallback?.(error, batch.length)
      for (const waiter of batch) {
        try {
          const [result] = await commitBatch([waiter.item])
          record(1)
          waiter.resolve(result as R)
        } catch (itemError) {
          waiter.reject(itemError)
        }
      }
      return
    }
    record(batch.length)
    batch.forEach((waiter, index) => {
      waiter.resolve(results[index] as R)
    })
  }

  function record(size: number): void {
    stats.commits += 1
    stats.items += size
    stats.largestBatch = Math.max(stats.largestBatch, size)
  }

  function submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject })
      pump()
    })
  }

  return {
    arrival() {
      arriving += 1
      let isPending = true
      const leave = () => {
        if (!isPending) return false
        isPending = false
        arriving -= 1
        return true
      }
      return {
        submit(item) {
          if (!leave()) return Promise.reject(new Error('this arrival was already used'))
          return submit(item)
        },
        withdraw() {
          if (leave()) pump()
        },
      }
    },
    submit,
    stats: () => ({ ...stats }),
  }
}
