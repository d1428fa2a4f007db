import type { JobDefinitions } from '../../jobs/queue.ts'
import type { WebhookProcessor } from './processor.ts'

export type WebhookWorkerOptions = {
  concurrency: number
  /** Cron (UTC) for the reconciliation pass; null turns it off. */
  reconcileCron: string | null
  reconcileBatchSize: number
}

/**
 * The webhook queues. A failed attempt is recorded on the event before the error goes back to
 * pg-boss, which retries with backoff; after the last attempt the event is "dead" and waits for an
 * admin's re-drive.
 */
export function webhookJobs(
  processor: WebhookProcessor,
  options: WebhookWorkerOptions,
): Pick<JobDefinitions, 'plaid-webhook' | 'plaid-reconcile'> {
  return {
    'plaid-webhook': {
      concurrency: options.concurrency,
      handler: async (job) => {
        try {
          await processor.processEvent(job.data.eventId)
        } catch (error) {
          await processor.recordFailure(job.data.eventId, error, job.retryCount >= job.retryLimit)
          throw error
        }
      },
    },
    // Without data: the periodic pass over all live Items. With an Item: a re-check asked for by a
    // duplicate status notice. With a workspace: an admin's "reconcile now", which touches only the
    // Items of that admin's workspace.
    'plaid-reconcile': {
      cron: options.reconcileCron,
      handler: async ({ data }) => {
        if (data && 'plaidItemId' in data) {
          await processor.reconcileItem(data.environment, data.plaidItemId, {
            webhookCode: data.webhookCode ?? null,
            receivedAt: data.receivedAt ? new Date(data.receivedAt) : null,
          })
          return
        }
        if (data && 'workspaceId' in data) {
          await processor.reconcileItems(options.reconcileBatchSize, data.workspaceId)
          return
        }
        await processor.reconcileItems(options.reconcileBatchSize)
        await processor.pruneRejectionCounters()
      },
    },
  }
}
