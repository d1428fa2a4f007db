import { createHash } from 'node:crypto'
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite, type PGliteOptions } from '@electric-sql/pglite'
import { drizzle as drizzlePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migratePostgres } from 'drizzle-orm/node-postgres/migrator'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import * as schema from './schema.ts'

const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url))
const PGLITE_PACKAGE_JSON = fileURLToPath(
  new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url),
)
const PG_BOSS_PACKAGE_JSON = fileURLToPath(new URL('../node_modules/pg-boss/package.json', import.meta.url))
const PGLITE_TEMPLATES = fileURLToPath(new URL('../node_modules/.cache/safeclose/pglite', import.meta.url))
// Any constant works; it only has to be the same for every instance migrating one database.
const MIGRATION_LOCK_ID = 7_240_531

export type Schema = typeof schema
/** The query builder over either driver; repositories depend on this type only. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>
/** A transaction handle, accepted wherever a repository takes a `Database`. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]
export type Queryable = Database | Transaction

/**
 * Plain SQL access for libraries that bring their own queries (pg-boss) and for the few statements
 * no query builder expresses. A `name` makes it a prepared statement on PostgreSQL (parsed and
 * planned once per connection); the same name must always come with the same text.
 */
export type SqlExecutor = (text: string, values?: unknown[], name?: string) => Promise<{ rows: unknown[] }>

export type DatabaseHandle = {
  kind: 'pglite' | 'postgres'
  db: Database
  executeSql: SqlExecutor
  /** Applies pending migrations; safe to call from several instances at once on PostgreSQL. */
  migrate(): Promise<void>
  /** True when every migration shipped with this build has been applied. */
  isMigrated(): Promise<boolean>
  /**
   * Follows NOTIFY messages on `channel`. `onListening(false)` when messages may have been lost (the
   * listening connection dropped; it reconnects by itself), `onListening(true)` once listening again.
   * Resolves to a function that stops listening.
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>
  close(): Promise<void>
}

export type NotificationHandlers = {
  onMessage(payload: string): void
  onListening(isListening: boolean): void
}

/** A cache kept true by a channel's NOTIFY messages (the session and status caches, ADRs 0019, 0027). */
export type NotifiedCache = {
  invalidate(payload: string): void
  /** Whether messages are arriving; a cache forgets everything on either change. */
  setListening(isListening: boolean): void
}

/** Starts feeding `channel`'s messages to `cache`; resolves to a function that stops. */
export function followInvalidations(
  database: DatabaseHandle,
  channel: string,
  cache: NotifiedCache,
): Promise<() => Promise<void>> {
  return database.listen(channel, {
    onMessage: (payload) => cache.invalidate(payload),
    onListening: (listening) => cache.setListening(listening),
  })
}

export type OpenDatabaseOptions =
  | { kind: 'pglite'; dataDir: string | null }
  | { kind: 'postgres'; url: string }

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  return options.kind === 'pglite' ? openPglite(options.dataDir) : openPostgres(options.url)
}

/**
 * PGlite runs PostgreSQL inside the process's WebAssembly memory, so its buffer cache is our resident
 * memory. PostgreSQL's default (128 MB) is sized for a database server; a Safeclose workspace's
 * tables fit in a fraction of 16 MB, and pages not in the cache are one in-memory file read away.
 * ADR 0026 has the measurements.
 */
export const PGLITE_OPTIONS: PGliteOptions = {
  startParams: [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'],
}

async function openPglite(dataDir: string | null): Promise<DatabaseHandle> {
  if (!dataDir) return wrapPglite(await PGlite.create(PGLITE_OPTIONS))
  await mkdir(dataDir, { recursive: true })
  // The embedded database is one process's files: a second opener would corrupt it.
  const release = await lockDataDir(`${dataDir}.lock`)
  try {
    await copyTemplateIntoEmptyDir(dataDir)
    const handle = wrapPglite(await PGlite.create(dataDir, PGLITE_OPTIONS))
    return {
      ...handle,
      async close() {
        await handle.close()
        await release()
      },
    }
  } catch (error) {
    await release()
    throw error
  }
}

/**
 * A new embedded database starts as a copy of a migrated, empty cluster made at install time
 * (`npm ci` runs scripts/prepare.ts), which skips PGlite's initdb, the first migration run and the
 * installation of pg-boss's schema, the slowest part of a first start. The template is what PGlite,
 * the migrator and pg-boss would produce, cleanly shut down, kept per PGlite version, pg-boss version
 * and set of migrations; without a matching one (or for a
 * directory that already holds anything) PGlite initialises the directory as before.
 */
async function copyTemplateIntoEmptyDir(dataDir: string): Promise<void> {
  if ((await readdir(dataDir)).length > 0) return
  const template = await pgliteTemplateDir()
  if (await hasCluster(template)) await cp(template, dataDir, { recursive: true })
}

function hasCluster(directory: string): Promise<boolean> {
  return readFile(path.join(directory, 'PG_VERSION')).then(
    () => true,
    () => false,
  )
}

async function pgliteTemplateDir(): Promise<string> {
  const { version } = JSON.parse(await readFile(PGLITE_PACKAGE_JSON, 'utf8')) as { version: string }
  // pg-boss's own schema is part of the template too: its version is part of the key.
  const migrations = createHash('sha256').update(await readFile(PG_BOSS_PACKAGE_JSON))
  for (const name of (await readdir(MIGRATIONS_FOLDER, { recursive: true })).sort()) {
    const file = path.join(MIGRATIONS_FOLDER, name)
    const content = await readFile(file).catch(() => null)
    if (content) migrations.update(name).update(content)
  }
  return path.join(PGLITE_TEMPLATES, `${version}-${migrations.digest('hex').slice(0, 16)}`)
}

/** Creates the migrated empty-cluster template for this PGlite version and these migrations unless it exists; returns its path. */
export async function preparePgliteTemplate(): Promise<{ path: string; isCreated: boolean }> {
  const template = await pgliteTemplateDir()
  if (await hasCluster(template)) return { path: template, isCreated: false }
  const building = `${template}.${process.pid}.tmp`
  await rm(building, { recursive: true, force: true })
  await mkdir(building, { recursive: true })
  // Made with the options every embedded database runs with (the cluster it starts as).
  const client = await PGlite.create(building, PGLITE_OPTIONS)
  await wrapPglite(client).migrate()
  // The job queue's schema, which pg-boss installs on its first start (server/jobs/queue.ts).
  const { PgBoss, fromPglite } = await import('pg-boss')
  const boss = new PgBoss({ db: fromPglite(client), backend: 'pglite', supervise: false, schedule: false })
  await boss.start()
  await boss.stop({ graceful: false, close: false })
  await client.close()
  // Renamed into place only once complete: a half-written template is never copied.
  await rename(building, template).catch(async (error: NodeJS.ErrnoException) => {
    await rm(building, { recursive: true, force: true })
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error
  })
  // Templates of other versions or migrations are never used again.
  for (const entry of await readdir(PGLITE_TEMPLATES)) {
    const stale = path.join(PGLITE_TEMPLATES, entry)
    if (stale !== template && !entry.endsWith('.tmp')) await rm(stale, { recursive: true, force: true })
  }
  return { path: template, isCreated: true }
}

/** The embedded database is in use by another process (a running server, another script). */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError'
}

