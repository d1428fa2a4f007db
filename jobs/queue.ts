import type { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { type ConstructorOptions, fromDrizzle, fromPglite, PgBoss } from 'pg-boss'
import type { DatabaseHandle, Queryable } from '../db/client.ts'

/** Every queue Safeclose uses; a worker process and the server agree on these names. */
export const QUEUES = {
  plaidWebhook: 'plaid-webhook',
  plaidReconcile: 'plaid-reconcile',
} as const
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]

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

export type JobAttempt<T> = { id: string; data: T; retryCount: number; retryLimit: number }

export type JobQueue = {
  start(): Promise<void>
  /** Stops fetching, lets running handlers finish (bounded), and detaches from the database. */
  stop(): Promise<void>
  /** Creates a job inside the caller's transaction: it exists exactly when the transaction commits. */
  enqueue(tx: Queryable, queue: QueueName, data: object): Promise<string>
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
  const boss = new PgBoss({
    db: adapter,
    backend: database.kind === 'pglite' ? 'pglite' : 'postgres',
    // Maintenance (expiring jobs of dead workers, retention) runs in every instance; pg-boss takes turns.
    superviseIntervalSeconds: Math.max(1, Math.min(60, options.expireSeconds)),
    monitorIntervalSeconds: Math.max(1, Math.min(60, options.expireSeconds)),
    persistWarnings: false,
  })
  boss.on('error', (error: Error) => options.onError?.(error))
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
      await boss.start()
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

    async enqueue(tx, queue, data) {
      const db = fromDrizzle(tx as unknown as Parameters<typeof fromDrizzle>[0], sql)
      const id = await boss.send(queue, data, { db })
      if (!id) throw new Error(`pg-boss did not create a job in ${queue}`)
      return id
    },

    async work(queue, handler, concurrency = 1) {
      await boss.work(
        queue,
        {
          includeMetadata: true,
          pollingIntervalSeconds: options.pollingIntervalSeconds,
          localConcurrency: concurrency,
        },
        async (jobs) => {
          for (const job of jobs) {
            await handler({
              id: job.id,
              data: job.data as never,
              retryCount: job.retryCount,
              retryLimit: job.retryLimit,
            })
          }
        },
      )
    },

    async schedule(queue, cron) {
      await boss.schedule(queue, cron, null, { tz: 'UTC' })
    },
  }
}
