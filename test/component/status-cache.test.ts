import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { shareTestDatabase } from '../helpers/database.ts'
import { startTestEmulator, type TestEmulator } from '../helpers/plaid.ts'

/** Another instance must see a change within 1 s; we look for up to 1.5 s before failing. */
const OTHER_INSTANCE_DEADLINE_MS = 1_500

// Two app instances over one database (on PGlite, the same embedded database in this process). Each
// test reads the status on both instances first, so both have it cached: a change one of them did
// not hear of would show there for the cache's lifetime (30 s), not 1.5 s.
describe('status cache: changes seen across two instances', () => {
  let emulator: TestEmulator
  let a: TestApp
  let b: TestApp
  const onA = apiClient(() => a.app)
  const onB = apiClient(() => b.app)
  let signer: string

  beforeAll(async () => {
    emulator = await startTestEmulator()
  })
  afterAll(async () => {
    await emulator.close()
  })
  beforeEach(async () => {
    const env = { PLAID_EMULATOR_URL: emulator.url }
    a = await buildTestApp({ env })
    b = await buildTestApp({ env, database: await shareTestDatabase(a.database), seedDemo: false })
    signer = await a.signIn(DEMO.signer)
  })
  afterEach(async () => {
    await b?.close()
    await a?.close()
  })

  const status = (client: ReturnType<typeof apiClient>) => client.ok('GET', '/api/plaid/status', signer)

  async function warm(): Promise<void> {
    for (const client of [onA, onB, onA, onB]) await status(client)
  }

  /** Polls `client` until `isDone` holds for the status; fails after the deadline. */
  async function statusWithin(
    client: ReturnType<typeof apiClient>,
    isDone: (body: JsonBody) => boolean,
  ): Promise<JsonBody> {
    const started = Date.now()
    for (;;) {
      const body = await status(client)
      if (isDone(body)) return body
      if (Date.now() - started > OTHER_INSTANCE_DEADLINE_MS) {
        throw new Error(
          `the change was not seen after ${OTHER_INSTANCE_DEADLINE_MS} ms: ${JSON.stringify(body)}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  async function link(): Promise<JsonBody> {
    return onA.ok('POST', '/api/plaid/exchange', signer, { public_token: await emulator.createPublicToken() })
  }

  it('linking on one instance: that instance answers with the Item at once, the other within 1 s', async () => {
    await warm()
    expect((await status(onB)).connected).toBe(false)
    await link()
    expect((await status(onA)).connected).toBe(true)
    await statusWithin(onB, (body) => body.connected === true)
  })

  it('a change written outside any request (a worker, a webhook, SQL) reaches both instances', async () => {
    await link()
    await warm()
    await a.database.executeSql("update plaid_items set status = 'login_required' where status = 'good'")
    for (const client of [onA, onB]) {
      await statusWithin(client, (body) => (body.item as JsonBody | null)?.status === 'login_required')
    }
    // An account change alone is enough too.
    await a.database.executeSql("update plaid_accounts set name = 'Renamed checking'")
    for (const client of [onA, onB]) {
      await statusWithin(client, (body) =>
        ((body.item as JsonBody).accounts as JsonBody[]).some(
          (account) => account.name === 'Renamed checking',
        ),
      )
    }
  })

  it('changing the workspace’s Plaid environment changes every member’s status', async () => {
    await link()
    await warm()
    await a.database.executeSql(
      "insert into workspace_plaid_settings (workspace_id, environment) values ($1, 'sandbox') on conflict (workspace_id) do update set environment = 'sandbox'",
      [a.workspaceId],
    )
    for (const client of [onA, onB]) {
      await statusWithin(client, (body) => body.environment === 'sandbox' && body.item === null)
    }
  })

  it('is really used: with its notifications silenced, a cached status outlives a change', async () => {
    await link()
    await warm()
    await a.database.executeSql('alter table plaid_items disable trigger plaid_items_plaid_status')
    try {
      await a.database.executeSql("update plaid_items set status = 'login_required' where status = 'good'")
      await new Promise((resolve) => setTimeout(resolve, 300))
      // Both instances answer from memory: the database already says otherwise.
      expect(((await status(onA)).item as JsonBody).status).toBe('good')
      expect(((await status(onB)).item as JsonBody).status).toBe('good')
    } finally {
      await a.database.executeSql('alter table plaid_items enable trigger plaid_items_plaid_status')
    }
  })

  it('another principal’s change leaves nobody else’s answer wrong', async () => {
    const manager = await a.signIn(DEMO.manager)
    await warm()
    const before = await onB.ok('GET', '/api/plaid/status', manager)
    expect(before.connected).toBe(false)
    await link()
    // The manager still has no Item; the signer has one, on both instances.
    expect((await onB.ok('GET', '/api/plaid/status', manager)).connected).toBe(false)
    await statusWithin(onB, (body) => body.connected === true)
  })
})
