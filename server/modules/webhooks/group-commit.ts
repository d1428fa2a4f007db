/**
 * Group commit: callers submit one item each and wait for it to be durable; items that arrive while
 * another commit is in flight are written together, in one transaction, by the next one.
 *
 * - With nothing in flight, an item is committed at once, alone: a lone caller never waits for a window.
 * - While a commit is in flight, items queue. When it finishes, the queue (up to `maxBatch`) is the
 *   next batch. A batch also starts beside the running ones when the queue reaches `maxBatch`, or when
 *   its oldest item has waited `windowMs` (a slow commit does not hold the others back for longer),
 *   as long as fewer than `maxInFlight` commits run.
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
  submit(item: I): Promise<R>
  stats(): GroupCommitStats
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
  let timer: NodeJS.Timeout | null = null
  const stats: GroupCommitStats = { commits: 0, items: 0, largestBatch: 0, fallbacks: 0 }

  function pump(): void {
    while (
      queue.length > 0 &&
      inFlight < options.maxInFlight &&
      (inFlight === 0 || queue.length >= options.maxBatch)
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

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject })
        pump()
      })
    },
    stats: () => ({ ...stats }),
  }
}
