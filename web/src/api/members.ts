import type {
  InvitationPreview,
  InvitationRole,
  InviteAnswer,
  MemberSession,
  Members,
  PasswordChanged,
  ResetConfirmed,
  ResetRequested,
  Role,
} from '../../../server/http/contract.ts'
import { apiRequest } from './client.ts'

export type {
  InvitationPreview,
  InvitationRole,
  Member,
  MemberInvitation as Invitation,
  Members,
} from '../../../server/http/contract.ts'

export const membersApi = {
  list: (signal?: AbortSignal) => apiRequest<Members>('GET', '/api/admin/members', undefined, signal),
  invite: (email: string, role: InvitationRole) =>
    apiRequest<InviteAnswer>('POST', '/api/admin/members/invitations', {
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
    apiRequest<PasswordChanged>('POST', '/api/auth/password', {
      current_password: currentPassword,
      new_password: newPassword,
    }),
  requestReset: (email: string) =>
    apiRequest<ResetRequested>('POST', '/api/auth/password-reset/request', { email }),
  confirmReset: (token: string, password: string) =>
    apiRequest<ResetConfirmed>('POST', '/api/auth/password-reset/confirm', { token, password }),
}
