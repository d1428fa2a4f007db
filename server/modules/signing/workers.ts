import type { FastifyBaseLogger } from 'fastify'
import { type JobQueue, QUEUES } from '../../../jobs/queue.ts'
import type { SealingService } from './sealing.ts'

/**
 * Seals completed packages. The job is queued in the transaction that completes the package; a
 * failed attempt goes back to pg-boss, which retries with backoff, and sealing twice stores one seal.
 */
export async function startSigningWorkers(
  queue: JobQueue,
  sealing: SealingService,
  logger: FastifyBaseLogger,
): Promise<void> {
  await queue.work<{ packageId: string }>(QUEUES.signingSeal, async (job) => {
    try {
      await sealing.seal(job.data.packageId)
    } catch (error) {
      const message = error instanceof Error ? error.message : 'unknown failure'
      const log = job.retryCount >= job.retryLimit ? logger.error.bind(logger) : logger.warn.bind(logger)
      log(
        { signing_id: job.data.packageId, error: message, attempt: job.retryCount + 1 },
        'sealing a package failed',
      )
      throw error
    }
  })
}
