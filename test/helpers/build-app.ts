import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { DatabaseHandle } from '../../db/client.ts'
import { buildApp } from '../../server/app.ts'
import { type Config, loadConfig } from '../../server/config.ts'
import { hashPassword } from '../../server/modules/auth/password.ts'
import { createKeyring, generateKeyEntry, type Keyring } from '../../server/security/keyring.ts'
import { DEMO_PASSWORD, DEMO_USERS, seedDemoWorkspace } from '../../server/seed/demo-workspace.ts'
import { createTestDatabase } from './database.ts'

export const TEST_KEYRING = `${generateKeyEntry('test2')},${generateKeyEntry('test1')}`

export type TestAppOptions = {
  /** Environment variables on top of the test defaults (LOG_LEVEL=silent, no mounted sandbox). */
  env?: Record<string, string>
  /** Keyring spec; `null` = no encryption key configured. Defaults to a fresh two-key ring. */
  keyring?: string | null
  logger?: Parameters<typeof buildApp>[1]['logger']
  plaidSandboxPlugin?: FastifyPluginAsync
  webDistDir?: string
  database?: DatabaseHandle
  plaidGateway?: Parameters<typeof buildApp>[1]['plaidGateway']
  mailer?: Parameters<typeof buildApp>[1]['mailer']
  /** Seed the demo workspace (default); false for a first-run database with no workspace. */
  seedDemo?: boolean
  /** The server's clock (two-factor codes, pending sign-ins, re-authentication windows). */
  now?: () => Date
  sealingBeforeCommit?: Parameters<typeof buildApp>[1]['sealingBeforeCommit']
  jobAttemptHooks?: Parameters<typeof buildApp>[1]['jobAttemptHooks']
}

export type TestApp = {
  app: FastifyInstance
  database: DatabaseHandle
  config: Config
  keyring: Keyring
  /** The seeded demo workspace; empty when `seedDemo` is false. */
  workspaceId: string
  /** Signs a seeded demo user in through the real endpoint and returns the Cookie header value. */
  signIn(email: string, password?: string): Promise<string>
  close(): Promise<void>
}

// scrypt is deliberately slow; hash the demo password once per test file.
let demoPasswordHash: Promise<string> | undefined

export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    PLAID_SANDBOX_ENABLED: 'false',
    DATA_DIR: '/nonexistent/safeclose-test',
    SIGN_IN_ATTEMPTS_PER_MINUTE: '1000',
    SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE: '1000',
    ...options.env,
  })
  const database = options.database ?? (await createTestDatabase())
  demoPasswordHash ??= hashPassword(DEMO_PASSWORD)
  const seeded =
    options.seedDemo === false
      ? { workspaceId: '' }
      : await seedDemoWorkspace(database.db, { passwordHash: await demoPasswordHash })
  const keyring = createKeyring(options.keyring === undefined ? TEST_KEYRING : options.keyring)
  const app = await buildApp(config, {
    database,
    keyring,
    logger: options.logger,
    plaidSandboxPlugin: options.plaidSandboxPlugin,
    webDistDir: options.webDistDir,
    plaidGateway: options.plaidGateway,
    mailer: options.mailer,
    now: options.now,
    sealingBeforeCommit: options.sealingBeforeCommit,
    jobAttemptHooks: options.jobAttemptHooks,
  })
  await app.ready()
  return {
    app,
    database,
    config,
    keyring,
    workspaceId: seeded.workspaceId as string,
    async signIn(email, password = DEMO_PASSWORD) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/email',
        payload: { email, password },
      })
      if (response.statusCode !== 200)
        throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`)
      const cookie = response.cookies.find((entry) => entry.name === 'safeclose_session')
      if (!cookie) throw new Error('sign-in set no session cookie')
      return `${cookie.name}=${cookie.value}`
    },
    async close() {
      await app.close()
      await database.close()
    },
  }
}

export const DEMO = {
  admin: DEMO_USERS[0]!.email,
  manager: DEMO_USERS[1]!.email,
  signer: DEMO_USERS[2]!.email,
  password: DEMO_PASSWORD,
}
