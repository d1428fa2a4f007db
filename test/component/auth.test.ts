import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

describe('sign-in, session and sign-out', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp()
  })
  afterAll(() => t.close())

  it('signs in with e-mail and password and sets an httpOnly SameSite=Lax cookie', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      payload: { email: 'Admin@Safeclose.test', password: DEMO.password },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({
      user: { email: DEMO.admin, name: 'Avery Admin' },
      workspace: { name: 'Demo Closings' },
      role: 'admin',
    })
    const cookie = response.cookies.find((entry) => entry.name === 'safeclose_session')
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
    expect(cookie?.secure).toBeFalsy()
    expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it.each([
    ['a wrong password', { email: DEMO.admin, password: 'nope' }],
    ['an unknown e-mail', { email: 'nobody@safeclose.test', password: DEMO.password }],
  ])(
    'answers 401 INVALID_CREDENTIALS for %s, without saying which part was wrong',
    async (_case, payload) => {
      const response = await t.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload })
      expect(response.statusCode).toBe(401)
      expect(response.json()).toEqual({
        error: { code: 'INVALID_CREDENTIALS', message: 'The e-mail address or password is incorrect.' },
        request_id: expect.any(String),
      })
      expect(response.cookies).toHaveLength(0)
    },
  )

  it.each([
    ['a missing password', { email: DEMO.admin }, 'body.password is required'],
    ['a non-string e-mail', { email: 42, password: 'x' }, 'body.email'],
    ['an unknown field', { email: DEMO.admin, password: 'x', remember: true }, 'remember'],
  ])('answers 400 naming the field for %s', async (_case, payload, message) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.code).toBe('VALIDATION_FAILED')
    expect(response.json().error.message).toContain(message)
  })

  it('answers 400 for malformed JSON and 415 for a non-JSON body', async () => {
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":',
    })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().error.code).toBe('MALFORMED_JSON')
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      headers: { 'content-type': 'text/plain' },
      payload: 'email=a',
    })
    expect(wrongType.statusCode).toBe(415)
    expect(wrongType.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE')
  })

  it('answers 413 for a body over the limit', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      payload: { email: DEMO.admin, password: 'x'.repeat(t.config.bodyLimitBytes + 10) },
    })
    expect(response.statusCode).toBe(413)
    expect(response.json().error.code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('returns the session for a valid cookie and 401 JSON without one', async () => {
    const cookie = await t.signIn(DEMO.signer)
    const withSession = await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })
    expect(withSession.statusCode).toBe(200)
    expect(withSession.json()).toMatchObject({ user: { email: DEMO.signer }, role: 'signer' })

    for (const headers of [{}, { cookie: 'safeclose_session=forged-token' }]) {
      const response = await t.app.inject({ method: 'GET', url: '/api/session', headers })
      expect(response.statusCode).toBe(401)
      expect(response.json().error.code).toBe('UNAUTHENTICATED')
    }
  })

  it('ends the session server-side on sign-out, so the old cookie stops working', async () => {
    const cookie = await t.signIn(DEMO.manager)
    const signOut = await t.app.inject({ method: 'POST', url: '/api/auth/sign-out', headers: { cookie } })
    expect(signOut.statusCode).toBe(204)
    const after = await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })
    expect(after.statusCode).toBe(401)
  })

  it('answers unknown /api routes with a 404 JSON error', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/does-not-exist' })
    expect(response.statusCode).toBe(404)
    expect(response.json().error.code).toBe('NOT_FOUND')
  })
})

describe('sign-in rate limit', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ env: { SIGN_IN_ATTEMPTS_PER_MINUTE: '3' } })
  })
  afterAll(() => t.close())

  it('answers 429 JSON past the limit for one IP and e-mail, while other e-mails still work', async () => {
    const attempt = (email: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload: { email, password: 'wrong' } })
    const statuses = []
    for (let index = 0; index < 4; index += 1) statuses.push((await attempt(DEMO.admin)).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429])
    const limited = await attempt(DEMO.admin)
    expect(limited.json().error.code).toBe('RATE_LIMITED')
    expect(limited.headers['retry-after']).toBeDefined()
    expect((await attempt(DEMO.signer)).statusCode).toBe(401)
  })
})

describe('cross-site request protection', () => {
  let t: TestApp
  let cookie: string
  beforeAll(async () => {
    t = await buildTestApp()
    cookie = await t.signIn(DEMO.admin)
  })
  afterAll(() => t.close())

  const change = (headers: Record<string, string>) =>
    t.app.inject({
      method: 'PUT',
      url: '/api/admin/plaid-settings',
      headers: { cookie, ...headers },
      payload: { webhook_base_url: 'https://hooks.safeclose.test' },
    })

  it.each([
    ['another Origin', { origin: 'https://evil.example' }],
    ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site', origin: 'https://sub.safeclose.test' }],
  ])('rejects a state change from %s with 403', async (_case, headers) => {
    const response = await change(headers)
    expect(response.statusCode).toBe(403)
    expect(response.json().error.code).toBe('CROSS_SITE_REQUEST')
  })

  it.each([
    ['no Origin (curl with a Cookie header)', {}],
    ['our own Origin', { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }],
  ])('accepts a state change with %s', async (_case, headers) => {
    expect((await change(headers)).statusCode).toBe(200)
  })
})

describe('session cookie on an https public URL', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ env: { PUBLIC_URL: 'https://closings.safeclose.test' } })
  })
  afterAll(() => t.close())

  it('marks the cookie Secure', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      payload: { email: DEMO.admin, password: DEMO.password },
    })
    expect(response.cookies.find((entry) => entry.name === 'safeclose_session')?.secure).toBe(true)
  })
})
