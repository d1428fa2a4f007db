import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pruneRateLimitCounters } from '../../server/http/rate-limit.ts'
import { runHousekeeping } from '../../server/jobs/housekeeping.ts'
import { createAuditService } from '../../server/modules/audit/service.ts'
import { createAuthService } from '../../server/modules/auth/service.ts'
import { deleteExpiredLinkResumes } from '../../server/modules/plaid/repository.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

describe('housekeeping', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  it('deletes expired sessions and day-old rate-limit windows, and keeps live ones', async () => {
    const liveCookie = await t.signIn(DEMO.signer)
    await t.signIn(DEMO.manager)
    // Age one session past its expiry and one counter past a day, as time would.
    await t.database.executeSql(
      `update sessions set expires_at = now() - interval '1 minute'
        where user_id = (select id from users where email = $1)`,
      [DEMO.manager],
    )
    await t.database.executeSql(
      `insert into rate_limit_counters (key, window_started_at, hits) values
        ('stale', now() - interval '25 hours', 3), ('fresh', now(), 1)`,
    )

    await t.database.executeSql(
      `insert into plaid_link_resumes (id, workspace_id, user_id, environment, mode, link_token_ciphertext,
         link_token_key_id, expires_at)
       select gen_random_uuid(), $1, id, 'emulator', 'create', 'c', 'k', expiry
       from users, (values (now() - interval '1 minute'), (now() + interval '10 minutes')) as e(expiry)
       where email in ($2, $3) and (email = $2) = (expiry < now())`,
      [t.workspaceId, DEMO.manager, DEMO.admin],
    )

    const db = t.database.db
    const auth = createAuthService({ db, audit: createAuditService({ db }), sessionTtlHours: 1 })
    const result = await runHousekeeping({
      deleteExpiredSessions: () => auth.deleteExpiredSessions(),
      deleteStaleRateLimitCounters: () => pruneRateLimitCounters(db, new Date()),
      deleteExpiredLinkResumes: () => deleteExpiredLinkResumes(db, new Date()),
    })
    const { rows: resumes } = await t.database.executeSql(
      'select u.email from plaid_link_resumes r join users u on u.id = r.user_id',
    )
    expect(resumes).toEqual([{ email: DEMO.admin }])

    expect(result).toEqual({ expiredSessions: 1 })
    const { rows: counters } = await t.database.executeSql(
      `select key from rate_limit_counters where key in ('stale', 'fresh') order by key`,
    )
    expect(counters).toEqual([{ key: 'fresh' }])
    const live = await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: liveCookie } })
    expect(live.statusCode).toBe(200)
  })

  it('still runs the other tasks when one fails, then reports the failure', async () => {
    let isCounterTaskRun = false
    await expect(
      runHousekeeping({
        deleteExpiredSessions: () => Promise.reject(new Error('sessions table locked')),
        deleteStaleRateLimitCounters: async () => {
          isCounterTaskRun = true
        },
        deleteExpiredLinkResumes: async () => 0,
      }),
    ).rejects.toThrow('sessions table locked')
    expect(isCounterTaskRun).toBe(true)
  })
})
