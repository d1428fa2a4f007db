import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { CountryCode, Products } from 'plaid'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startPlaidSandbox } from '../src/main.ts'
import { createPlaidSandbox } from '../src/sandbox.ts'
import { contractCheckedClient, plaidErrorOf } from './helpers/plaid-client.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'

async function linkedAccessToken(plaid: ReturnType<typeof contractCheckedClient>['plaid']) {
  const { data: created } = await plaid.sandboxPublicTokenCreate({
    institution_id: 'ins_109508',
    initial_products: [Products.Auth],
  })
  return (await plaid.itemPublicTokenExchange({ public_token: created.public_token })).data.access_token
}

describe('fault injection', () => {
  it('fails the next N calls to an endpoint with a Plaid error, then recovers', async () => {
    const { plaid, control } = await startTestSandbox()
    const accessToken = await linkedAccessToken(plaid)
    control.failNext({ endpoint: '/auth/get', errorCode: 'ITEM_LOGIN_REQUIRED', times: 2 })

    for (let call = 0; call < 2; call++) {
      const error = await plaidErrorOf(plaid.authGet({ access_token: accessToken }))
      expect(error).toMatchObject({
        status: 400,
        body: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOGIN_REQUIRED' },
      })
    }
    expect((await plaid.authGet({ access_token: accessToken })).status).toBe(200)
    expect(control.faults()).toEqual([])
  })

  it('maps HTTP 500 and 429 faults to Plaid API and rate-limit errors', async () => {
    const { plaid, control } = await startTestSandbox()
    const accessToken = await linkedAccessToken(plaid)
    control.failNext({ endpoint: '/accounts/get', httpStatus: 429 })
    control.failNext({ endpoint: '/item/get', httpStatus: 500 })

    const limited = await plaidErrorOf(plaid.accountsGet({ access_token: accessToken }))
    expect(limited).toMatchObject({
      status: 429,
      body: { error_type: 'RATE_LIMIT_EXCEEDED', error_code: 'ACCOUNTS_LIMIT' },
    })
    const broken = await plaidErrorOf(plaid.itemGet({ access_token: accessToken }))
    expect(broken).toMatchObject({
      status: 500,
      body: { error_type: 'API_ERROR', error_code: 'INTERNAL_SERVER_ERROR' },
    })
  })

  it('delays responses', async () => {
    const { plaid, control } = await startTestSandbox()
    control.delayNext('/institutions/get_by_id', 150)
    const started = performance.now()
    await plaid.institutionsGetById({ institution_id: 'ins_109508', country_codes: [CountryCode.Us] })
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
  })

  it('is driven over HTTP too: faults, clock, key rotation and reset under /__admin', async () => {
    const { url, plaid, control } = await startTestSandbox()
    const admin = async (path: string, body?: unknown) => {
      const response = await fetch(`${url}/__admin${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    expect((await admin('/faults', { endpoint: '/item/get', http_status: 503 })).status).toBe(200)
    const accessToken = await linkedAccessToken(plaid)
    expect((await plaidErrorOf(plaid.itemGet({ access_token: accessToken }))).body.error_code).toBe(
      'PLANNED_MAINTENANCE',
    )

    const rejected = await admin('/faults', { endpoint: '/item/get', error_code: 'NOT_A_CODE' })
    expect(rejected).toMatchObject({ status: 400, body: { error_code: 'INVALID_FIELD' } })

    expect((await admin('/clock/advance', { ms: 60_000 })).body.offset_ms).toBe(60_000)
    expect(control.clockOffsetMs()).toBe(60_000)

    const rotated = await admin('/signing-keys/rotate', { grace_ms: 1000 })
    expect(rotated.body.kid).toEqual(expect.any(String))

    await admin('/reset')
    expect(control.clockOffsetMs()).toBe(0)
    expect(control.signingKeys()).toEqual([])
    expect((await plaidErrorOf(plaid.itemGet({ access_token: accessToken }))).body.error_code).toBe(
      'INVALID_ACCESS_TOKEN',
    )
  })
})

describe('persistence', () => {
  it('keeps access tokens and signing keys across a restart when given a data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'plaid-sandbox-'))
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }))

    const first = await startPlaidSandbox({ port: 0, dataDir })
    const firstClient = contractCheckedClient(first.url)
    const accessToken = await linkedAccessToken(firstClient.plaid)
    const kid = first.sandbox.control.rotateSigningKey()
    await first.close()

    const second = await startPlaidSandbox({ port: 0, dataDir })
    onTestFinished(() => second.close())
    const secondClient = contractCheckedClient(second.url)
    const { data } = await secondClient.plaid.authGet({ access_token: accessToken })
    expect(data.numbers.ach).toHaveLength(2)
    const { data: jwk } = await secondClient.plaid.webhookVerificationKeyGet({ key_id: kid })
    expect(jwk.key.kid).toBe(kid)
    expect([...firstClient.violations, ...secondClient.violations]).toEqual([])
  })
})

describe('mounting', () => {
  it('serves the API, the Link UI JSON API and the static Link files under a prefix', async () => {
    const sandbox = createPlaidSandbox()
    const app = Fastify()
    app.get('/health', async () => ({ ok: true }))
    await app.register(sandbox.plugin, { prefix: '/plaid-sandbox' })
    await app.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(async () => {
      await app.close()
      await sandbox.close()
    })
    const address = app.server.address()
    const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/plaid-sandbox`

    const { plaid, violations } = contractCheckedClient(base)
    const { data } = await plaid.linkTokenCreate({
      client_name: 'Safeclose',
      language: 'en',
      country_codes: [CountryCode.Us],
      user: { client_user_id: 'signer-1' },
      products: [Products.Auth],
    })
    const session = await fetch(`${base}/link/v2/stable/api/session/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ link_token: data.link_token }),
    })
    expect(session.status).toBe(200)
    const script = await fetch(`${base}/link/v2/stable/link-initialize.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)

    const missing = await fetch(`${base}/no/such/endpoint`, { method: 'POST' })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('NOT_FOUND')
    expect((await fetch(`http://127.0.0.1:${new URL(base).port}/health`)).status).toBe(200)
    expect(violations).toEqual([])
  })

  it('serves the /__admin control API only when asked', async () => {
    for (const controlApi of [undefined, true, false]) {
      const sandbox = createPlaidSandbox(controlApi === undefined ? {} : { controlApi })
      const app = Fastify()
      await app.register(sandbox.plugin, { prefix: '/plaid-sandbox' })
      onTestFinished(async () => {
        await app.close()
        await sandbox.close()
      })
      const clock = await app.inject({ method: 'GET', url: '/plaid-sandbox/__admin/clock' })
      const reset = await app.inject({ method: 'POST', url: '/plaid-sandbox/__admin/reset', payload: {} })
      const expected = controlApi === false ? 404 : 200
      expect([clock.statusCode, reset.statusCode], `controlApi: ${controlApi}`).toEqual([expected, expected])
      // The programmatic control stays available to the process that created the sandbox.
      expect(sandbox.control.now()).toEqual(expect.any(Number))
    }
  })
})
