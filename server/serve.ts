import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { DatabaseBusyError, openDatabase } from '../db/client.ts'
import { buildApp } from './app.ts'
import { loadConfigOrExit } from './config.ts'
import { idleMemoryTrimmer } from './idle-memory.ts'
import { loggerOptions } from './logger.ts'
import { createAuditService } from './modules/audit/service.ts'
import { createAuthService } from './modules/auth/service.ts'
import { createBootstrap } from './modules/members/bootstrap.ts'
import { mountablePlaidSandbox } from './plaid-sandbox-mount.ts'
import { loadOrCreateDemoKeyFile } from './security/demo-key-file.ts'
import { createKeyring } from './security/keyring.ts'
import { DEMO_PASSWORD, DEMO_USERS, DEMO_WORKSPACE_NAME, seedDemoWorkspace } from './seed/demo-workspace.ts'

/**
 * The process: read config, open and migrate the database, build the app, listen, and close
 * everything in order on SIGINT/SIGTERM (in-flight requests finish first).
 */
async function main(): Promise<void> {
  const phases = startupPhases()
  const config = loadConfigOrExit()
  const logger = pino(loggerOptions(config.logLevel))

  const database = await openDatabase(config.database).catch((error: unknown) => {
    if (!(error instanceof DatabaseBusyError)) throw error
    logger.fatal(error.message)
    process.exit(1)
  })
  phases.mark('databaseOpen')
  await database.migrate()
  phases.mark('migrations')
  logger.info({ database: database.kind }, 'database ready, migrations applied')

  let keyringSpec = config.encryptionKeys
  if (keyringSpec === null && config.database.kind === 'pglite') {
    const demoKey = await loadOrCreateDemoKeyFile(config.dataDir)
    keyringSpec = demoKey.spec
    if (demoKey.isCreated) logger.info('created a local encryption key for the embedded demo under DATA_DIR')
  }
  const keyring = createKeyring(keyringSpec)
  if (!keyring.status.isConfigured) {
    logger.warn(
      { problem: keyring.status.problem },
      'encryption key not configured: bank connections and Plaid secrets cannot be stored',
    )
  }

  phases.mark('keyring')
  if (config.shouldSeedDemo) {
    const seeded = await seedDemoWorkspace(database.db)
    if (seeded.isSeeded) printDemoUsers()
  } else {
    // No workspace yet and no demo: the operator creates the first one through a one-time link.
    const setupLink = await createBootstrap({
      db: database.db,
      audit: createAuditService({ db: database.db }),
      auth: createAuthService({
        db: database.db,
        audit: createAuditService({ db: database.db }),
        sessionTtlHours: config.sessionTtlHours,
      }),
      publicUrl: config.publicUrl,
    }).issueSetupLink()
    if (setupLink) printSetupLink(setupLink)
  }

  phases.mark('seedOrSetup')
  const plaidSandbox = config.plaid.isSandboxMounted ? await mountablePlaidSandbox(config, logger) : null
  phases.mark('plaidSandbox')
  const app = await buildApp(config, {
    database,
    keyring,
    logger,
    plaidSandboxPlugin: plaidSandbox?.plugin,
    attachWorkersAfterReady: true,
  })

  const memoryTrimmer = idleMemoryTrimmer(config, logger)
  closeWithGrace({ delay: 10_000, logger }, async ({ signal, err }) => {
    if (err) logger.error({ err }, 'shutting down after an error')
    else logger.info({ signal }, 'shutting down')
    memoryTrimmer?.stop()
    // Stops accepting requests, lets in-flight ones finish, then stops the in-process job workers
    // (their current job completes); only then does the database close.
    await app.close()
    await plaidSandbox?.close()
    await database.close()
  })

  phases.mark('buildApp')
  await app.listen({ host: config.host, port: config.port })
  phases.mark('listen')
  logger.info({ startupMs: phases.summary() }, 'start-up phases (ms)')
  // Workers attach while the server already answers; a server whose workers cannot start stops.
  await app.workersStarted().catch((error: unknown) => {
    logger.fatal({ err: error }, 'the job workers could not start')
    process.exit(1)
  })
  logger.info(`Safeclose is running at ${config.publicUrl}`)
}

/**
 * Milliseconds spent in each start-up phase, the first being everything before main() runs (Node's
 * own start, type stripping and module loading), then the process's CPU time (user + system) so far;
 * bench/start-up.ts reads the logged summary.
 */
function startupPhases(): { mark(phase: string): void; summary(): Record<string, number> } {
  const durations: Record<string, number> = { modules: Math.round(performance.now()) }
  let last = performance.now()
  return {
    mark(phase) {
      const now = performance.now()
      durations[phase] = Math.round(now - last)
      last = now
    },
    summary: () => {
      const cpu = process.cpuUsage()
      return {
        ...durations,
        total: Math.round(performance.now()),
        cpu: Math.round((cpu.user + cpu.system) / 1000),
      }
    },
  }
}

function printSetupLink(url: string): void {
  // Printed, never logged: the link creates the first administrator.
  console.info(
    [
      '',
      'This database has no workspace yet. Create the first one and its administrator at this one-time link',
      '(or stop the server and run `npm run admin:create`):',
      '',
      `  ${url}`,
      '',
    ].join('\n'),
  )
}

function printDemoUsers(): void {
  const lines = DEMO_USERS.map((user) => `  ${user.email.padEnd(26)} ${user.role}`)
  console.info(
    [
      '',
      `Seeded the demo workspace "${DEMO_WORKSPACE_NAME}". Sign in with (password: ${DEMO_PASSWORD}):`,
      ...lines,
      '',
    ].join('\n'),
  )
}

await main()
