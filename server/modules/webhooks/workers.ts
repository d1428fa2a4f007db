import type { PlaidEnvironment } from '../../../db/schema.ts'
import { type JobQueue, QUEUES } from '../../../jobs/queue.ts'
import type { WebhookProcessor } from './processor.ts'

export type WebhookWorkerOptions = {
  concurrency: number
  /** Cron (UTC) for the reconciliation pass; null turns it off. */
  reconcileCron: string | null
  reconcileBatchSize: number
}

/**
 * Attaches the webhook workers to the queue. A failed attempt is recorded on the event before the
 * error goes back to pg-boss, which retries with backoff; after the last attempt the event is "dead"
 * and waits for an admin's re-drive.
 */
export async function startWebhookWorkers(
  queue: JobQueue,
  processor: WebhookProcessor,
  options: WebhookWorkerOptions,
): Promise<void> {
  await queue.work<{ eventId: string }>(
    QUEUES.plaidWebhook,
    async (job) => {
      try {
        await processor.processEvent(job.data.eventId)
      } catch (error) {
        await processor.recordFailure(job.data.eventId, error, job.retryCount >= job.retryLimit)
        throw error
      }
    },
    options.concurrency,
  )
  // Without data: the periodic pass over all live Items. With an Item: a re-check asked for by a
  // duplicate status notice. With a workspace: an admin's "reconcile now", which touches only the
  // Items of that admin's workspace.
  await queue.work<{
    environment?: PlaidEnvironment
    plaidItemId?: string
    webhookCode?: string
    receivedAt?: string
    workspaceId?: string
  } | null>(QUEUES.plaidReconcile, async (job) => {
    if (job.data?.environment && job.data.plaidItemId) {
      await processor.reconcileItem(job.data.environment, job.data.plaidItemId, {
        webhookCode: job.data.webhookCode ?? null,
        receivedAt: job.data.receivedAt ? new Date(job.data.receivedAt) : null,
      })
      return
    }
    if (job.data?.workspaceId) {
      await processor.reconcileItems(options.reconcileBatchSize, job.data.workspaceId)
      return
    }
    await processor.reconcileItems(options.reconcileBatchSize)
    await processor.pruneRejectionCounters()
  })
  if (options.reconcileCron) await queue.schedule(QUEUES.plaidReconcile, options.reconcileCron)
}
