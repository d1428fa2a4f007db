import type { WorkspaceAudit } from '../../../server/http/contract.ts'
import { apiRequest } from './client.ts'

export type { WorkspaceAudit, WorkspaceAuditEvent } from '../../../server/http/contract.ts'

export function fetchWorkspaceAudit(signal?: AbortSignal): Promise<WorkspaceAudit> {
  return apiRequest<WorkspaceAudit>('GET', '/api/admin/audit', undefined, signal)
}
