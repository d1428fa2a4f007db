import { openDatabase } from '../db/client.ts'
import { EMULATOR_CREDENTIALS } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { createAuditService } from '../server/modules/audit/service.ts'
import { rotateStoredAccessTokens } from '../server/modules/plaid/service.ts'
import { createWorkspaceSettingsService } from '../server/modules/workspace/service.ts'
import { loadOrCreateDemoKeyFile } from '../server/security/demo-key-file.ts'
import { createKeyring } from '../server/security/keyring.ts'

/**
 * Re-encrypts every stored secret under the active (first) key of SAFECLOSE_ENCRYPTION_KEYS.
 * Values already under the active key are skipped, so an interrupted run can simply be re-run.
 */
const config = loadConfig()
const spec =
  config.encryptionKeys ??
  (config.database.kind === 'pglite' ? (await loadOrCreateDemoKeyFile(config.dataDir)).spec : null)
const keyring = createKeyring(spec)
if (!keyring.status.isConfigured) {
  console.error(`Cannot rotate: ${keyring.status.problem}`)
  process.exit(1)
}

const database = await openDatabase(config.database)
try {
  await database.migrate()
  const settings = createWorkspaceSettingsService({
    db: database.db,
    keyring,
    audit: createAuditService({ db: database.db }),
    defaults: {
      environment: config.plaid.defaultEnvironment,
      clientId: config.plaid.clientId,
      secret: config.plaid.secret,
      emulatorClientId: EMULATOR_CREDENTIALS.clientId,
      emulatorSecret: EMULATOR_CREDENTIALS.secret,
      publicUrl: config.publicUrl,
    },
  })
  const rotatedSecrets = await settings.rotateSecrets()
  const rotatedTokens = await rotateStoredAccessTokens({ db: database.db, keyring })
  console.info(
    `Active key: ${keyring.status.activeKeyId}. Re-encrypted workspace Plaid secrets: ${rotatedSecrets}, ` +
      `Plaid access tokens: ${rotatedTokens}.`,
  )
} finally {
  await database.close()
}
