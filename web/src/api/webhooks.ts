import type { RedriveResult, WebhookDeliveries, WebhookEventState } from '../../../server/http/contract.ts'
import { apiRequest } from './client.ts'

export type { WebhookDeliveries, WebhookEventState, WebhookEventView } from '../../../server/http/contract.ts'

export function fetchWebhookDeliveries(
  filter: { state?: WebhookEventState; limit?: number },
  signal?: AbortSignal,
): Promise<WebhookDeliveries> {
  const query = new URLSearchParams()
  if (filter.state) query.set('state', filter.state)
  if (filter.limit) query.set('limit', String(filter.limit))
  const suffix = query.size > 0 ? `?${query}` : ''
  return apiRequest<WebhookDeliveries>('GET', `/api/admin/webhooks${suffix}`, undefined, signal)
}

export function redriveWebhookEvent(id: string): Promise<RedriveResult> {
  return apiRequest('POST', `/api/admin/webhooks/${encodeURIComponent(id)}/redrive`)
}

export function reconcileItemsNow(): Promise<{ queued: true }> {
  return apiRequest('POST', '/api/admin/webhooks/reconcile')
}

export const WEBHOOK_STATES: ReadonlyArray<WebhookEventState> = [
  'queued',
  'retrying',
  'dead',
  'processed',
  'ignored',
  'orphaned',
]

export function isWebhookEventState(value: unknown): value is WebhookEventState {
  return WEBHOOK_STATES.includes(value as WebhookEventState)
}
