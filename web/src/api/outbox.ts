import type { Outbox } from '../../../server/http/contract.ts'
import { apiRequest } from './client.ts'

export type { Outbox, OutboxMessage, OutboxStatus } from '../../../server/http/contract.ts'

export function fetchOutbox(signal?: AbortSignal): Promise<Outbox> {
  return apiRequest<Outbox>('GET', '/api/admin/outbox', undefined, signal)
}
