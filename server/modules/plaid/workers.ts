import type { FastifyBaseLogger } from 'fastify'
import type { JobDefinitions } from '../../jobs/queue.ts'
import type { BankLinkingService } from './service.ts'

/**
 * Removes replaced Items at Plaid. A failed attempt goes back to pg-boss, which retries with backoff;
 * the last failure is logged as an error, because a removed-here-but-live-at-Plaid Item is billable.
 */
export function bankLinkingJobs(
  bankLinking: BankLinkingService,
  logger: FastifyBaseLogger,
): Pick<JobDefinitions, 'plaid-item-removal'> {
  return {
    'plaid-item-removal': {
      handler: async (job) => {
        try {
          await bankLinking.removeRetiredItem(job.data.itemRowId)
        } catch (error) {
          const isLastAttempt = job.retryCount >= job.retryLimit
          const message = error instanceof Error ? error.message : 'unknown failure'
          if (isLastAttempt)
            logger.error(
              { item_row_id: job.data.itemRowId, error: message },
              'gave up removing a replaced Item at Plaid',
            )
          throw error
        }
      },
    },
  }
}
