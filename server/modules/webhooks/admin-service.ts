import type { Database } from '../../../db/client.ts'
import type { WebhookEventState } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { type JobQueue, QUEUES } from '../../jobs/queue.ts'
import { auditEvent, requestActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import * as repository from './repository.ts'

export type WebhookAdminService = ReturnType<typeof createWebhookAdminService>

/**
 * What an administrator sees of webhook traffic, and the re-drive of events that failed for good.
 * Everything is scoped to the caller's workspace: events not attributed to it (including those with
 * no workspace at all) and rejected deliveries (which name no trusted workspace) are operators' data,
 * in the logs and the webhook_rejections counters, not any tenant's.
 */
export function createWebhookAdminService(deps: {
  db: Database
  jobs: JobQueue
  audit: AuditService
  now: () => Date
}) {
  const { db } = deps

  return {
    async listDeliveries(session: MemberSession, filter: { limit: number; state?: WebhookEventState }) {
      const workspaceId = session.workspace.id
      const [events, counts] = await Promise.all([
        repository.listRecentEvents(db, { workspaceId, ...filter }),
        repository.countEventsByState(db, workspaceId),
      ])
      return {
        events: events.map((event) => ({
          id: event.id,
          webhook_type: event.webhookType,
          webhook_code: event.webhookCode,
          item_id: event.plaidItemId,
          environment: event.environment,
          verification: { key_id: event.keyId, issued_at: event.issuedAt.toISOString() },
          received_at: event.receivedAt.toISOString(),
          delivery_count: event.deliveryCount,
          state: event.state,
          attempts: event.attempts,
          last_error: event.lastError,
          outcome: event.outcome,
          processed_at: event.processedAt?.toISOString() ?? null,
        })),
        counts: Object.fromEntries(counts.map((row) => [row.state, row.count])),
      }
    },

    /** Re-checks the caller's workspace's live Items now; other workspaces wait for the cron run. */
    async reconcileNow(session: MemberSession): Promise<{ queued: true }> {
      await deps.jobs.enqueue(db, QUEUES.plaidReconcile, {
        workspaceId: session.workspace.id,
        requested_by: session.user.id,
      })
      return { queued: true }
    },

    /** Queues a dead event again; its attempts count on from where they stopped. */
    async redrive(session: MemberSession, eventId: string, origin: RequestOrigin) {
      const event = await repository.findEvent(db, eventId)
      if (!event || event.workspaceId !== session.workspace.id) {
        throw new AppError('NOT_FOUND', 'No such webhook event.')
      }
      await db.transaction(async (tx) => {
        if (!(await repository.reviveDeadEvent(tx, eventId, deps.now()))) {
          throw new AppError('CONFLICT', 'Only dead-lettered events can be re-driven.')
        }
        await deps.jobs.enqueue(tx, QUEUES.plaidWebhook, { eventId })
        await deps.audit.record(
          auditEvent(requestActor(session, origin), 'plaid.webhook_redriven', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'webhook_event', id: eventId },
            details: {
              webhook_event_id: eventId,
              webhook_type: event.webhookType,
              webhook_code: event.webhookCode,
              item_id: event.plaidItemId,
              attempts: event.attempts,
            },
          }),
          tx,
        )
      })
      return { id: eventId, state: 'queued' as const }
    },
  }
}
