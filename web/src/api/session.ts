import type {
  MemberSession,
  Role,
  Session,
  SignInAnswer,
  WorkspaceChoices,
} from '../../../server/http/contract.ts'
import { ApiError, apiRequest } from './client.ts'

export type {
  MemberSession,
  Role,
  Session,
  SignerSession,
  SignInAnswer,
  WorkspaceChoice,
} from '../../../server/http/contract.ts'

/** The signed-in session, or null when the cookie is missing or expired. */
export async function fetchSession(signal?: AbortSignal): Promise<Session | null> {
  try {
    return await apiRequest<Session>('GET', '/api/session', undefined, signal)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null
    throw error
  }
}

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

/** The workspaces the signed-in member belongs to, and the session's current one. */
export function fetchWorkspaces(signal?: AbortSignal): Promise<WorkspaceChoices> {
  return apiRequest('GET', '/api/session/workspaces', undefined, signal)
}

/** Replaces the session with one in another workspace of the same member. */
export function switchWorkspace(workspaceId: string): Promise<MemberSession> {
  return apiRequest<MemberSession>('POST', '/api/session/workspace', { workspace_id: workspaceId })
}
