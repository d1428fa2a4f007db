import { PGlite } from '@electric-sql/pglite'
import Fastify from 'fastify'
import pg from 'pg'
import { PGLITE_OPTIONS } from '../db/client.ts'

/**
 * The plain one-query route: what a sample app such as Plaid Pattern does for "the user's Items"
 * (`GET /users/:id/items`): no session, no security headers, no query builder; one parameterised
 * statement through the driver, its rows as JSON. It reads an Item with its accounts, the same
 * shape as `GET /api/plaid/status`, from its own two tables (schema `bench_plain`): on PostgreSQL in
 * the bench's database (BENCH_DATABASE_URL), otherwise in its own in-memory PGlite, sized as the
 * server's. Started by the bench in its own process (BENCH_PORT).
 */
type Query = (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>

const USERS = 1_000
const SCHEMA = `
  create schema if not exists bench_plain;
  drop table if exists bench_plain.accounts;
  drop table if exists bench_plain.items;
  create table bench_plain.items (
    id serial primary key, user_id integer not null, item_id text not null, institution_name text,
    status text not null, error_code text, created_at timestamptz not null default now(),
    removed_at timestamptz);
  create index on bench_plain.items (user_id) where removed_at is null;
  create table bench_plain.accounts (
    id serial primary key, item_id integer not null references bench_plain.items (id),
    account_id text not null, name text not null, mask text, type text not null, subtype text);
  create index on bench_plain.accounts (item_id);
  insert into bench_plain.items (user_id, item_id, institution_name, status)
    select u, 'item-' || u, 'First Platypus Bank', 'good' from generate_series(1, ${USERS}) u;
  insert into bench_plain.accounts (item_id, account_id, name, mask, type, subtype)
    select i.id, 'acc-' || i.id || '-' || n, 'Plaid Checking', '000' || n, 'depository', 'checking'
    from bench_plain.items i, generate_series(0, 1) n;
`
const ITEMS_OF_USER = `
  select i.item_id, i.institution_name, i.status, i.error_code, i.created_at,
    coalesce(json_agg(json_build_object('account_id', a.account_id, 'name', a.name, 'mask', a.mask,
      'type', a.type, 'subtype', a.subtype) order by a.id) filter (where a.id is not null), '[]') as accounts
  from bench_plain.items i left join bench_plain.accounts a on a.item_id = i.id
  where i.user_id = $1 and i.removed_at is null
  group by i.id`

async function openDatabase(): Promise<{ query: Query; setUp(): Promise<void>; close(): Promise<void> }> {
  const url = process.env.BENCH_DATABASE_URL
  if (url) {
    const pool = new pg.Pool({ connectionString: url, max: 10 })
    return {
      query: (text, values) => pool.query(text, values),
      setUp: async () => void (await pool.query(SCHEMA)),
      close: () => pool.end(),
    }
  }
  const database = await PGlite.create(PGLITE_OPTIONS)
  return {
    query: (text, values) => database.query(text, values),
    setUp: async () => void (await database.exec(SCHEMA)),
    close: () => database.close(),
  }
}

const database = await openDatabase()
await database.setUp()
const app = Fastify({ logger: false })
app.get<{ Params: { id: string } }>('/users/:id/items', async (request) => {
  const { rows } = await database.query(ITEMS_OF_USER, [Number(request.params.id)])
  return { items: rows }
})

process.once('SIGTERM', () => {
  app.close().then(
    () => database.close().then(() => process.exit(0)),
    () => process.exit(1),
  )
})

await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT) })
