import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { type ConstructorOptions, fromDrizzle, fromPglite, PgBoss } from 'pg-boss'
import Value from 'typebox/value'
import type { DatabaseHandle, Queryable } from '../../db/client.ts'
import {
  JOB_PAYLOADS,
  type JobAttempt,
  type JobDefinitions,
  type JobHandler,
  type JobPayload,
  QUEUE_NAMES,
  type QueueName,
} from './registry.ts'

export {
  type JobAttempt,
  type JobDefinitions,
  type JobPayload,
  QUEUES,
  type QueueName,
} from './registry.ts'

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
  /** A job whose payload does not match its queue's schema: it fails for good, without retries. */
  onInvalidPayload?: (problem: { queue: QueueName; jobId: string; message: string }) => void
}

export type EnqueueOptions = { startAfterSeconds?: number }

export type JobQueue = {
  start(): Promise<void>
  /** Stops fetching, lets running handlers finish (bounded), and detaches from the database. */
  stop(): Promise<void>
  /**
   * Creates a job inside the caller's transaction: it exists exactly when the transaction commits.
   * `startAfterSeconds` defers it (fractions allowed).
   */
  enqueue<Q extends QueueName>(
    tx: Queryable,
    queue: Q,
    data: JobPayload<Q>,
    options?: EnqueueOptions,
  ): Promise<string>
  /**
   * Creates several jobs of one queue inside the caller's transaction, in one statement per call
   * (several `enqueue` calls on the same transaction, in sequence or at once, do the same).
   */
  enqueueMany<Q extends QueueName>(
    tx: Queryable,
    queue: Q,
    data: ReadonlyArray<JobPayload<Q>>,
    options?: EnqueueOptions,
  ): Promise<string[]>
  /**
   * pg-boss's own statement that creates jobs in `queue`, for a caller that folds job creation into a
   * statement of its own (a row and its job in one round trip, ADR 0030): a plain `INSERT … RETURNING
   * id`, usable as a data-modifying CTE, reading its jobs from parameter `$<parameter>`, whose value
   * `jobsParameter` makes. Only once started; throws if pg-boss's statement has another shape.
   */
  foldedInsert<Q extends QueueName>(queue: Q, parameter: number): Promise<FoldedJobInsert<Q>>
  /**
   * Hands the queue's jobs to `handler`, each payload checked against the queue's schema first; a
   * payload that does not match fails its job for good (no retry) and never reaches the handler.
   */
  work<Q extends QueueName>(queue: Q, handler: JobHandler<Q>, concurrency?: number): Promise<void>
  /** Runs `queue` on a cron schedule; several instances scheduling the same queue create one job per slot. */
  schedule(queue: QueueName, cron: string): Promise<void>
}

