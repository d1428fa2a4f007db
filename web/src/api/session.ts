import { ApiError, apiRequest } from './client.ts'

export type Role = 'admin' | 'manager' | 'signer'

export type Session = {
  user: { id: string; email: string; name: string }
  workspace: { id: string; name: string }
  role: Role
}

/** The signed-in session, or null when the cookie is missing or expired. */
export async function fetchSession(signal?: AbortSignal): Promise<Session | null> {
  try {
    return await apiRequest<Session>('GET', '/api/session', undefined, signal)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null
    throw error
  }
}

export function signIn(email: string, password: string): Promise<Session> {
  return apiRequest<Session>('POST', '/api/auth/sign-in/email', { email, password })
}

export function signOut(): Promise<void> {
  return apiRequest<void>('POST', '/api/auth/sign-out', {})
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: 'Administrator',
  manager: 'Manager',
  signer: 'Signer',
}
