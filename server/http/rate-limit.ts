import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import type { Database } from '../../db/client.ts'
import { AppError } from '../errors.ts'
import { countHit, deleteStaleCounters } from '../modules/rate-limits/repository.ts'

/**
 * Route-level rate limits (`config.rateLimit` on a route) counted in the database, because app
 * instances are stateless: a limit kept in process memory would multiply with every instance.
 */
export async function registerRateLimits(app: FastifyInstance, db: Database): Promise<void> {
  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ) {
      countHit(db, key, timeWindow).then(
        ({ hits, windowStartedAt }) =>
          callback(null, {
            current: hits,
            ttl: Math.max(0, windowStartedAt.getTime() + timeWindow - Date.now()),
          }),
        (error: Error) => callback(error),
      )
    }
    child() {
      return this
    }
  }

  await app.register(rateLimit, {
    global: false,
    store: DatabaseRateLimitStore,
    errorResponseBuilder: (_request, context) =>
      new AppError(
        'RATE_LIMITED',
        `Too many requests. Try again in ${Math.ceil(context.ttl / 1000)} seconds.`,
      ),
  })
}

/** Forgets windows that ended more than a day ago; no limit here is longer than that. */
export function pruneRateLimitCounters(db: Database, now: Date): Promise<void> {
  return deleteStaleCounters(db, new Date(now.getTime() - 24 * 3_600_000))
}
