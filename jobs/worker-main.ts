import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { openDatabase } from '../db/client.ts'
import { buildApp } from '../server/app.ts'
import { loadConfigOrExit } from '../server/config.ts'
import { idleMemoryTrimmer } from '../server/idle-memory.ts'
import { loggerOptions } from '../server/logger.ts'
import { createKeyring } from '../server/security/keyring.ts'

/**
 * `npm run worker`: the job workers without an HTTP listener, for scaling processing apart from the
 * web tier. It composes the same app as the server (same services, same configuration) and only
 * never listens; run the servers with JOB_WORKERS_IN_PROCESS=false next to it.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExit()
  if (config.database.kind === 'pglite') {
    // The embedded database belongs to one process; its workers run inside the server.
    console.error(
      'npm run worker needs DATABASE_URL: with the embedded database the server runs the workers.',
    )
    process.exit(78)
  }
  const logger = pino(loggerOptions(config.logLevel)).child({ process: 'worker' })
  const database = await openDatabase(config.database)
  await database.migrate()
  const keyring = createKeyring(config.encryptionKeys)
  if (!keyring.status.isConfigured) {
    logger.warn({ problem: keyring.status.problem }, 'no encryption key: webhooks for stored Items will fail')
  }
  const app = await buildApp(config, { database, keyring, logger, runWorkers: true })

  const memoryTrimmer = idleMemoryTrimmer(config, logger)
  closeWithGrace({ delay: 10_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'worker shutting down after an error')
    else logger.info({ signal }, 'worker shutting down')
    memoryTrimmer?.stop()
    await app.close()
    await database.close()
  })

  await app.ready()
  logger.info('Safeclose worker is processing jobs')
}

await main()
