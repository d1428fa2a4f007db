import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { SERVER_NODE_FLAGS } from '../../server/node-flags.ts'
import { generateKeyEntry } from '../../server/security/keyring.ts'
import { findFreePort } from '../helpers/test-server.ts'

const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url))

/** A throwaway database on the test PostgreSQL server, dropped by `drop()`. */
export async function createScratchDatabase(
  adminUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `safeclose_system_${randomBytes(6).toString('hex')}`
  await withClient(adminUrl, async (client) => {
    await client.query(`create database ${name}`)
  })
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      await withClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`))
    },
  }
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

export type ServerProcess = {
  url: string
  /** Starts (or restarts) `node server/main.ts` and resolves once /healthz answers. */
  start(): Promise<void>
  kill(signal: NodeJS.Signals): Promise<void>
  output(): string
}

/** A real Safeclose server process on its own port, against `databaseUrl`. */
export async function serverProcess(options: {
  databaseUrl: string
  plaidEmulatorUrl: string
  env?: Record<string, string>
}): Promise<ServerProcess> {
  const port = await findFreePort()
  const url = `http://127.0.0.1:${port}`
  const keyring = generateKeyEntry('system1')
  let child: ChildProcess | null = null
  let log = ''
  return {
    url,
    async start() {
      child = spawn(process.execPath, [...SERVER_NODE_FLAGS, 'server/main.ts'], {
        cwd: REPOSITORY,
        env: {
          PATH: process.env.PATH ?? '',
          HOST: '127.0.0.1',
          PORT: String(port),
          PUBLIC_URL: url,
          DATABASE_URL: options.databaseUrl,
          SAFECLOSE_ENCRYPTION_KEYS: keyring,
          SAFECLOSE_SEED_DEMO: 'false',
          PLAID_SANDBOX_ENABLED: 'false',
          PLAID_EMULATOR_URL: options.plaidEmulatorUrl,
          LOG_LEVEL: 'warn',
          JOB_POLLING_INTERVAL_SECONDS: '0.5',
          JOB_EXPIRE_SECONDS: '3',
          WEBHOOK_RETRY_DELAY_SECONDS: '0',
          PLAID_RECONCILE_CRON: 'off',
          // Deliveries here name Items nobody linked: orphaned at once, as the assertions expect.
          WEBHOOK_ITEM_WAIT_SECONDS: '0',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      child.stdout?.on('data', (chunk: Buffer) => {
        log += chunk.toString()
      })
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString()
      })
      const deadline = Date.now() + 30_000
      for (;;) {
        if (child.exitCode !== null) throw new Error(`server exited during start:\n${log.slice(-2000)}`)
        try {
          if ((await fetch(`${url}/healthz`)).ok) return
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`server did not start:\n${log.slice(-2000)}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    async kill(signal) {
      const running = child
      if (!running || running.exitCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill(signal)
      await exited
    },
    output: () => log,
  }
}
