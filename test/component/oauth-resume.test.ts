import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditService } from '../../server/modules/audit/service.ts'
import {
  createWorkspaceSettingsService,
  emulatorOAuthRedirectUri,
} from '../../server/modules/workspace/service.ts'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { createRecordingGateway, startTestEmulator, type TestEmulator } from '../helpers/plaid.ts'

// OAuth banks: the link token carries our redirect URI, and the token in flight is kept server-side
// (encrypted) for the principal, so /oauth-return can re-open Link without the token in any URL.
describe('OAuth return: redirect URI and the link token in flight', () => {
  let emulator: TestEmulator
  let recorded: ReturnType<typeof createRecordingGateway>
  let t: TestApp
  let managerCookie: string
  let adminCookie: string
  const { call, ok } = apiClient(() => t.app)

  beforeAll(async () => {
    emulator = await startTestEmulator()
    recorded = createRecordingGateway(emulator.url)
    t = await buildTestApp({ env: { PLAID_EMULATOR_URL: emulator.url }, plaidGateway: recorded.gateway })
    ;[managerCookie, adminCookie] = await Promise.all([t.signIn(DEMO.manager), t.signIn(DEMO.admin)])
  })
  afterAll(async () => {
    await t?.close()
    await emulator?.close()
  })

  it("sends the emulator our own /oauth-return, where the server's address allows it", () => {
    expect(emulatorOAuthRedirectUri('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000/oauth-return')
    expect(emulatorOAuthRedirectUri('http://localhost:8080/')).toBe('http://localhost:8080/oauth-return')
    expect(emulatorOAuthRedirectUri('https://closings.example')).toBe('https://closings.example/oauth-return')
    // Plaid accepts plain http only on loopback: elsewhere OAuth banks open in a popup only.
    expect(emulatorOAuthRedirectUri('http://closings.internal:3000')).toBeNull()
  })

  it('keeps the link token for its principal only, with the page to continue on, and never caches it', async () => {
    expect((await call('GET', '/api/plaid/oauth-resume', managerCookie)).statusCode).toBe(404)
    const token = await ok('POST', '/api/plaid/link-token', managerCookie)
    expect(recorded.linkTokenRequests.at(-1)?.redirectUri).toBe('http://127.0.0.1:3000/oauth-return')

    const resumed = await call('GET', '/api/plaid/oauth-resume', managerCookie)
    expect(resumed.statusCode).toBe(200)
    expect(resumed.headers['cache-control']).toBe('no-store')
    expect(resumed.json()).toEqual({
      link_token: token.link_token,
      mode: 'create',
      environment: 'emulator',
      return_to: '/signing/plaid-lab',
    })
    // Another principal of the same workspace has nothing in flight; no session is a 401.
    expect((await call('GET', '/api/plaid/oauth-resume', adminCookie)).statusCode).toBe(404)
    expect((await call('GET', '/api/plaid/oauth-resume', null)).statusCode).toBe(401)
    // Stored encrypted: the token is not in the table in the clear.
    const { rows } = await t.database.executeSql('select link_token_ciphertext from plaid_link_resumes')
    expect(JSON.stringify(rows)).not.toContain(token.link_token)
  })

  it('keeps only the newest token, and forgets it once the exchange succeeded or it expired', async () => {
    await ok('POST', '/api/plaid/link-token', adminCookie)
    const newest = await ok('POST', '/api/plaid/link-token', adminCookie)
    expect((await ok('GET', '/api/plaid/oauth-resume', adminCookie)).link_token).toBe(newest.link_token)
    await ok('POST', '/api/plaid/exchange', adminCookie, { public_token: await emulator.createPublicToken() })
    expect((await call('GET', '/api/plaid/oauth-resume', adminCookie)).statusCode).toBe(404)

    await ok('POST', '/api/plaid/link-token', adminCookie)
    await t.database.executeSql("update plaid_link_resumes set expires_at = now() - interval '1 second'")
    const stale = await call('GET', '/api/plaid/oauth-resume', adminCookie)
    expect(stale.statusCode).toBe(404)
    expect(stale.json().error.message).toMatch(/can no longer be resumed/)
  })

  it('answers every one of several link tokens requested at once (a double click), keeping one', async () => {
    // Five: with the three of the test before, still within the per-user limit of ten a minute.
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => call('POST', '/api/plaid/link-token', adminCookie)),
    )
    expect(answers.map((answer) => answer.statusCode)).toEqual(Array(5).fill(200))
    const issued = answers.map((answer) => answer.json().link_token)
    expect(issued).toContain((await ok('GET', '/api/plaid/oauth-resume', adminCookie)).link_token)
    const { rows } = await t.database.executeSql(
      'select count(*)::int as n from plaid_link_resumes where user_id = (select id from users where email = $1)',
      [DEMO.admin],
    )
    expect(rows[0]).toEqual({ n: 1 })
  })

  it('sends a signer back to their signing page, with their own token', async () => {
    const created = await ok('POST', '/api/signings', managerCookie, { title: 'OAuth closing' })
    await ok('POST', `/api/signings/${created.id}/documents`, managerCookie, {
      title: 'Agreement',
      kind: 'markdown',
      markdown: 'Sign.',
    })
    await ok('POST', `/api/signings/${created.id}/signers`, managerCookie, {
      legal_name: 'Olive Oauth',
      email: 'olive.oauth@example.test',
    })
    const { invitations } = await ok('POST', `/api/signings/${created.id}/activate`, managerCookie)
    const opened = await call('POST', '/api/signing-links/open', null, {
      token: new URL(invitations[0].url).pathname.split('/').at(-1),
    })
    const cookie = opened.cookies.find((entry) => entry.name === 'safeclose_session')
    const signerCookie = `safeclose_session=${cookie?.value}`
    const token = await ok('POST', '/api/plaid/link-token', signerCookie)
    expect(await ok('GET', '/api/plaid/oauth-resume', signerCookie)).toMatchObject({
      link_token: token.link_token,
      return_to: '/signing/sign',
    })
  })

  it('stores an https OAuth redirect URI for real Plaid and refuses anything else', async () => {
    for (const bad of [
      'http://closings.example/oauth-return',
      'https://closings.example/oauth-return?x=1',
      'https://closings.example/oauth-return#top',
      'javascript:alert(1)',
    ]) {
      const response = await call('PUT', '/api/admin/plaid-settings', adminCookie, {
        oauth_redirect_uri: bad,
      })
      expect(response.statusCode, bad).toBe(400)
    }
    const saved = await ok('PUT', '/api/admin/plaid-settings', adminCookie, {
      oauth_redirect_uri: 'https://closings.example/oauth-return',
    })
    expect(saved.oauth_redirect_uri).toBe('https://closings.example/oauth-return')
    // Real Plaid gets the registered URI; the emulator always gets our own page.
    const settings = createWorkspaceSettingsService({
      db: t.database.db,
      keyring: t.keyring,
      audit: createAuditService({ db: t.database.db }),
      defaults: {
        environment: 'emulator',
        clientId: 'client',
        secret: 'secret',
        emulatorClientId: 'emulator-client',
        emulatorSecret: 'emulator-secret',
        publicUrl: 'http://127.0.0.1:3000',
      },
    })
    expect((await settings.resolvePlaidCredentials(t.workspaceId)).oauthRedirectUri).toBe(
      'http://127.0.0.1:3000/oauth-return',
    )
    await ok('PUT', '/api/admin/plaid-settings', adminCookie, { environment: 'sandbox' })
    expect((await settings.resolvePlaidCredentials(t.workspaceId)).oauthRedirectUri).toBe(
      'https://closings.example/oauth-return',
    )
    await ok('PUT', '/api/admin/plaid-settings', adminCookie, { environment: 'emulator' })
    expect(
      (await call('PUT', '/api/admin/plaid-settings', managerCookie, { oauth_redirect_uri: null }))
        .statusCode,
    ).toBe(403)
    const cleared = await ok('PUT', '/api/admin/plaid-settings', adminCookie, { oauth_redirect_uri: null })
    expect(cleared.oauth_redirect_uri).toBeNull()
  })
})
