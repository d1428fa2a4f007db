import type {
  MemberSession,
  Reauthenticated,
  RecoveryCodes,
  SecurityPolicy,
  TotpSetup,
  TwoFactorStatus,
} from '../../../server/http/contract.ts'
import { apiRequest } from './client.ts'

export type { TwoFactorStatus } from '../../../server/http/contract.ts'

export const ACCOUNT_SECURITY_PATH = '/account/security'

export function fetchTwoFactorStatus(signal?: AbortSignal): Promise<TwoFactorStatus> {
  return apiRequest<TwoFactorStatus>('GET', '/api/auth/2fa', undefined, signal)
}

export function setUpTotp(): Promise<TotpSetup> {
  return apiRequest('POST', '/api/auth/2fa/totp/setup', {})
}

export function enableTotp(code: string): Promise<RecoveryCodes> {
  return apiRequest('POST', '/api/auth/2fa/totp/enable', { code })
}

/** `code`: a code from the app or a recovery code. Needs a recent re-authentication. */
export function disableTotp(code: string): Promise<void> {
  return apiRequest('POST', '/api/auth/2fa/totp/disable', { code })
}

export function reauthenticate(password: string): Promise<Reauthenticated> {
  return apiRequest('POST', '/api/auth/reauth', { password })
}

/** The second step of a sign-in: a code from the app or a recovery code. */
export function completeTwoFactorSignIn(
  proof: { code: string } | { recovery_code: string },
): Promise<MemberSession> {
  return apiRequest<MemberSession>('POST', '/api/auth/sign-in/2fa', proof)
}

export function fetchSecurityPolicy(signal?: AbortSignal): Promise<SecurityPolicy> {
  return apiRequest('GET', '/api/admin/security-policy', undefined, signal)
}

export function updateSecurityPolicy(requireTwoFactor: boolean): Promise<SecurityPolicy> {
  return apiRequest('PUT', '/api/admin/security-policy', { require_two_factor: requireTwoFactor })
}
