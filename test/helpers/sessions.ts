import { expect } from 'vitest'
import { hashSessionToken } from '../../server/modules/auth/service.ts'
import type { apiClient } from './api-client.ts'
import type { TestApp } from './build-app.ts'

/** Another instance must see a revocation within 1 s; we look for up to 1.5 s before failing. */
export const OTHER_INSTANCE_DEADLINE_MS = 1_500

/** Polls until `cookie` is refused by `app`; fails after the deadline. Returns how long it took. */
export async function refusedWithin(
  client: ReturnType<typeof apiClient>,
  cookie: string,
  deadlineMs = OTHER_INSTANCE_DEADLINE_MS,
): Promise<number> {
  const started = Date.now()
  for (;;) {
    const response = await client.call('GET', '/api/session', cookie)
    if (response.statusCode === 401) return Date.now() - started
    expect(response.statusCode).toBe(200)
    if (Date.now() - started > deadlineMs) {
      throw new Error(`the session was still accepted after ${deadlineMs} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export const tokenHashOf = (cookie: string) => hashSessionToken(cookie.slice(cookie.indexOf('=') + 1))

/** Deletes a session row with its trigger disabled: no instance hears of it. */
export async function deleteSilently(t: TestApp, cookie: string): Promise<void> {
  await t.database.executeSql('alter table sessions disable trigger sessions_session_cache')
  await t.database.executeSql('delete from sessions where token_hash = $1', [tokenHashOf(cookie)])
  await t.database.executeSql('alter table sessions enable trigger sessions_session_cache')
}
