import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { deleteSilently, refusedWithin, tokenHashOf } from '../helpers/sessions.ts'

// PostgreSQL only (a `.pg.test.ts` file runs in the component-postgres project alone): the listening
// connection exists there; the embedded database notifies in-process and has none to lose.
describe('session cache: the listening connection drops', () => {
  let t: TestApp
  const client = apiClient(() => t.app)

  beforeEach(async () => {
    t = await buildTestApp()
  })
  afterEach(async () => {
    await t?.close()
  })

  const listenerCount = async () => {
    const { rows } = await t.database.executeSql(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'safeclose-listen-session_cache'",
    )
    return (rows[0] as { n: number }).n
  }

  it('forgets everything when it loses the connection, and listens again after reconnecting', async () => {
    const cookie = await t.signIn(DEMO.manager)
    await client.ok('GET', '/api/session', cookie)
    expect(await listenerCount()).toBe(1)
    await t.database.executeSql(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'safeclose-listen-session_cache'",
    )
    // A change nobody is told about (no trigger): only forgetting on the loss can refuse it in time.
    // Well before the reconnection (a second later) would clear the cache.
    await deleteSilently(t, cookie)
    await refusedWithin(client, cookie, 600)

    // It reconnects (every second) and caches again: a session deleted behind its back lives on ...
    const started = Date.now()
    for (;;) {
      const probe = await t.signIn(DEMO.manager)
      await client.ok('GET', '/api/session', probe)
      await deleteSilently(t, probe)
      if ((await client.call('GET', '/api/session', probe)).statusCode === 200) break
      if (Date.now() - started > 5_000) throw new Error('the cache did not resume after reconnecting')
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(await listenerCount()).toBe(1)
    // ... and hears revocations again.
    const next = await t.signIn(DEMO.manager)
    await client.ok('GET', '/api/session', next)
    await t.database.executeSql('delete from sessions where token_hash = $1', [tokenHashOf(next)])
    await refusedWithin(client, next)
  })
})
