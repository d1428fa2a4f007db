import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { type DatabaseHandle, openDatabase, PGLITE_OPTIONS, wrapPglite } from '../../db/client.ts'

/**
 * A fresh, migrated database per call. PGlite (default): a migrated template is built once per test
 * file and cloned, which takes a fraction of a cold start. PostgreSQL (SAFECLOSE_TEST_DATABASE=postgres
 * with TEST_DATABASE_URL): a new database per call, dropped on close.
 */
export async function createTestDatabase(): Promise<DatabaseHandle> {
  return process.env.SAFECLOSE_TEST_DATABASE === 'postgres'
    ? createPostgresDatabase()
    : createPgliteDatabase()
}

const postgresUrls = new WeakMap<DatabaseHandle, string>()

/**
 * Another handle on the database of `handle`, as a second app instance would open it: its own
 * connections on PostgreSQL; the very same embedded database on PGlite (one process owns it).
 * Closing it leaves the database alone: close the original for that.
 */
export async function shareTestDatabase(handle: DatabaseHandle): Promise<DatabaseHandle> {
  if (handle.kind === 'pglite') return { ...handle, close: async () => {} }
  const url = postgresUrls.get(handle)
  if (!url) throw new Error('shareTestDatabase needs a database made by createTestDatabase')
  return openDatabase({ kind: 'postgres', url })
}

let pgliteTemplate: Promise<PGlite> | undefined

async function createPgliteDatabase(): Promise<DatabaseHandle> {
  pgliteTemplate ??= (async () => {
    const template = await PGlite.create(PGLITE_OPTIONS)
    await wrapPglite(template).migrate()
    return template
  })()
  // clone() is typed as the narrower interface but returns a full PGlite instance.
  return wrapPglite((await (await pgliteTemplate).clone()) as PGlite)
}

async function createPostgresDatabase(): Promise<DatabaseHandle> {
  const adminUrl = process.env.TEST_DATABASE_URL
  if (!adminUrl) throw new Error('SAFECLOSE_TEST_DATABASE=postgres needs TEST_DATABASE_URL')
  const name = `safeclose_test_${randomBytes(6).toString('hex')}`
  await withAdminClient(adminUrl, (client) => client.query(`create database ${name}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const handle = await openDatabase({ kind: 'postgres', url: url.toString() })
  await handle.migrate()
  const shared: DatabaseHandle = {
    ...handle,
    async close() {
      await handle.close()
      await withAdminClient(adminUrl, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      )
    },
  }
  postgresUrls.set(shared, url.toString())
  return shared
}

async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
