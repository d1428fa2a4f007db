import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
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
// Any constant works; it only has to be the same for every instance migrating one database.
const MIGRATION_LOCK_ID = 7_240_531

export type Schema = typeof schema
/** The query builder over either driver; repositories depend on this type only. */
export type Database = PgDatabase<PgQueryResultHKT, Schema>
/** A transaction handle, accepted wherever a repository takes a `Database`. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]
export type Queryable = Database | Transaction

/** Plain SQL access for libraries that bring their own queries (pg-boss). */
export type SqlExecutor = (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>

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
    executeSql: (text, values) => pool.query(text, values as unknown[]),
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
