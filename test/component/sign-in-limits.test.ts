import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rateLimitCounters } from '../../db/schema.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

function signIn(t: TestApp, remoteAddress: string, email: string, password = 'wrong-password') {
  return t.app.inject({
    method: 'POST',
    url: '/api/auth/sign-in/email',
    remoteAddress,
    payload: { email, password },
  })
}

describe('sign-in limit per address, whatever the e-mail', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({
      env: { SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE: '3', SIGN_IN_ATTEMPTS_PER_MINUTE: '100' },
    })
  })
  afterAll(() => t.close())

  it('answers 429 with Retry-After once one address tried too many e-mails; another address still signs in', async () => {
    const statuses = []
    for (const index of [1, 2, 3, 4]) {
      statuses.push((await signIn(t, '198.51.100.7', `nobody${index}@example.test`)).statusCode)
    }
    expect(statuses).toEqual([401, 401, 401, 429])

    const limited = await signIn(t, '198.51.100.7', DEMO.admin, DEMO.password)
    expect(limited.statusCode).toBe(429)
    expect(limited.json().error.code).toBe('RATE_LIMITED')
    const retryAfter = Number(limited.headers['retry-after'])
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)

    const other = await signIn(t, '198.51.100.8', DEMO.admin, DEMO.password)
    expect(other.statusCode).toBe(200)
  })

  it('remembers a refused address until its window ends, so refusals write nothing to the database', async () => {
    const hits = async () => {
      const [row] = await t.database.db
        .select({ hits: rateLimitCounters.hits })
        .from(rateLimitCounters)
        .where(eq(rateLimitCounters.key, 'sign-in-ip:198.51.100.7'))
      return row?.hits
    }
    const before = await hits()
    expect(before).toBeGreaterThanOrEqual(4)
    for (let index = 0; index < 5; index += 1) {
      expect((await signIn(t, '198.51.100.7', `again${index}@example.test`)).statusCode).toBe(429)
    }
    expect(await hits()).toBe(before)
  })
})

describe('password hashing queue', () => {
  let t: TestApp
  beforeAll(async () => {
    // One hash at a time, four may wait; one address may hold 1 + 4/4 = 2 places.
    t = await buildTestApp({
      env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_LIMIT: '4' },
    })
  })
  afterAll(() => t.close())

  it('refuses a flood from one address beyond its share with 429 + Retry-After, and serves another address', async () => {
    const flood = Array.from({ length: 8 }, (_, index) =>
      signIn(t, '203.0.113.9', `unknown${index}@example.test`),
    )
    const legitimate = signIn(t, '203.0.113.10', DEMO.admin, DEMO.password)
    const [floodAnswers, legitimateAnswer] = await Promise.all([Promise.all(flood), legitimate])

    const statuses = floodAnswers.map((response) => response.statusCode).sort()
    expect(statuses).toEqual([401, 401, 429, 429, 429, 429, 429, 429])
    for (const refused of floodAnswers.filter((response) => response.statusCode === 429)) {
      expect(refused.json().error.code).toBe('RATE_LIMITED')
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    }
    expect(legitimateAnswer.statusCode).toBe(200)
  })

  it('refuses when the whole queue is full, from any address', async () => {
    // Five addresses with two each want ten places: one runs, four wait, the rest are refused.
    const requests = Array.from({ length: 10 }, (_, index) =>
      signIn(t, `192.0.2.${10 + Math.floor(index / 2)}`, `unknown${index}@example.test`),
    )
    const statuses = (await Promise.all(requests)).map((response) => response.statusCode)
    expect(statuses.filter((status) => status === 401)).toHaveLength(5)
    expect(statuses.filter((status) => status === 429)).toHaveLength(5)
    // Once the queue drained, sign-in works again.
    expect((await signIn(t, '192.0.2.10', DEMO.admin, DEMO.password)).statusCode).toBe(200)
  })
})
