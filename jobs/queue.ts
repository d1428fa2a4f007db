import type { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { type ConstructorOptions, fromDrizzle, fromPglite, PgBoss } from 'pg-boss'
import type { DatabaseHandle, Queryable } from '../db/client.ts'

/** Every queue Safeclose uses; a worker process and the server agree on these names. */
export const QUEUES = {
  plaidWebhook: 'plaid-webhook',
  plaidReconcile: 'plaid-reconcile',
  plaidItemRemoval: 'plaid-item-removal',
  housekeeping: 'housekeeping',
  signingSeal: 'signing-seal',
} as const
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]

const UNIQUE_VIOLATION = '23505'
const FETCH_BATCH_SIZE = 10

export type JobQueueOptions = {
  /** Attempts after the first before a job fails for good (pg-boss retryLimit). */
  retryLimit: number
  /** First retry delay in seconds; later ones back off exponentially (pg-boss retryBackoff). */
  retryDelaySeconds: number
  retryDelayMaxSeconds?: number
  /** A job still active after this long (its worker died) is handed out again. */
  expireSeconds: number
  /** How often an idle worker asks for work (pg-boss minimum: 0.5). */
  pollingIntervalSeconds: number
  onError?: (error: Error) => void
}

export type EnqueueOptions = { startAfterSeconds?: number }

export type JobAttempt<T> = { id: string; data: T; retryCount: number; retryLimit: number }

export type JobQueue = {
  start(): Promise<void>
  /** Stops fetching, lets running handlers finish (bounded), and detaches from the database. */
  stop(): Promise<void>
  /**
   * Creates a job inside the caller's transaction: it exists exactly when the transaction commits.
   * `startAfterSeconds` defers it (fractions allowed).
   */
  enqueue(tx: Queryable, queue: QueueName, data: object, options?: EnqueueOptions): Promise<string>
  /** Several jobs of one queue in one statement, inside the caller's transaction (as `enqueue`). */
  enqueueMany(tx: Queryable, queue: QueueName, data: object[]): Promise<void>
  work<T>(
    queue: QueueName,
    handler: (job: JobAttempt<T>) => Promise<void>,
    concurrency?: number,
  ): Promise<void>
  /** Runs `queue` on a cron schedule; several instances scheduling the same queue create one job per slot. */
  schedule(queue: QueueName, cron: string): Promise<void>
}

/**
 * pg-boss over the database Safeclose already has. PGlite goes through pg-boss's own PGlite adapter
 * (its schema setup is multi-statement SQL, which PGlite's extended-protocol query() refuses);
 * PostgreSQL goes through our pool. Either way jobs live in the same database as the rows they are
 * about, so a row and its job commit together.
 */
export function createJobQueue(database: DatabaseHandle, options: JobQueueOptions): JobQueue {
  const adapter: NonNullable<ConstructorOptions['db']> =
    database.kind === 'pglite'
      ? fromPglite((database.db as unknown as { $client: PGlite }).$client)
      : { executeSql: (text: string, values?: unknown[]) => database.executeSql(text, values) }
  function newBoss(): PgBoss {
    const instance = new PgBoss({
      db: adapter,
      backend: database.kind === 'pglite' ? 'pglite' : 'postgres',
      // Maintenance (expiring jobs of dead workers, retention) runs in every instance; pg-boss takes turns.
      superviseIntervalSeconds: Math.max(1, Math.min(60, options.expireSeconds)),
      monitorIntervalSeconds: Math.max(1, Math.min(60, options.expireSeconds)),
      persistWarnings: false,
    })
    instance.on('error', (error: Error) => options.onError?.(error))
    return instance
  }
  let boss = newBoss()
  let isStarted = false

  const queueOptions = {
    retryLimit: options.retryLimit,
    retryDelay: options.retryDelaySeconds,
    retryBackoff: options.retryDelaySeconds > 0,
    ...(options.retryDelayMaxSeconds ? { retryDelayMax: options.retryDelayMaxSeconds } : {}),
    expireInSeconds: options.expireSeconds,
  }

  return {
    async start() {
      if (isStarted) return
      try {
        await boss.start()
      } catch (error) {
        // Instances starting together on a new database race to install pg-boss's schema; pg-boss
        // tolerates most forms of that race but not a duplicate pg_namespace entry. The loser starts
        // again against the schema the winner installed.
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error
        await boss.stop({ graceful: false, close: false }).catch(() => {})
        boss = newBoss()
        await boss.start()
      }
      for (const name of Object.values(QUEUES)) {
        if (await boss.getQueue(name)) await boss.updateQueue(name, queueOptions)
        else await boss.createQueue(name, queueOptions)
        // pg-boss caches queue metadata at start, before these queues may have existed. A send() that
        // misses the cache looks the queue up on its own connection, which on single-connection PGlite
        // waits for the caller's open transaction forever. Reading through the cache now fills it.
        await boss.previewRedrive(name)
      }
      isStarted = true
    },

    async stop() {
      if (!isStarted) return
      isStarted = false
      await boss.stop({ graceful: true, close: true, timeout: 8_000 })
    },

    async enqueue(tx, queue, data, enqueueOptions) {
      const db = fromDrizzle(tx as unknown as Parameters<typeof fromDrizzle>[0], sql)
      const delay = enqueueOptions?.startAfterSeconds
      const id = await boss.send(queue, data, { db, ...(delay && delay > 0 ? { startAfter: delay } : {}) })
      if (!id) throw new Error(`pg-boss did not create a job in ${queue}`)
      return id
    },

    async enqueueMany(tx, queue, data) {
      if (data.length === 0) return
      const db = fromDrizzle(tx as unknown as Parameters<typeof fromDrizzle>[0], sql)
      const ids = await boss.insert(
        queue,
        data.map((item) => ({ data: item })),
        { db, returnId: true },
      )
      if (ids?.length !== data.length)
        throw new Error(`pg-boss created ${ids?.length ?? 0} of ${data.length} jobs in ${queue}`)
    },

    async work(queue, handler, concurrency = 1) {
      await boss.work(
        queue,
        {
          includeMetadata: true,
          // A worker takes a batch per fetch and keeps fetching while batches come back full, so a
          // backlog drains at processing speed rather than at one job per polling interval.
          batchSize: FETCH_BATCH_SIZE,
          burstWhenBatchFull: true,
          perJobResults: true,
          pollingIntervalSeconds: options.pollingIntervalSeconds,
          localConcurrency: concurrency,
        },
        async (jobs) => {
          const results: Array<{ id: string; status: 'completed' | 'failed'; output?: object }> = []
          for (const job of jobs) {
            try {
              await handler({
                id: job.id,
                data: job.data as never,
                retryCount: job.retryCount,
                retryLimit: job.retryLimit,
              })
              results.push({ id: job.id, status: 'completed' })
            } catch (error) {
              // Settled per job: one failure retries that job only, not the batch it came in.
              const message = error instanceof Error ? error.message : String(error)
              results.push({ id: job.id, status: 'failed', output: { message } })
            }
          }
          return results
        },
      )
    },

    async schedule(queue, cron) {
      await boss.schedule(queue, cron, null, { tz: 'UTC' })
    },
  }
}
