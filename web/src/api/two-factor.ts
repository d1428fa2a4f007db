import { apiRequest } from './client.ts'
import type { MemberSession } from './session.ts'

export type TwoFactorStatus = {
  totp_enabled: boolean
  totp_pending: boolean
  recovery_codes_remaining: number
  /** The workspace requires two-factor of this member's role. */
  required: boolean
}

export const ACCOUNT_SECURITY_PATH = '/account/security'

export function fetchTwoFactorStatus(signal?: AbortSignal): Promise<TwoFactorStatus> {
  return apiRequest<TwoFactorStatus>('GET', '/api/auth/2fa', undefined, signal)
}

export function setUpTotp(): Promise<{ secret: string; otpauth_url: string }> {
  return apiRequest('POST', '/api/auth/2fa/totp/setup', {})
}

export function enableTotp(code: string): Promise<{ recovery_codes: string[] }> {
  return apiRequest('POST', '/api/auth/2fa/totp/enable', { code })
}

/** `code`: a code from the app or a recovery code. Needs a recent re-authentication. */
export function disableTotp(code: string): Promise<void> {
  return apiRequest('POST', '/api/auth/2fa/totp/disable', { code })
}

export function reauthenticate(password: string): Promise<{ authenticated_until: string }> {
  return apiRequest('POST', '/api/auth/reauth', { password })
}

/** The second step of a sign-in: a code from the app or a recovery code. */
export function completeTwoFactorSignIn(
  proof: { code: string } | { recovery_code: string },
): Promise<MemberSession> {
  return apiRequest<MemberSession>('POST', '/api/auth/sign-in/2fa', proof)
}

export function fetchSecurityPolicy(signal?: AbortSignal): Promise<{ require_two_factor: boolean }> {
  return apiRequest('GET', '/api/admin/security-policy', undefined, signal)
}

export function updateSecurityPolicy(requireTwoFactor: boolean): Promise<{ require_two_factor: boolean }> {
  return apiRequest('PUT', '/api/admin/security-policy', { require_two_factor: requireTwoFactor })
}
