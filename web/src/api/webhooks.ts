import { apiRequest } from './client.ts'

export type WebhookEventState = 'queued' | 'processed' | 'ignored' | 'orphaned' | 'retrying' | 'dead'

export type WebhookEventView = {
  id: string
  webhook_type: string
  webhook_code: string
  item_id: string | null
  environment: string
  verification: { key_id: string; issued_at: string }
  received_at: string
  delivery_count: number
  state: WebhookEventState
  attempts: number
  last_error: string | null
  outcome: string | null
  processed_at: string | null
}

export type WebhookDeliveries = {
  events: WebhookEventView[]
  counts: Partial<Record<WebhookEventState, number>>
}

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

export function redriveWebhookEvent(id: string): Promise<{ id: string; state: WebhookEventState }> {
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
