import type { PlaidEnvironment } from '../../../db/schema.ts'
import type { PlaidConnection } from '../plaid/gateway.ts'
import type { WorkspaceSettingsService } from '../workspace/service.ts'

/** Credentials to reach one Plaid environment on behalf of a workspace (or the server, for orphans). */
export type PlaidConnectionResolver = (
  environment: PlaidEnvironment,
  workspaceId: string | null,
) => Promise<PlaidConnection | null>

/**
 * A workspace's own credentials when they are for that environment; the emulator's fixed pair for the
 * emulator; the server's configured pair otherwise. Null when nothing usable is configured.
 */
export function createPlaidConnectionResolver(deps: {
  settings: WorkspaceSettingsService
  emulator: { clientId: string; secret: string }
  serverCredentials: { clientId: string | null; secret: string | null }
}): PlaidConnectionResolver {
  return async (environment, workspaceId) => {
    if (environment === 'emulator') return { environment, ...deps.emulator }
    if (workspaceId) {
      const workspace = await deps.settings.resolvePlaidCredentials(workspaceId)
      if (workspace.environment === environment && workspace.clientId && workspace.secret) {
        return { environment, clientId: workspace.clientId, secret: workspace.secret }
      }
    }
    const { clientId, secret } = deps.serverCredentials
    return clientId && secret ? { environment, clientId, secret } : null
  }
}
