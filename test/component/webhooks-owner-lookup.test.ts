import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import { plaidItems } from '../../db/schema.ts'
import { insertMembership, insertUser } from '../../server/modules/auth/repository.ts'
import { findItemOwner, findItemOwners } from '../../server/modules/plaid/repository.ts'
import { insertWorkspace } from '../../server/modules/workspace/repository.ts'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'
import { eventually } from '../system/webhook-harness.ts'

const ITEMS = {
  /** Live in the emulator (the test server's environment), workspace A. */
  a: 'ownerLookupItemA00000000000000000000',
  /** Live in the emulator, workspace B. */
  b: 'ownerLookupItemB00000000000000000000',
  /** Removed in production (workspace B), live in the emulator (workspace A): the live row wins. */
  moved: 'ownerLookupItemMoved0000000000000000',
  /** Only a removed row, in production (workspace B). */
  removed: 'ownerLookupItemRemoved00000000000000',
  unknown: 'ownerLookupItemUnknown00000000000000',
}

/**
 * The Item look-ups before webhook verification, grouped (ADR 0029): the grouped query answers each
 * item_id exactly as the single look-up does, and concurrent deliveries for Items of two workspaces
 * and unknown Items, looked up together, are each stored with their own Item's workspace.
 */
describe('grouped Item look-ups of webhook deliveries', () => {
  let sandbox: SandboxWithSigningKey
  let t: TestApp
  let groupedQueries = 0
  let gate: Promise<void> | null = null
  let held = 0
  /** Reads of plaid_items through the query builder (the look-ups before verification). */
  let itemReads = 0
  const workspaces = { a: '', b: '' }

  /**
   * A query builder whose execution waits while the gate is shut if it reads plaid_items (so do the
   * builders its chained calls return).
   */
  function heldUntilOpen<B extends object>(builder: B, readsItems = false): B {
    return new Proxy(builder, {
      get(target, property) {
        const value = Reflect.get(target, property, target)
        if (property === 'then') {
          return (resolve: (value: unknown) => void, reject: (error: unknown) => void) => {
            if (readsItems) itemReads += 1
            const waiting = readsItems ? gate : null
            if (!waiting) return (value as PromiseLike<unknown>['then']).call(target, resolve, reject)
            held += 1
            return waiting.then(() => (value as PromiseLike<unknown>['then']).call(target, resolve, reject))
          }
        }
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          const result = value.apply(target, args)
          const items = readsItems || (property === 'from' && args[0] === plaidItems)
          const isBuilder = typeof result === 'object' && result !== null && 'then' in result
          return isBuilder ? heldUntilOpen(result, items) : result
        }
      },
    })
  }

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
    const handle = await createTestDatabase()
    // Counts the grouped look-up queries (the only top-level DISTINCT ON on the webhook path), and
    // holds top-level reads while the gate is shut, so concurrent look-ups overlap as on a busy server.
    const db = new Proxy(handle.db, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver)
        if (property !== 'select' && property !== 'selectDistinctOn') return value
        if (property === 'selectDistinctOn') groupedQueries += 1
        return (...args: unknown[]) =>
          heldUntilOpen((value as (...a: unknown[]) => object).apply(target, args))
      },
    })
    t = await buildTestApp({
      database: { ...handle, db } as DatabaseHandle,
      env: {
        PLAID_EMULATOR_URL: sandbox.url,
        WEBHOOK_WORKERS_IN_PROCESS: 'false',
        PLAID_RECONCILE_CRON: 'off',
      },
    })
    await t.database.db.transaction(async (tx) => {
      workspaces.a = (await insertWorkspace(tx, 'Lookup A')).id
      workspaces.b = (await insertWorkspace(tx, 'Lookup B')).id
      const user = async (workspaceId: string, email: string) => {
        const { id } = await insertUser(tx, { email, name: email, passwordHash: 'not-a-real-hash' })
        await insertMembership(tx, { userId: id, workspaceId, role: 'signer' })
        return id
      }
      const a1 = await user(workspaces.a, 'a1@lookup.test')
      const a2 = await user(workspaces.a, 'a2@lookup.test')
      const b1 = await user(workspaces.b, 'b1@lookup.test')
      const item = (workspaceId: string, userId: string, environment: 'emulator' | 'production') => ({
        id: randomUUID(),
        workspaceId,
        userId,
        environment,
      })
      await tx.insert(plaidItems).values([
        { ...item(workspaces.a, a1, 'emulator'), plaidItemId: ITEMS.a, status: 'good' },
        { ...item(workspaces.b, b1, 'emulator'), plaidItemId: ITEMS.b, status: 'good' },
        { ...item(workspaces.a, a2, 'emulator'), plaidItemId: ITEMS.moved, status: 'good' },
        { ...item(workspaces.b, b1, 'production'), plaidItemId: ITEMS.moved, status: 'removed' },
        { ...item(workspaces.b, b1, 'production'), plaidItemId: ITEMS.removed, status: 'removed' },
      ])
    })
  })
  afterAll(async () => {
    await t?.close()
    await sandbox?.close()
  })

  it('answers every item_id of a group as the single look-up does, unknown ones with nothing', async () => {
    const ids = [...Object.values(ITEMS), ITEMS.a]
    const grouped = await findItemOwners(t.database.db, ids)
    for (const id of ids) {
      expect(grouped.get(id) ?? null, id).toEqual(await findItemOwner(t.database.db, id))
    }
    expect(grouped.get(ITEMS.a)).toEqual({ environment: 'emulator', workspaceId: workspaces.a })
    expect(grouped.get(ITEMS.b)).toEqual({ environment: 'emulator', workspaceId: workspaces.b })
    expect(grouped.get(ITEMS.moved)).toEqual({ environment: 'emulator', workspaceId: workspaces.a })
    expect(grouped.get(ITEMS.removed)).toEqual({ environment: 'production', workspaceId: workspaces.b })
    expect(grouped.has(ITEMS.unknown)).toBe(false)
    expect(await findItemOwners(t.database.db, [])).toEqual(new Map())
  })

  it('stores concurrent deliveries looked up together each with its own Item’s workspace', async () => {
    const targets = [ITEMS.a, ITEMS.b, ITEMS.moved, ITEMS.unknown]
    const codes = [
      'NEW_ACCOUNTS_AVAILABLE',
      'PENDING_EXPIRATION',
      'USER_PERMISSION_REVOKED',
      'WEBHOOK_UPDATE_ACKNOWLEDGED',
    ]
    // Every Item in every code: 16 distinct bodies, sent at once.
    const deliveries = await Promise.all(
      codes.flatMap((code) =>
        targets.map(async (itemId) => ({
          itemId,
          signed: await sandbox.sign({
            webhook_type: 'ITEM',
            webhook_code: code,
            item_id: itemId,
            error: null,
          }),
        })),
      ),
    )
    const queriesBefore = groupedQueries
    let open: () => void = () => {}
    gate = new Promise((resolve) => {
      open = resolve
    })
    const sent = Promise.all(
      deliveries.map(({ signed }) =>
        t.app.inject({
          method: 'POST',
          url: '/api/webhooks/plaid',
          headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
          payload: signed.body,
        }),
      ),
    )
    // The first look-up alone, then (after the 2 ms window) a group beside it, both held.
    await eventually(async () => (held >= 2 ? true : undefined), 'look-ups held at the gate')
    await new Promise((resolve) => setTimeout(resolve, 100))
    gate = null
    open()
    const responses = await sent
    expect(responses.map((response) => response.statusCode)).toEqual(deliveries.map(() => 200))
    // Some look-ups shared a query, and fewer queries than deliveries ran.
    const queries = groupedQueries - queriesBefore
    expect(queries).toBeGreaterThan(0)
    expect(queries).toBeLessThan(deliveries.length)
    const expected: Record<string, string | null> = {
      [ITEMS.a]: workspaces.a,
      [ITEMS.b]: workspaces.b,
      [ITEMS.moved]: workspaces.a,
      [ITEMS.unknown]: null,
    }
    for (const [index, response] of responses.entries()) {
      const { event_id: eventId } = response.json() as { event_id: string }
      const { rows } = await t.database.executeSql(
        'select workspace_id, plaid_item_id, environment from webhook_events where id = $1::uuid',
        [eventId],
      )
      const itemId = deliveries[index]?.itemId as string
      expect(rows[0], itemId).toEqual({
        workspace_id: expected[itemId],
        plaid_item_id: itemId,
        environment: 'emulator',
      })
    }
  })

  it('verifies with the one environment that knows the kid before looking anything up, and checks the Item at commit', async () => {
    // The emulator's key has verified genuine webhooks above: only the emulator's verified keys hold its kid.
    const send = async (itemId: string) => {
      const signed = await sandbox.sign({
        webhook_type: 'ITEM',
        webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
        item_id: itemId,
        error: null,
        nonce: randomUUID(),
      })
      return t.app.inject({
        method: 'POST',
        url: '/api/webhooks/plaid',
        headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
        payload: signed.body,
      })
    }
    const readsBefore = itemReads
    const known = await send(ITEMS.b)
    const unknown = await send(ITEMS.unknown)
    expect([known.statusCode, unknown.statusCode]).toEqual([200, 200])
    // No look-up before verification; the statement that stored them filed each under its Item's workspace.
    expect(itemReads).toBe(readsBefore)
    for (const [response, workspaceId] of [
      [known, workspaces.b],
      [unknown, null],
    ] as const) {
      const { rows } = await t.database.executeSql(
        'select workspace_id, environment from webhook_events where id = $1::uuid',
        [(response.json() as { event_id: string }).event_id],
      )
      expect(rows[0]).toEqual({ workspace_id: workspaceId, environment: 'emulator' })
    }

    // An Item of production, signed with the emulator's key: not stored, and verified again the way it
    // always was, with production's keys (this server has no production credentials to fetch them).
    const eventsBefore = await t.database.executeSql('select count(*)::int as count from webhook_events')
    const foreign = await send(ITEMS.removed)
    expect(foreign.statusCode).toBe(503)
    expect(foreign.json()).toMatchObject({ error: { reason: 'key_service_unavailable' } })
    expect(itemReads).toBeGreaterThan(readsBefore)
    expect(await t.database.executeSql('select count(*)::int as count from webhook_events')).toEqual(
      eventsBefore,
    )
  })
})
