import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

const PUBLIC_URL = 'https://closings.safeclose.test'

// A state change an admin may make; the origin check runs before the route (and its session guard).
function change(t: TestApp, cookie: string, headers: Record<string, string>) {
  return t.app.inject({
    method: 'PUT',
    url: '/api/admin/plaid-settings',
    headers: { cookie, ...headers },
    payload: { webhook_base_url: 'https://hooks.safeclose.test' },
  })
}

describe('origin check against PUBLIC_URL', () => {
  let t: TestApp
  let cookie: string
  beforeAll(async () => {
    t = await buildTestApp({ env: { PUBLIC_URL } })
    cookie = await t.signIn(DEMO.admin)
  })
  afterAll(() => t?.close())

  it('refuses an Origin that only matches the forged Host header', async () => {
    const response = await change(t, cookie, { host: 'evil.example', origin: 'http://evil.example' })
    expect(response.statusCode).toBe(403)
    expect(response.json().error.code).toBe('CROSS_SITE_REQUEST')
  })

  it.each([
    [
      'the Host it was served at when that is not PUBLIC_URL',
      { host: '10.0.0.5:3000', origin: 'http://10.0.0.5:3000' },
    ],
    ['a loopback origin, which only the demo without PUBLIC_URL trusts', { origin: 'http://127.0.0.1:3000' }],
    ['PUBLIC_URL on another scheme', { origin: 'http://closings.safeclose.test' }],
    ['PUBLIC_URL with a path-like suffix', { origin: `${PUBLIC_URL}.evil.example` }],
    ['an opaque origin', { origin: 'null' }],
  ])('refuses %s', async (_case, headers) => {
    const response = await change(t, cookie, headers)
    expect(response.statusCode).toBe(403)
    expect(response.json().error.code).toBe('CROSS_SITE_REQUEST')
  })

  it('accepts Origin equal to PUBLIC_URL, whatever the Host header says', async () => {
    for (const host of ['closings.safeclose.test', 'evil.example', '127.0.0.1:3000']) {
      const response = await change(t, cookie, { host, origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' })
      expect(response.statusCode, host).toBe(200)
    }
  })

  it('still accepts requests without Origin or Sec-Fetch-Site (curl with a Cookie header)', async () => {
    expect((await change(t, cookie, {})).statusCode).toBe(200)
    expect((await change(t, cookie, { host: 'evil.example' })).statusCode).toBe(200)
  })

  it('lets safe methods through from anywhere', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/session',
      headers: { cookie, host: 'evil.example', origin: 'http://evil.example' },
    })
    expect(response.statusCode).toBe(200)
  })
})

describe('origin check of the demo without PUBLIC_URL', () => {
  let t: TestApp
  let cookie: string
  beforeAll(async () => {
    t = await buildTestApp({ env: { HOST: '127.0.0.1', PORT: '3000' } })
    cookie = await t.signIn(DEMO.admin)
  })
  afterAll(() => t?.close())

  it('accepts the loopback spellings of its own port, from configuration rather than Host', async () => {
    for (const origin of ['http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000']) {
      const response = await change(t, cookie, { host: 'evil.example', origin })
      expect(response.statusCode, origin).toBe(200)
    }
  })

  it('refuses other ports and hosts even when Host agrees with them', async () => {
    for (const [host, origin] of [
      ['localhost:4000', 'http://localhost:4000'],
      ['evil.example', 'http://evil.example'],
      ['127.0.0.1:3000', 'https://127.0.0.1:3000'],
    ] as const) {
      const response = await change(t, cookie, { host, origin })
      expect(response.statusCode, origin).toBe(403)
    }
  })
})
