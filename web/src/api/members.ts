import { apiRequest } from './client.ts'
import type { MemberSession, Role } from './session.ts'

export type InvitationRole = 'admin' | 'manager'

export type Member = { user_id: string; email: string; name: string; role: Role; two_factor_enabled: boolean }
export type Invitation = { id: string; email: string; role: InvitationRole; expires_at: string }
export type Members = { members: Member[]; invitations: Invitation[] }

export type InvitationPreview = {
  workspace_name: string
  email: string
  name: string | null
  role: InvitationRole
  expires_at: string
  has_account: boolean
}

export const membersApi = {
  list: (signal?: AbortSignal) => apiRequest<Members>('GET', '/api/admin/members', undefined, signal),
  invite: (email: string, role: InvitationRole) =>
    apiRequest<{ invitation: Invitation; url: string | null }>('POST', '/api/admin/members/invitations', {
      email,
      role,
    }),
  revoke: (id: string) => apiRequest<void>('DELETE', `/api/admin/members/invitations/${id}`, {}),
  changeRole: (userId: string, role: Role) =>
    apiRequest<Members>('PATCH', `/api/admin/members/${userId}`, { role }),
  remove: (userId: string) => apiRequest<void>('DELETE', `/api/admin/members/${userId}`, {}),
}

// Tokens travel in request bodies only: never in a URL the server logs.
export const invitationApi = {
  preview: (token: string) => apiRequest<InvitationPreview>('POST', '/api/invitations/preview', { token }),
  /** `password` null: an existing account joins from its own signed-in session. */
  accept: (token: string, name: string, password: string | null) =>
    apiRequest<MemberSession>(
      'POST',
      '/api/invitations/accept',
      password === null ? { token } : { token, ...(name ? { name } : {}), password },
    ),
}

export const passwordApi = {
  change: (currentPassword: string, newPassword: string) =>
    apiRequest<{ ended_sessions: number }>('POST', '/api/auth/password', {
      current_password: currentPassword,
      new_password: newPassword,
    }),
  requestReset: (email: string) =>
    apiRequest<{ ok: true; message: string }>('POST', '/api/auth/password-reset/request', { email }),
  confirmReset: (token: string, password: string) =>
    apiRequest<{ ok: true }>('POST', '/api/auth/password-reset/confirm', { token, password }),
}
