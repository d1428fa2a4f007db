import { ApiError, apiRequest } from './client.ts'

export type Role = 'admin' | 'manager' | 'signer'

/** A member signed in with a password: the user and their role in the workspace. */
export type MemberSession = {
  principal: 'member'
  user: { id: string; email: string; name: string }
  workspace: { id: string; name: string }
  role: Role
  signer: null
}

/** A signer who opened their signing link: no account, no role, one signer record of one package. */
export type SignerSession = {
  principal: 'signer'
  user: null
  workspace: { id: string; name: string }
  role: null
  signer: { id: string; email: string; name: string; signing_id: string }
}

export type Session = MemberSession | SignerSession

/** The signed-in session, or null when the cookie is missing or expired. */
export async function fetchSession(signal?: AbortSignal): Promise<Session | null> {
  try {
    return await apiRequest<Session>('GET', '/api/session', undefined, signal)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null
    throw error
  }
}

/** A user with two-factor sign-in gets `two_factor_required` and finishes with a code (api/two-factor.ts). */
export type SignInAnswer = MemberSession | { two_factor_required: true }

export function signIn(email: string, password: string): Promise<SignInAnswer> {
  return apiRequest<SignInAnswer>('POST', '/api/auth/sign-in/email', { email, password })
}

export function signOut(): Promise<void> {
  return apiRequest<void>('POST', '/api/auth/sign-out', {})
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  manager: 'Manager',
  signer: 'Signer',
}

export type WorkspaceChoice = { id: string; name: string; role: Role }

/** The workspaces the signed-in member belongs to, and the session's current one. */
export function fetchWorkspaces(): Promise<{ current: string; workspaces: WorkspaceChoice[] }> {
  return apiRequest('GET', '/api/session/workspaces')
}

/** Replaces the session with one in another workspace of the same member. */
export function switchWorkspace(workspaceId: string): Promise<MemberSession> {
  return apiRequest<MemberSession>('POST', '/api/session/workspace', { workspace_id: workspaceId })
}
