import { apiRequest } from './client.ts'

export type OutboxStatus = 'stored' | 'sending' | 'sent' | 'failed'

export type OutboxMessage = {
  id: string
  to: string
  subject: string
  /** The plain-text body; null once the SMTP server took the message. */
  text: string | null
  created_at: string
  sent_at: string | null
  status: OutboxStatus
}

export type Outbox = { delivering: boolean; messages: OutboxMessage[] }

export function fetchOutbox(signal?: AbortSignal): Promise<Outbox> {
  return apiRequest<Outbox>('GET', '/api/admin/outbox', undefined, signal)
}
