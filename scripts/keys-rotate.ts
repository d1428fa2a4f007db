import { openDatabase } from '../db/client.ts'
import { loadConfigOrExit } from '../server/config.ts'
import { rotateStoredTotpSecrets } from '../server/modules/auth/two-factor.ts'
import { rotateStoredAccessTokens } from '../server/modules/plaid/service.ts'
import { rotateStoredPayoutNumbers } from '../server/modules/signing/payout-service.ts'
import { rotateStoredSealKeys } from '../server/modules/signing/seal-certificate.ts'
import { rotateStoredPlaidSecrets } from '../server/modules/workspace/service.ts'
import { loadOrCreateDemoKeyFile } from '../server/security/demo-key-file.ts'
import { createKeyring } from '../server/security/keyring.ts'

/**
 * Re-encrypts every stored secret under the active (first) key of SAFECLOSE_ENCRYPTION_KEYS.
 * Values already under the active key are skipped, so an interrupted run can simply be re-run.
 */
const config = loadConfigOrExit()
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
  const rotatedSecrets = await rotateStoredPlaidSecrets({ db: database.db, keyring })
  const rotatedTokens = await rotateStoredAccessTokens({ db: database.db, keyring })
  const rotatedTotp = await rotateStoredTotpSecrets({ db: database.db, keyring })
  const rotatedSealKeys = await rotateStoredSealKeys({ db: database.db, keyring })
  const rotatedPayout = await rotateStoredPayoutNumbers({ db: database.db, keyring })
  console.info(
    `Active key: ${keyring.status.activeKeyId}. Re-encrypted workspace Plaid secrets: ${rotatedSecrets}, ` +
      `Plaid access tokens: ${rotatedTokens}, two-factor secrets: ${rotatedTotp}, ` +
      `seal certificate keys: ${rotatedSealKeys}, payout account numbers: ${rotatedPayout}.`,
  )
} finally {
  await database.close()
}
