import type { Database, Queryable } from '../../../db/client.ts'
import type { PlaidEnvironment } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { type Keyring, rotateStoredValues } from '../../security/keyring.ts'
import { auditEvent, requestActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import * as repository from './repository.ts'

const SECRET_PURPOSE = 'workspace_plaid_settings.secret'

export type PlaidDefaults = {
  environment: PlaidEnvironment
  clientId: string | null
  secret: string | null
  emulatorClientId: string
  emulatorSecret: string
  publicUrl: string
}

export type PlaidSettingsView = {
  environment: PlaidEnvironment
  client_id: string | null
  secret_set: boolean
  webhook_base_url: string
  oauth_redirect_uri: string | null
  encryption: { configured: boolean; active_key_id: string | null; problem: string | null }
  updated_at: string | null
  updated_by: string | null
}

export type PlaidSettingsPatch = {
  environment?: PlaidEnvironment
  client_id?: string | null
  secret?: string | null
  webhook_base_url?: string | null
  oauth_redirect_uri?: string | null
}

/** What the Plaid gateway needs to talk to the workspace's active environment. Never leaves the server. */
export type PlaidCredentials = {
  environment: PlaidEnvironment
  clientId: string | null
  secret: string | null
  webhookBaseUrl: string
  /** Sent as the link token's `redirect_uri` for real Plaid; null = no OAuth redirect (popup only). */
  oauthRedirectUri: string | null
}

export type WorkspaceSettingsService = ReturnType<typeof createWorkspaceSettingsService>

export function createWorkspaceSettingsService(deps: {
  db: Database
  keyring: Keyring
  audit: AuditService
  defaults: PlaidDefaults
}) {
  const { db, keyring, defaults } = deps

  async function view(workspaceId: string): Promise<PlaidSettingsView> {
    const row = await repository.findPlaidSettings(db, workspaceId)
    const status = keyring.status
    return {
      environment: row?.environment ?? defaults.environment,
      client_id: row?.clientId ?? defaults.clientId,
      secret_set: Boolean(row?.secretCiphertext) || defaults.secret !== null,
      webhook_base_url: row?.webhookBaseUrl ?? defaults.publicUrl,
      oauth_redirect_uri: row?.oauthRedirectUri ?? null,
      encryption: {
        configured: status.isConfigured,
        active_key_id: status.activeKeyId,
        problem: status.problem,
      },
      updated_at: row?.updatedAt.toISOString() ?? null,
      updated_by: row?.updatedByEmail ?? null,
    }
  }

  return {
    getPlaidSettings: view,

    async updatePlaidSettings(
      session: MemberSession,
      patch: PlaidSettingsPatch,
      origin: RequestOrigin,
    ): Promise<PlaidSettingsView> {
      const workspaceId = session.workspace.id
      await db.transaction(async (tx) => {
        const current = await repository.findPlaidSettings(tx, workspaceId)
        let secretCiphertext = current?.secretCiphertext ?? null
        let secretKeyId = current?.secretKeyId ?? null
        if (typeof patch.secret === 'string') {
          if (!keyring.status.isConfigured) {
            throw new AppError(
              'ENCRYPTION_KEY_MISSING',
              'The Plaid secret cannot be stored because no encryption key is configured on the server.',
            )
          }
          const encrypted = keyring.encrypt(patch.secret, { purpose: SECRET_PURPOSE, rowId: workspaceId })
          secretCiphertext = encrypted.ciphertext
          secretKeyId = encrypted.keyId
        } else if (patch.secret === null) {
          secretCiphertext = null
          secretKeyId = null
        }
        const next = {
          workspaceId,
          environment: patch.environment ?? current?.environment ?? defaults.environment,
          clientId: patch.client_id !== undefined ? patch.client_id : (current?.clientId ?? null),
          secretCiphertext,
          secretKeyId,
          webhookBaseUrl:
            patch.webhook_base_url !== undefined ? patch.webhook_base_url : (current?.webhookBaseUrl ?? null),
          oauthRedirectUri:
            patch.oauth_redirect_uri !== undefined
              ? patch.oauth_redirect_uri
              : (current?.oauthRedirectUri ?? null),
          updatedBy: session.user.id,
        }
        await repository.savePlaidSettings(tx, next)
        await deps.audit.record(
          auditEvent(requestActor(session, origin), 'workspace.plaid_settings_updated', {
            chain: workspaceChain(workspaceId),
            subject: { type: 'workspace', id: workspaceId },
            // What changed, never the secret itself.
            details: {
              environment: { from: current?.environment ?? defaults.environment, to: next.environment },
              client_id_changed:
                patch.client_id !== undefined && patch.client_id !== (current?.clientId ?? null),
              secret:
                patch.secret === undefined ? 'unchanged' : patch.secret === null ? 'cleared' : 'replaced',
              webhook_base_url: next.webhookBaseUrl,
              oauth_redirect_uri: next.oauthRedirectUri,
            },
          }),
          tx,
        )
      })
      return view(workspaceId)
    },

    /**
     * The credentials for the workspace's active environment. The emulator always uses the
     * credentials the built-in sandbox accepts; real Plaid uses the workspace's, then the server's.
     */
    async resolvePlaidCredentials(workspaceId: string): Promise<PlaidCredentials> {
      const row = await repository.findPlaidSettings(db, workspaceId)
      const environment = row?.environment ?? defaults.environment
      const webhookBaseUrl = row?.webhookBaseUrl ?? defaults.publicUrl
      if (environment === 'emulator') {
        return {
          environment,
          clientId: defaults.emulatorClientId,
          secret: defaults.emulatorSecret,
          webhookBaseUrl,
          // The emulator's OAuth banks come back to our own page (see emulatorOAuthRedirectUri).
          oauthRedirectUri: emulatorOAuthRedirectUri(defaults.publicUrl),
        }
      }
      const storedSecret =
        row?.secretCiphertext && row.secretKeyId && keyring.status.isConfigured
          ? keyring.decrypt(
              { keyId: row.secretKeyId, ciphertext: row.secretCiphertext },
              { purpose: SECRET_PURPOSE, rowId: workspaceId },
            )
          : null
      return {
        environment,
        clientId: row?.clientId ?? defaults.clientId,
        secret: storedSecret ?? defaults.secret,
        webhookBaseUrl,
        oauthRedirectUri: row?.oauthRedirectUri ?? null,
      }
    },

    /** The environment only: cheap enough for every page load (CSP, Link script choice). */
    async getActiveEnvironment(workspaceId: string): Promise<PlaidEnvironment> {
      const row = await repository.findPlaidSettings(db, workspaceId)
      return row?.environment ?? defaults.environment
    },
  }
}

/** The page a bank's OAuth redirect comes back to. */
export const OAUTH_RETURN_PATH = '/oauth-return'

/**
 * The emulator's redirect URI: our own `/oauth-return`. Plaid (and so the emulator) accepts plain
 * http only on loopback hosts, so a server reached over http elsewhere links OAuth banks by popup.
 */
export function emulatorOAuthRedirectUri(publicUrl: string): string | null {
  const url = new URL(OAUTH_RETURN_PATH, publicUrl)
  const isLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
  return url.protocol === 'https:' || isLoopback ? url.toString() : null
}

/** Re-encrypts stored workspace Plaid secrets under the active key (`npm run keys:rotate`); returns how many. */
export async function rotateStoredPlaidSecrets(deps: { db: Database; keyring: Keyring }): Promise<number> {
  const stored = (await repository.listEncryptedSecrets(deps.db)).map((secret) => ({
    rowId: secret.workspaceId,
    value: { keyId: secret.secretKeyId, ciphertext: secret.secretCiphertext },
  }))
  return rotateStoredValues(deps.keyring, SECRET_PURPOSE, stored, (workspaceId, encrypted) =>
    repository.replaceSecretCiphertext(deps.db, workspaceId, {
      secretCiphertext: encrypted.ciphertext,
      secretKeyId: encrypted.keyId,
    }),
  )
}

/** A new, empty workspace (first run, or `npm run admin:create`). */
export async function createWorkspace(tx: Queryable, name: string): Promise<{ id: string }> {
  return repository.insertWorkspace(tx, name.trim())
}

export function countWorkspaces(db: Queryable): Promise<number> {
  return repository.countWorkspaces(db)
}
