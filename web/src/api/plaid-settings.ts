import type { PlaidEnvironment, PlaidSettings, PlaidSettingsUpdate } from '../../../server/http/contract.ts'
import { apiRequest } from './client.ts'

export type { PlaidEnvironment, PlaidSettings, PlaidSettingsUpdate } from '../../../server/http/contract.ts'

export function fetchPlaidSettings(signal?: AbortSignal): Promise<PlaidSettings> {
  return apiRequest<PlaidSettings>('GET', '/api/admin/plaid-settings', undefined, signal)
}

export function updatePlaidSettings(update: PlaidSettingsUpdate): Promise<PlaidSettings> {
  return apiRequest<PlaidSettings>('PUT', '/api/admin/plaid-settings', update)
}

export const PLAID_ENVIRONMENTS: ReadonlyArray<{
  value: PlaidEnvironment
  label: string
  description: string
}> = [
  {
    value: 'emulator',
    label: 'Emulator',
    description: 'Offline sandbox built into Safeclose. No Plaid keys needed; nothing leaves this server.',
  },
  {
    value: 'sandbox',
    label: 'Plaid Sandbox',
    description: "Plaid's test environment with test credentials. Needs your Sandbox client ID and secret.",
  },
  {
    value: 'production',
    label: 'Plaid Production',
    description: 'Real banks and real signers. Needs your Production client ID and secret.',
  },
]

export function isPlaidEnvironment(value: unknown): value is PlaidEnvironment {
  return PLAID_ENVIRONMENTS.some((environment) => environment.value === value)
}
