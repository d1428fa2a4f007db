import { apiRequest } from './client.ts'

export type WorkspaceAuditEvent = {
  sequence: number
  action: string
  occurred_at: string
  actor: { type: 'member' | 'signer'; id: string; email: string | null } | null
  subject_type: string | null
  subject_id: string | null
  details: Record<string, unknown>
  ip_address: string | null
  hash: string
}

export type WorkspaceAudit = {
  verification: { is_valid: boolean; event_count: number; first_broken_sequence: number | null }
  events: WorkspaceAuditEvent[]
}

export function fetchWorkspaceAudit(signal?: AbortSignal): Promise<WorkspaceAudit> {
  return apiRequest<WorkspaceAudit>('GET', '/api/admin/audit', undefined, signal)
}
