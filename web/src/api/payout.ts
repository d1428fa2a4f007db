import { apiRequest } from './client.ts'
import type { SigningPackage } from './signings.ts'

/** Payout-grade verification on a package (ADR 0017): masks, frozen instructions, alerts. */

export type PayoutAlertReason =
  | 'account_changed'
  | 'item_relinked'
  | 'item_removed'
  | 'permission_revoked'
  | 'account_revoked'
  | 'pending_disconnect'
  | 'pending_expiration'
  | 'login_required'
  | 'new_accounts_available'
  | 'numbers_changed'

export type PayoutAlert = {
  id: string
  signer_id: string
  reason: PayoutAlertReason
  description: string
  details: Record<string, unknown>
  raised_at: string
  resolved_at: string | null
  resolved_by: { user_id: string; name: string | null; email: string | null } | null
  confirmed_by: { user_id: string; name: string | null } | null
  note: string | null
  /** Four eyes: a resolution proposed by one manager, waiting for another to confirm it. */
  proposed: { by: { user_id: string; name: string | null } | null; note: string | null; at: string } | null
}

export type PayoutNumbersOnFile = {
  signer_id: string
  account_mask: string | null
  routing_mask: string | null
  is_tokenized_account_number: boolean | null
  verification_method: string
  /** The account holders Plaid named (absent on an older server). */
  holder_names?: string[]
  fetched_at: string
}

export type PayoutInstruction = {
  signer_id: string
  locked_at: string
  holder_names: string[]
  institution_name: string | null
  account_mask: string | null
  routing_mask: string | null
  verification_method: string | null
  verdict: string
  review: { decision: string; note: string; reviewed_at: string } | null
}

export type PayoutView = {
  payout_alerts: PayoutAlert[]
  payout_numbers: PayoutNumbersOnFile[]
  payout_instructions: PayoutInstruction[]
  payout_policy: { require_second_manager: boolean }
}

export type RevealedNumbers = {
  account: string
  routing: string
  wire_routing: string | null
  mask: string | null
  institution_name: string | null
  holder_names: string[]
  verification_method: string
  is_tokenized_account_number: boolean | null
}

/** The payout parts of a package view (absent on an older server: empty). */
export function payoutOf(signing: SigningPackage): PayoutView {
  const view = signing as SigningPackage & Partial<PayoutView>
  return {
    payout_alerts: view.payout_alerts ?? [],
    payout_numbers: view.payout_numbers ?? [],
    payout_instructions: view.payout_instructions ?? [],
    payout_policy: view.payout_policy ?? { require_second_manager: false },
  }
}

const base = (id: string) => `/api/signings/${encodeURIComponent(id)}`

export const payoutApi = {
  reveal: (id: string, signerId: string) =>
    apiRequest<RevealedNumbers>('POST', `${base(id)}/signers/${encodeURIComponent(signerId)}/payout/reveal`),
  resolve: (id: string, alertId: string, note: string) =>
    apiRequest<SigningPackage>('POST', `${base(id)}/payout-alerts/${encodeURIComponent(alertId)}/resolve`, {
      note,
    }),
  confirm: (id: string, alertId: string) =>
    apiRequest<SigningPackage>('POST', `${base(id)}/payout-alerts/${encodeURIComponent(alertId)}/confirm`),
}

export const VERIFICATION_METHOD_LABELS: Record<string, string> = {
  instant_auth: 'Instant Auth (bank login)',
  automated_micro_deposits: 'Automated micro-deposits',
  same_day_micro_deposits: 'Same-day micro-deposits',
  instant_micro_deposits: 'Instant micro-deposits',
  database_match: 'Database match',
}

export type PayoutPolicy = { require_second_manager: boolean }

export const payoutPolicyApi = {
  get: (signal?: AbortSignal) => apiRequest<PayoutPolicy>('GET', '/api/payout-settings', undefined, signal),
  update: (policy: PayoutPolicy) => apiRequest<PayoutPolicy>('PUT', '/api/payout-settings', policy),
}
