import type { FastifyBaseLogger } from 'fastify'
import type { JobAttempt, JobDefinitions } from '../../jobs/queue.ts'
import type { SigningManagerService } from './manager-service.ts'
import type { PayoutService } from './payout-service.ts'
import type { SealingService } from './sealing.ts'

type SigningQueues =
  | 'signing-seal'
  | 'plaid-item-status-changed'
  | 'plaid-item-event-applied'
  | 'plaid-item-rechecked'
  | 'plaid-item-retired'
  | 'plaid-accounts-verification-changed'
  | 'payout-alert-notify'

/**
 * The signing queues. Sealing is queued in the transaction that completes the package; the Item
 * queues are queued by bank linking and webhook processing in the transaction that stores the change
 * (ADR 0017, 0018), so a crash right after that commit delays a payout alert or a numbers fetch
 * instead of losing it. Every handler is safe to repeat: a failed attempt goes back to pg-boss,
 * which retries with backoff; sealing twice stores one seal, an alert's dedupe key raises it once.
 */
export function signingJobs(deps: {
  sealing: SealingService
  manager: SigningManagerService
  payout: PayoutService
  logger: FastifyBaseLogger
}): Pick<JobDefinitions, SigningQueues> {
  const { sealing, manager, payout, logger } = deps

  /** Logs a failed attempt (an error on the last one) and rethrows it for pg-boss to retry. */
  function logged<T>(
    what: string,
    context: (data: T) => Record<string, unknown>,
    work: (data: T) => Promise<unknown>,
  ) {
    return async (job: JobAttempt<T>) => {
      try {
        await work(job.data)
      } catch (error) {
        const message = error instanceof Error ? error.message : 'unknown failure'
        const log = job.retryCount >= job.retryLimit ? logger.error.bind(logger) : logger.warn.bind(logger)
        log({ ...context(job.data), error: message, attempt: job.retryCount + 1 }, `${what} failed`)
        throw error
      }
    }
  }
  const item = <T extends { plaidItemId: string }>(data: T) => ({ item_id: data.plaidItemId })

  return {
    'signing-seal': {
      handler: logged(
        'sealing a package',
        (data) => ({ signing_id: data.packageId }),
        (data) => sealing.seal(data.packageId),
      ),
    },
    'plaid-item-status-changed': {
      handler: logged('recording an Item status change', item, async (change) => {
        await payout.onItemStatusChanged(change)
        await manager.recordItemStatusChange(change)
      }),
    },
    'plaid-item-event-applied': {
      handler: logged('checking an Item event for payouts', item, (event) =>
        payout.onItemEventApplied(event),
      ),
    },
    'plaid-item-rechecked': {
      handler: logged('re-checking an Item for payouts', item, (recheck) => payout.onItemRechecked(recheck)),
    },
    'plaid-item-retired': {
      handler: logged('recording a retired Item', item, (change) => payout.onItemRetired(change)),
    },
    'plaid-accounts-verification-changed': {
      handler: logged('applying a verification change', item, (change) =>
        payout.onVerificationChanged(change),
      ),
    },
    'payout-alert-notify': {
      handler: logged(
        'notifying managers of a payout alert',
        (data) => ({ payout_alert_id: data.alertId }),
        (data) => payout.notifyAlert(data.alertId),
      ),
    },
  }
}
