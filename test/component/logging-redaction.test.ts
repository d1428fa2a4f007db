import { Writable } from 'node:stream'
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
})
