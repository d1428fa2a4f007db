import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// Migration 0005 moves data written under the old model (a link session *was* a user; Items belonged
// to users) into principals. This test builds a database at 0004, writes old-model rows, applies
// 0005 and checks where each row ended up.
const MIGRATIONS = fileURLToPath(new URL('../../db/migrations/', import.meta.url))
const files = readdirSync(MIGRATIONS)
  .filter((name) => name.endsWith('.sql'))
  .sort()

async function apply(db: PGlite, file: string): Promise<void> {
  for (const statement of readFileSync(`${MIGRATIONS}${file}`, 'utf8').split('--> statement-breakpoint')) {
    if (statement.trim()) await db.exec(statement)
  }
}

const ID = {
  workspace: '00000000-0000-4000-8000-000000000001',
  linkUser: '00000000-0000-4000-8000-000000000002',
  staffUser: '00000000-0000-4000-8000-000000000003',
  pkg: '00000000-0000-4000-8000-000000000004',
  signer: '00000000-0000-4000-8000-000000000005',
  link: '00000000-0000-4000-8000-000000000006',
  chosenItem: '00000000-0000-4000-8000-000000000007',
  labItem: '00000000-0000-4000-8000-000000000008',
}

describe('migration 0005_principals', () => {
  let db: PGlite

  beforeAll(async () => {
    expect(files.indexOf('0005_principals.sql')).toBe(5)
    db = await PGlite.create()
    for (const file of files.slice(0, 5)) await apply(db, file)
    await db.exec(`
      insert into workspaces (id, name) values ('${ID.workspace}', 'Old Title');
      insert into users (id, email, name, password_hash) values
        ('${ID.linkUser}', 'signer@old.test', 'Sam Old', 'x'),
        ('${ID.staffUser}', 'staff@old.test', 'Stan Staff', 'x');
      insert into memberships (user_id, workspace_id, role) values
        ('${ID.linkUser}', '${ID.workspace}', 'signer'), ('${ID.staffUser}', '${ID.workspace}', 'manager');
      insert into signing_packages (id, workspace_id, title, status) values ('${ID.pkg}', '${ID.workspace}', 'Deal', 'active');
      insert into signers (id, package_id, position, legal_name, email, user_id)
        values ('${ID.signer}', '${ID.pkg}', 1, 'Sam Old', 'signer@old.test', '${ID.linkUser}');
      insert into signing_links (id, signer_id, token_hash, expires_at)
        values ('${ID.link}', '${ID.signer}', 'link-hash', now() + interval '1 day');
      insert into sessions (token_hash, user_id, workspace_id, expires_at) values
        ('link-session', '${ID.linkUser}', '${ID.workspace}', now() + interval '1 day'),
        ('staff-session', '${ID.staffUser}', '${ID.workspace}', now() + interval '1 day');
      insert into signer_sessions (session_token_hash, signer_id, link_id) values ('link-session', '${ID.signer}', '${ID.link}');
      insert into plaid_items (id, workspace_id, user_id, environment, plaid_item_id, status) values
        ('${ID.chosenItem}', '${ID.workspace}', '${ID.linkUser}', 'emulator', 'item-chosen', 'good'),
        ('${ID.labItem}', '${ID.workspace}', '${ID.staffUser}', 'emulator', 'item-lab', 'good');
      insert into signer_bank_verifications (signer_id, item_id, plaid_item_id, plaid_account_id, account_name, verdict, verified_at)
        values ('${ID.signer}', '${ID.chosenItem}', 'item-chosen', 'acc-1', 'Checking', 'verified', now());
      insert into link_events (workspace_id, user_id, environment, kind) values ('${ID.workspace}', '${ID.staffUser}', 'emulator', 'event');
    `)
    await apply(db, '0005_principals.sql')
  })
  afterAll(async () => {
    await db?.close()
  })

  it('turns link sessions into signer sessions and leaves password sessions alone', async () => {
    const { rows } = await db.query('select token_hash, user_id from sessions order by token_hash')
    expect(rows).toEqual([
      { token_hash: 'link-session', user_id: null },
      { token_hash: 'staff-session', user_id: ID.staffUser },
    ])
  })

  it("gives a payout account's Item to its signer and keeps other Items with their member", async () => {
    const { rows } = await db.query('select id, user_id, signer_id from plaid_items order by id')
    expect(rows).toEqual([
      { id: ID.chosenItem, user_id: null, signer_id: ID.signer },
      { id: ID.labItem, user_id: ID.staffUser, signer_id: null },
    ])
  })

  it('drops the signer-to-user column and enforces exactly one owner', async () => {
    const { rows } = await db.query(
      "select column_name from information_schema.columns where table_name = 'signers' and column_name = 'user_id'",
    )
    expect(rows).toEqual([])
    await expect(
      db.exec(`insert into plaid_items (id, workspace_id, user_id, signer_id, environment, plaid_item_id, status)
        values (gen_random_uuid(), '${ID.workspace}', '${ID.staffUser}', '${ID.signer}', 'sandbox', 'item-both', 'good')`),
    ).rejects.toThrow(/plaid_items_owner_check/)
    const { rows: events } = await db.query('select user_id, signer_id from link_events')
    expect(events).toEqual([{ user_id: ID.staffUser, signer_id: null }])
  })
})
