import { Writable } from 'node:stream'
import { sql } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../../server/logger.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

const SECRETS = {
  password: DEMO.password,
  plaidSecret: 'plaid-secret-value-9f8e7d',
  accessToken: 'access-sandbox-11111111-2222-3333-4444-555555555555',
  publicToken: 'public-sandbox-66666666-7777-8888-9999-000000000000',
}

describe('log redaction', () => {
  let t: TestApp
  let output = ''
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output += chunk.toString()
        done()
      },
    })
    t = await buildTestApp({ logger: pino({ ...loggerOptions('trace') }, sink) })
  })
  afterAll(() => t.close())

  it('never writes passwords, cookies, Plaid secrets or tokens, wherever they sit in a log object', async () => {
    const cookie = await t.signIn(DEMO.admin)
    await t.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })
    await t.app.inject({
      method: 'POST',
      url: '/api/auth/sign-in/email',
      payload: { email: DEMO.admin, password: 'wrong-guess-123' },
    })

    // The shapes that leak in real Plaid integrations: a request body, and an axios error whose
    // config carries the PLAID-SECRET header.
    t.app.log.info({ body: { public_token: SECRETS.publicToken, password: SECRETS.password } }, 'body')
    t.app.log.info({ item: { access_token: SECRETS.accessToken }, secret: SECRETS.plaidSecret }, 'item')
    const axiosLikeError = Object.assign(new Error('Request failed with status code 400'), {
      config: {
        headers: { 'PLAID-CLIENT-ID': 'client', 'PLAID-SECRET': SECRETS.plaidSecret },
        data: `{"access_token":"${SECRETS.accessToken}"}`,
      },
      request: { _header: `PLAID-SECRET: ${SECRETS.plaidSecret}` },
    })
    t.app.log.error({ err: axiosLikeError }, 'plaid call failed')
    t.app.log.info({ headers: { cookie, 'PLAID-SECRET': SECRETS.plaidSecret } }, 'headers')

    expect(output).toContain('plaid call failed')
    const sessionToken = cookie.split('=')[1] as string
    for (const value of [...Object.values(SECRETS), 'wrong-guess-123', sessionToken]) {
      expect(output).not.toContain(value)
    }
    expect(output).toContain('[redacted]')
  })

  it('writes request URLs without signing-link tokens or token-bearing query parameters', async () => {
    const signingToken = 'sgn_9QxF2vLr7TmWcK3pYhZ8aBdE4uJ6nS1o'
    const linkToken = 'link-sandbox-0c1d2e3f-4a5b-4c6d-8e7f-901234567890'
    const oauthState = 'oauth-state-5f4e3d2c1b0a99887766'
    const before = output.length
    await t.app.inject({ method: 'GET', url: `/signing/s/${signingToken}` })
    await t.app.inject({
      method: 'GET',
      url: `/plaid-sandbox/link/v2/stable/link.html?token=${linkToken}&origin=http%3A%2F%2F127.0.0.1%3A3000`,
    })
    await t.app.inject({
      method: 'GET',
      url: `/signing/plaid-lab?oauth_state_id=${oauthState}&public_token=${SECRETS.publicToken}&step=2`,
    })
    const lines = output.slice(before)

    expect(lines).toContain('"url":"/signing/s/[redacted]"')
    expect(lines).toContain(
      '"url":"/plaid-sandbox/link/v2/stable/link.html?token=[redacted]&origin=http%3A%2F%2F127.0.0.1%3A3000"',
    )
    expect(lines).toContain(
      '"url":"/signing/plaid-lab?oauth_state_id=[redacted]&public_token=[redacted]&step=2"',
    )
    for (const value of [signingToken, linkToken, oauthState, SECRETS.publicToken]) {
      expect(lines).not.toContain(value)
    }
  })

  it('logs a database error with its code and constraint but without SQL, parameters or detail', async () => {
    const email = 'leaky.signer@example.test'
    const before = output.length
    await t.database.executeSql(
      "insert into users (email, name, password_hash) values ($1, 'Lena Leaky', 'x')",
      [email],
    )
    const failure = await t.database.db
      .execute(sql`insert into users (email, name, password_hash) values (${email}, ${'Lena Leaky'}, 'x')`)
      .then(
        () => null,
        (error: unknown) => error,
      )
    expect(failure).toBeInstanceOf(Error)
    t.app.log.error({ err: failure }, 'unexpected error')
    const line = JSON.parse(output.slice(before).trim().split('\n').at(-1) as string)

    expect(line.err.message).toBe('Failed query')
    expect(line.err.cause).toMatchObject({
      code: '23505',
      table: 'users',
      constraint: 'users_email_lower_key',
    })
    expect(line.err.cause.message).toMatch(/^duplicate key value violates unique constraint/)
    expect(JSON.stringify(line)).not.toContain('leaky.signer')
    expect(JSON.stringify(line)).not.toContain('Lena Leaky')
    expect(JSON.stringify(line)).not.toContain('insert into')
  })
})
