import { apiRequest } from './client.ts'

export type PlaidEnvironment = 'emulator' | 'sandbox' | 'production'

export type PlaidSettings = {
  environment: PlaidEnvironment
  client_id: string | null
  secret_set: boolean
  webhook_base_url: string
  /** The OAuth redirect URI registered with Plaid for sandbox/production; the emulator uses its own. */
  oauth_redirect_uri: string | null
  encryption: { configured: boolean; active_key_id: string | null; problem: string | null }
  updated_at: string | null
  updated_by: string | null
}

/** `secret` is write-only: omit it to keep the stored one, send null to clear it. */
export type PlaidSettingsUpdate = Partial<{
  environment: PlaidEnvironment
  client_id: string | null
  secret: string | null
  webhook_base_url: string | null
  oauth_redirect_uri: string | null
}>

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