export type FoldedJobInsert<Q extends QueueName> = {
  text: string
  jobsParameter(data: ReadonlyArray<JobPayload<Q>>): string
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
      // One read of every queue; a restart with unchanged settings writes nothing (each write and
      // each lookup is a round trip, which on PGlite made up most of the queue's start-up time).
      const existing = new Map((await boss.getQueues()).map((queue) => [queue.name, queue]))
      for (const name of QUEUE_NAMES) {
        const queue = existing.get(name)
        if (queue && hasOptions(queue, queueOptions)) continue
        if (queue) await boss.updateQueue(name, queueOptions)
        else await boss.createQueue(name, queueOptions)
        // pg-boss caches queue metadata at start, before these queues may have existed or changed. A
        // send() that misses the cache looks the queue up on its own connection, which on
        // single-connection PGlite waits for the caller's open transaction forever. Reading through
        // the cache now fills it (queues left unchanged were cached by start()).
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
      const id = await boss.send(queue, data as object | null, {
        db,
        ...(delay && delay > 0 ? { startAfter: delay } : {}),
      })
      if (!id) throw new Error(`pg-boss did not create a job in ${queue}`)
      return id
    },

    async enqueueMany(tx, queue, data, enqueueOptions) {
      if (data.length === 0) return []
      const db = fromDrizzle(tx as unknown as Parameters<typeof fromDrizzle>[0], sql)
      const delay = enqueueOptions?.startAfterSeconds
      const startAfter = delay && delay > 0 ? new Date(Date.now() + delay * 1000) : undefined
      const ids = await boss.insert(
        queue,
        data.map((item) => ({ data: item as object, ...(startAfter ? { startAfter } : {}) })),
        { db, returnId: true },
      )
      if (!ids || ids.length !== data.length) throw new Error(`pg-boss did not create the jobs in ${queue}`)
      return ids
    },

    async foldedInsert(queue, parameter) {
      // pg-boss builds the statement (its table, the queue's policy and defaults); a capturing adapter
      // keeps the text instead of running it.
      let text: string | null = null
      await boss.insert(queue, [{ data: {} }], {
        db: {
          executeSql: async (statement: string) => {
            text = statement
            return { rows: [] }
          },
        },
        returnId: true,
      })
      const captured = (text as string | null)?.trim() ?? ''
      const placeholders = captured.match(/\$\d+/g) ?? []
      if (
        !/^INSERT INTO /i.test(captured) ||
        placeholders.join() !== '$1' ||
        !/RETURNING id$/i.test(captured)
      ) {
        throw new Error(`pg-boss's insert for ${queue} is not a one-parameter INSERT … RETURNING id`)
      }
      return {
        text: captured.replace('$1', `$${parameter}`),
        jobsParameter: (data) => JSON.stringify(data.map((item) => ({ data: item }))),
      }
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
          const results: Array<{
            id: string
            status: 'completed' | 'failed' | 'deadletter'
            output?: object
          }> = []
          for (const job of jobs) {
            // A turn of the event loop per job. On the embedded database every query runs on this
            // thread and a full batch fetches the next at once, so a backlog would otherwise be worked
            // through in one unbroken chain of promises, with no request answered until it is gone.
            await yieldToEventLoop()
            const problem = payloadProblem(queue, job.data)
            if (problem) {
              // Retrying cannot make a malformed payload valid: the job fails for good, visibly.
              const message = `invalid ${queue} payload: ${problem}`
              options.onInvalidPayload?.({ queue, jobId: job.id, message })
              results.push({ id: job.id, status: 'deadletter', output: { message } })
              continue
            }
            try {
              await handler({
                id: job.id,
                data: job.data as JobPayload<typeof queue>,
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

/** Why `data` is not a valid payload for `queue` (the first few schema errors), or null when it is. */
export function payloadProblem(queue: QueueName, data: unknown): string | null {
  const schema = JOB_PAYLOADS[queue]
  if (Value.Check(schema, data)) return null
  const errors = Value.Errors(schema, data)
  return (
    errors
      .slice(0, 3)
      .map((error) => `${error.instancePath || '(payload)'} ${error.message}`)
      .join('; ') || 'does not match its schema'
  )
}

/**
 * Attaches every queue's handler from the registry and schedules the cron ones. The definitions
 * object must name every queue (the compiler checks), so no queue can be left without a worker.
 */
export async function startJobWorkers(
  queue: JobQueue,
  definitions: JobDefinitions,
  hooks: JobAttemptHooks = {},
): Promise<void> {
  for (const name of QUEUE_NAMES) {
    const definition = definitions[name] as JobDefinitions[QueueName]
    const handler = definition.handler as JobHandler<QueueName>
    const attempt: JobHandler<QueueName> =
      hooks.beforeAttempt || hooks.afterAttempt
        ? async (job) => {
            await hooks.beforeAttempt?.(name, job)
            await handler(job)
            await hooks.afterAttempt?.(name, job)
          }
        : handler
    await queue.work(name, attempt, definition.concurrency ?? 1)
    if (definition.cron) await queue.schedule(name, definition.cron)
  }
}

/**
 * Test hooks around every job attempt. A throw before the handler stands for a worker that died
 * before doing anything; a throw after it, for one that died after the job's effects committed but
 * before pg-boss recorded the job as done. Either way the attempt fails and pg-boss retries it.
 */
export type JobAttemptHooks = {
  beforeAttempt?: (queue: QueueName, job: JobAttempt<unknown>) => Promise<void>
  afterAttempt?: (queue: QueueName, job: JobAttempt<unknown>) => Promise<void>
}

/** True when the stored queue already has every option Safeclose sets (pg-boss row field names). */
function hasOptions(queue: object, options: Record<string, unknown>): boolean {
  const stored = queue as Record<string, unknown>
  return Object.entries(options).every(([key, value]) => stored[key] === value)
}
