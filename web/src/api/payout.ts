import type {
  PayoutAlert,
  PayoutInstruction,
  PayoutNumbersOnFile,
  PayoutPolicy,
  RevealedNumbers,
  SigningPackage,
  SigningPackageDetail,
} from '../../../server/http/contract.ts'
import { apiRequest } from './client.ts'

export type {
  PayoutAlert,
  PayoutAlertReason,
  PayoutInstruction,
  PayoutNumbersOnFile,
  PayoutPolicy,
  RevealedNumbers,
} from '../../../server/http/contract.ts'

/** Payout-grade verification on a package (ADR 0017): masks, frozen instructions, alerts. */

export type PayoutView = {
  payout_alerts: PayoutAlert[]
  payout_numbers: PayoutNumbersOnFile[]
  payout_instructions: PayoutInstruction[]
  payout_policy: { require_second_manager: boolean }
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
    apiRequest<SigningPackageDetail>(
      'POST',
      `${base(id)}/payout-alerts/${encodeURIComponent(alertId)}/resolve`,
      {
        note,
      },
    ),
  confirm: (id: string, alertId: string) =>
    apiRequest<SigningPackageDetail>(
      'POST',
      `${base(id)}/payout-alerts/${encodeURIComponent(alertId)}/confirm`,
    ),
}

export const VERIFICATION_METHOD_LABELS: Record<string, string> = {
  instant_auth: 'Instant Auth (bank login)',
  automated_micro_deposits: 'Automated micro-deposits',
  same_day_micro_deposits: 'Same-day micro-deposits',
  instant_micro_deposits: 'Instant micro-deposits',
  database_match: 'Database match',
}

export const payoutPolicyApi = {
  get: (signal?: AbortSignal) => apiRequest<PayoutPolicy>('GET', '/api/payout-settings', undefined, signal),
  update: (policy: PayoutPolicy) => apiRequest<PayoutPolicy>('PUT', '/api/payout-settings', policy),
}
