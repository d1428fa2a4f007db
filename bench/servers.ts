import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { SERVER_NODE_FLAGS } from '../server/node-flags.ts'
import { generateKeyEntry } from '../server/security/keyring.ts'
import { type BenchProcess, findFreePort, onInterrupt, startNodeProcess } from './processes.ts'

const fromRepository = (relativePath: string) => fileURLToPath(new URL(`../${relativePath}`, import.meta.url))

export type DatabaseTarget = { kind: 'pglite' } | { kind: 'postgres'; adminUrl: string }

export type SafecloseServer = BenchProcess & {
  /** What the server runs on, for the report (e.g. "PostgreSQL 15.18"). */
  databaseDescription: string
  /** The PostgreSQL database the server uses, or null for its own embedded PGlite. */
  databaseUrl: string | null
}

export async function startBareFastify(): Promise<BenchProcess> {
  const port = await findFreePort()
  return startNodeProcess({
    name: 'bare Fastify',
    args: [fromRepository('bench/bare-server.ts')],
    env: { BENCH_PORT: String(port) },
    url: `http://127.0.0.1:${port}`,
    readinessPath: '/bare',
  })
}

/**
 * The plain one-query route (bench/plain-query-server.ts) with the server's Node options, on the
 * server's PostgreSQL database, or on its own in-memory PGlite when the server runs on PGlite.
 */
export async function startPlainQueryServer(databaseUrl: string | null): Promise<BenchProcess> {
  const port = await findFreePort()
  return startNodeProcess({
    name: 'plain one-query route',
    args: [...SERVER_NODE_FLAGS, fromRepository('bench/plain-query-server.ts')],
    env: { BENCH_PORT: String(port), ...(databaseUrl ? { BENCH_DATABASE_URL: databaseUrl } : {}) },
    url: `http://127.0.0.1:${port}`,
    readinessPath: '/users/1/items',
  })
}

/** The standalone sandbox (`npm run plaid-sandbox`): in-memory state, no per-request logging. */
export async function startPlaidSandbox(): Promise<BenchProcess> {
  const port = await findFreePort()
  return startNodeProcess({
    name: 'Plaid sandbox',
    args: [fromRepository('plaid-sandbox/src/main.ts')],
    env: { PLAID_SANDBOX_HOST: '127.0.0.1', PLAID_SANDBOX_PORT: String(port) },
    url: `http://127.0.0.1:${port}`,
    readinessPath: '/__admin/clock',
  })
}

/**
 * The real server (`server/main.ts`, as `npm start` runs it) on a throwaway database: a temporary
 * DATA_DIR for PGlite, or a fresh PostgreSQL database that is dropped again on dispose.
 */
export async function startSafecloseServer(options: {
  database: DatabaseTarget
  plaidEmulatorUrl: string
  linkTokensPerMinute: number
}): Promise<SafecloseServer> {
  const database = await provisionDatabase(options.database)
  try {
    const port = await findFreePort()
    const url = `http://127.0.0.1:${port}`
    const server = await startNodeProcess({
      name: `Safeclose on ${database.description}`,
      args: [...SERVER_NODE_FLAGS, fromRepository('server/main.ts')],
      env: {
        ...database.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: url,
        SAFECLOSE_SEED_DEMO: 'true',
        SAFECLOSE_ENCRYPTION_KEYS: generateKeyEntry('bench1'),
        PLAID_ENV: 'emulator',
        PLAID_SANDBOX_ENABLED: 'false',
        PLAID_EMULATOR_URL: options.plaidEmulatorUrl,
        LINK_TOKENS_PER_MINUTE: String(options.linkTokensPerMinute),
        // Per-request info logs would measure pino writing into a pipe, not the request path.
        LOG_LEVEL: 'warn',
      },
      url,
      readinessPath: '/healthz',
    })
    return {
      ...server,
      databaseDescription: database.description,
      databaseUrl: database.env.DATABASE_URL ?? null,
      async [Symbol.asyncDispose]() {
        try {
          await server[Symbol.asyncDispose]()
        } finally {
          await database.dispose()
        }
      },
    }
  } catch (error) {
    await database.dispose()
    throw error
  }
}

export type ProvisionedDatabase = {
  description: string
  /** The server environment that points it at this database (DATA_DIR or DATABASE_URL). */
  env: Record<string, string>
  dispose(): Promise<void>
}

/** A throwaway database for one benchmarked server: a temporary DATA_DIR, or a fresh PostgreSQL database. */
export function provisionDatabase(target: DatabaseTarget): Promise<ProvisionedDatabase> {
  return target.kind === 'pglite' ? createPgliteDirectory() : createPostgresDatabase(target.adminUrl)
}

async function createPgliteDirectory(): Promise<ProvisionedDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'safeclose-bench-'))
  const remove = () => rm(dataDir, { recursive: true, force: true })
  const forget = onInterrupt(remove)
  return {
    description: 'PGlite (embedded)',
    env: { DATA_DIR: dataDir },
    async dispose() {
      forget()
      await remove()
    },
  }
}

async function createPostgresDatabase(adminUrl: string): Promise<ProvisionedDatabase> {
  const name = `safeclose_bench_${randomBytes(6).toString('hex')}`
  const version = await withAdminClient(adminUrl, async (client) => {
    await client.query(`create database ${name}`)
    const result = await client.query<{ server_version: string }>('show server_version')
    return result.rows[0]?.server_version.split(' ')[0] ?? 'unknown version'
  })
  const drop = () =>
    withAdminClient(adminUrl, async (client) => {
      await client.query(`drop database if exists ${name} with (force)`)
    })
  const forget = onInterrupt(drop)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    description: `PostgreSQL ${version}`,
    env: { DATABASE_URL: url.toString() },
    async dispose() {
      forget()
      await drop()
    },
  }
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