async function lockDataDir(lockPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, String(process.pid), { flag: 'wx' })
      return () => rm(lockPath, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim())
      if (holder > 0 && holder !== process.pid && isProcessAlive(holder)) {
        throw new DatabaseBusyError(
          `The embedded database is in use by another process (pid ${holder}). Stop the Safeclose server first, then try again.`,
        )
      }
      // Left behind by a process that died: take it over.
      await rm(lockPath, { force: true })
    }
  }
  throw new DatabaseBusyError('The embedded database lock could not be taken.')
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** A handle over an already open PGlite (tests clone a migrated template this way). */
export function wrapPglite(client: PGlite): DatabaseHandle {
  const db = drizzlePglite({ client, schema }) as unknown as Database
  return {
    kind: 'pglite',
    db,
    executeSql: (text, values) => client.query(text, values as unknown[]),
    // PGlite is single-connection and in-process: no other instance can race the migration.
    migrate: () => migratePglite(drizzlePglite({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER }),
    isMigrated: () => isMigrated((text) => client.query(text)),
    // In-process: a notification reaches the callback when its transaction commits, nothing is lost.
    async listen(channel, handlers) {
      const unsubscribe = await client.listen(channel, handlers.onMessage)
      handlers.onListening(true)
      return unsubscribe
    },
    close: () => client.close(),
  }
}

async function openPostgres(url: string): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // An idle client that loses its connection emits 'error'; without a listener that kills the process.
  pool.on('error', () => {})
  const db = drizzlePostgres({ client: pool, schema }) as unknown as Database
  return {
    kind: 'postgres',
    db,
    executeSql: (text, values, name) =>
      pool.query({ text, values: values as unknown[], ...(name ? { name } : {}) }),
    async migrate() {
      // Instances starting together take turns: the migrator itself does not lock.
      const client = await pool.connect()
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID])
        await migratePostgres(drizzlePostgres({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER })
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {})
        client.release()
      }
    },
    isMigrated: () => isMigrated((text) => pool.query(text)),
    listen: (channel, handlers) => listenPostgres(url, channel, handlers),
    close: () => pool.end(),
  }
}

const LISTEN_RETRY_MS = 1_000

/**
 * A dedicated connection (outside the pool) that LISTENs on `channel`. When it drops, the handlers
 * hear `onListening(false)` at once and it reconnects every second until it is listening again.
 */
async function listenPostgres(
  url: string,
  channel: string,
  handlers: NotificationHandlers,
): Promise<() => Promise<void>> {
  let client: pg.Client | null = null
  let isStopped = false
  let retry: NodeJS.Timeout | undefined

  async function connect(): Promise<void> {
    const candidate = new pg.Client({
      connectionString: url,
      application_name: `safeclose-listen-${channel}`,
    })
    const lost = () => {
      if (client !== candidate) return
      client = null
      handlers.onListening(false)
      scheduleRetry()
    }
    candidate.on('error', lost)
    candidate.on('end', lost)
    candidate.on('notification', (message) => {
      if (message.channel === channel) handlers.onMessage(message.payload ?? '')
    })
    try {
      await candidate.connect()
      await candidate.query(`listen ${candidate.escapeIdentifier(channel)}`)
    } catch {
      await candidate.end().catch(() => {})
      scheduleRetry()
      return
    }
    if (isStopped) {
      await candidate.end().catch(() => {})
      return
    }
    client = candidate
    handlers.onListening(true)
  }

  function scheduleRetry(): void {
    if (isStopped || retry) return
    retry = setTimeout(() => {
      retry = undefined
      void connect()
    }, LISTEN_RETRY_MS)
    retry.unref()
  }

  await connect()
  return async () => {
    isStopped = true
    clearTimeout(retry)
    const current = client
    client = null
    await current?.end().catch(() => {})
  }
}

async function isMigrated(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<boolean> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[]
  }
  try {
    const result = await query('select count(*)::int as applied from drizzle.__drizzle_migrations')
    const applied = (result.rows[0] as { applied: number } | undefined)?.applied ?? 0
    return applied >= journal.entries.length
  } catch {
    return false
  }
}
