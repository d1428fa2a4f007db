import type { Products } from 'plaid'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../../server/modules/auth/password.ts'
import { insertMembership, insertUser } from '../../server/modules/auth/repository.ts'
import { createPlaidGateway } from '../../server/modules/plaid/gateway.ts'
import { listItemsToReconcile } from '../../server/modules/plaid/repository.ts'
import { insertWorkspace } from '../../server/modules/workspace/repository.ts'
import { DEMO_PASSWORD } from '../../server/seed/demo-workspace.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { type SandboxWithSigningKey, startSandboxWithSigningKey } from '../helpers/webhook-signing.ts'
import { eventually } from '../system/webhook-harness.ts'

type Json = Record<string, unknown>

const OTHER = { admin: 'admin@other-closings.test', signer: 'signer@other-closings.test' }

/**
 * Two workspaces share one webhook endpoint: each admin sees, re-drives and reconciles only what is
 * attributed to their own workspace. Events without a workspace and rejected deliveries are shown to
 * nobody (they stay in the logs and the operators' counters).
 */
describe('webhook administration is scoped to the workspace', () => {
  let sandbox: SandboxWithSigningKey
  let t: TestApp
  let otherWorkspaceId: string
  const items = { demo: '', other: '' }
  const tokens = { demo: '', other: '' }
  const itemGetTokens: string[] = []
  const events = { demo: '', other: '', unknownItem: '', noItem: '' }
  let cookies: { demoAdmin: string; otherAdmin: string }

  beforeAll(async () => {
    sandbox = await startSandboxWithSigningKey()
    const real = createPlaidGateway({ emulatorUrl: sandbox.url })
    let lastExchangedToken = ''
    t = await buildTestApp({
      env: {
        PLAID_EMULATOR_URL: sandbox.url,
        JOB_POLLING_INTERVAL_SECONDS: '0.5',
        PLAID_RECONCILE_CRON: 'off',
        WEBHOOK_ITEM_WAIT_SECONDS: '0',
      },
      plaidGateway: {
        ...real,
        async exchangePublicToken(connection, publicToken) {
          const result = await real.exchangePublicToken(connection, publicToken)
          lastExchangedToken = result.accessToken
          return result
        },
        async getItem(connection, accessToken) {
          itemGetTokens.push(accessToken)
          return real.getItem(connection, accessToken)
        },
      },
    })
    // A second workspace with its own admin and signer, made the way the seed makes the demo one.
    const passwordHash = await hashPassword(DEMO_PASSWORD)
    otherWorkspaceId = await t.database.db.transaction(async (tx) => {
      const workspace = await insertWorkspace(tx, 'Other Closings')
      for (const [email, role] of [
        [OTHER.admin, 'admin'],
        [OTHER.signer, 'signer'],
      ] as const) {
        const user = await insertUser(tx, { email, name: email, passwordHash })
        await insertMembership(tx, { userId: user.id, workspaceId: workspace.id, role })
      }
      return workspace.id
    })
    cookies = { demoAdmin: await t.signIn(DEMO.admin), otherAdmin: await t.signIn(OTHER.admin) }

    async function link(signerEmail: string): Promise<{ itemId: string; token: string }> {
      const created = await sandbox.plaid.sandboxPublicTokenCreate({
        institution_id: 'ins_109508',
        initial_products: ['auth' as Products],
        options: { webhook: 'http://127.0.0.1:9/unreachable' },
      })
      const exchanged = await t.app.inject({
        method: 'POST',
        url: '/api/plaid/exchange',
        headers: { cookie: await t.signIn(signerEmail) },
        payload: { public_token: created.data.public_token },
      })
      expect(exchanged.statusCode, exchanged.body).toBe(200)
      return { itemId: exchanged.json().item_id, token: lastExchangedToken }
    }
    const demo = await link(DEMO.signer)
    const other = await link(OTHER.signer)
    items.demo = demo.itemId
    items.other = other.itemId
    tokens.demo = demo.token
    tokens.other = other.token

    async function deliver(payload: Json): Promise<string> {
      const signed = await sandbox.sign({
        webhook_type: 'ITEM',
        webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
        ...payload,
      })
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/webhooks/plaid',
        headers: { 'content-type': 'application/json', 'plaid-verification': signed.signature },
        payload: signed.body,
      })
      expect(response.statusCode, response.body).toBe(200)
      return response.json().event_id
    }
    events.demo = await deliver({ item_id: items.demo, error: null })
    events.other = await deliver({ item_id: items.other, error: null })
    events.unknownItem = await deliver({ item_id: 'itemThatNoWorkspaceLinked0000000000', error: null })
    events.noItem = await deliver({})
    // A rejected delivery, counted for operators.
    const rejected = await t.app.inject({
      method: 'POST',
      url: '/api/webhooks/plaid',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ webhook_type: 'ITEM', webhook_code: 'ERROR', item_id: items.demo }),
    })
    expect(rejected.statusCode).toBe(401)
    await eventually(async () => {
      const { rows } = await t.database.executeSql(
        "select count(*)::int as count from webhook_events where state in ('queued', 'retrying')",
      )
      return (rows[0] as { count: number }).count === 0 ? true : undefined
    }, 'all four events settled')
  })
  afterAll(async () => {
    await t?.close()
    await sandbox?.close()
  })

  async function view(cookie: string, query = '') {
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/admin/webhooks${query}`,
      headers: { cookie },
    })
    expect(response.statusCode, response.body).toBe(200)
    return response.json() as { events: Json[]; counts: Record<string, number> } & Json
  }

  it('lists to each admin only the events of their workspace, and no unattributed events or rejections', async () => {
    const demoView = await view(cookies.demoAdmin)
    expect(demoView.events.map((event) => event.id)).toEqual([events.demo])
    expect(demoView.counts).toEqual({ processed: 1 })
    expect(demoView).not.toHaveProperty('rejected_last_24h')

    const otherView = await view(cookies.otherAdmin)
    expect(otherView.events.map((event) => event.id)).toEqual([events.other])
    expect(otherView.events[0]).toMatchObject({ item_id: items.other, state: 'processed' })
    expect(otherView.counts).toEqual({ processed: 1 })

    // The state filter does not widen the scope: the two orphans are listed to nobody.
    expect((await view(cookies.demoAdmin, '?state=orphaned')).events).toEqual([])
    expect((await view(cookies.otherAdmin, '?state=orphaned')).events).toEqual([])
    const { rows } = await t.database.executeSql(
      'select id, state, workspace_id from webhook_events where workspace_id is null order by id',
    )
    expect(rows).toHaveLength(2)
    expect(new Set(rows.map((row) => (row as Json).id))).toEqual(new Set([events.unknownItem, events.noItem]))
    expect(rows.every((row) => (row as Json).state === 'orphaned')).toBe(true)
    // The rejection is still counted for operators.
    const rejections = await t.database.executeSql('select sum(count)::int as count from webhook_rejections')
    expect((rejections.rows[0] as { count: number }).count).toBe(1)
  })

  it("re-drives only the caller's own events: another workspace's and unattributed ones are not found", async () => {
    const redrive = (cookie: string, id: string) =>
      t.app.inject({ method: 'POST', url: `/api/admin/webhooks/${id}/redrive`, headers: { cookie } })
    expect((await redrive(cookies.demoAdmin, events.other)).statusCode).toBe(404)
    expect((await redrive(cookies.otherAdmin, events.demo)).statusCode).toBe(404)
    expect((await redrive(cookies.demoAdmin, events.unknownItem)).statusCode).toBe(404)
    expect((await redrive(cookies.otherAdmin, events.noItem)).statusCode).toBe(404)
    // Its own event is found (and refused only because it is not dead).
    expect((await redrive(cookies.demoAdmin, events.demo)).statusCode).toBe(409)
  })

  it("reconciles on an admin's request only that admin's workspace; the scheduled pass covers all", async () => {
    itemGetTokens.length = 0
    const requested = await t.app.inject({
      method: 'POST',
      url: '/api/admin/webhooks/reconcile',
      headers: { cookie: cookies.otherAdmin },
    })
    expect(requested.statusCode).toBe(202)
    await eventually(async () => {
      const { rows } = await t.database.executeSql(
        "select count(*)::int as count from pgboss.job where name = 'plaid-reconcile' and state = 'completed'",
      )
      return (rows[0] as { count: number }).count === 1 ? true : undefined
    }, 'the requested reconciliation finished')
    expect(itemGetTokens).toEqual([tokens.other])

    // What the cron job (no workspace) and an admin's job (one workspace) each select.
    const all = await listItemsToReconcile(t.database.db, 100)
    expect(new Set(all.map((item) => item.plaidItemId))).toEqual(new Set([items.demo, items.other]))
    const scoped = await listItemsToReconcile(t.database.db, 100, otherWorkspaceId)
    expect(scoped.map((item) => item.plaidItemId)).toEqual([items.other])
    expect(scoped.every((item) => item.workspaceId === otherWorkspaceId)).toBe(true)
  })
})
