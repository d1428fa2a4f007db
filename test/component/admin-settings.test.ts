import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditService } from '../../server/modules/audit/service.ts'
import {
  createWorkspaceSettingsService,
  rotateStoredPlaidSecrets,
} from '../../server/modules/workspace/service.ts'
import { createKeyring, generateKeyEntry } from '../../server/security/keyring.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

const SECRET = 'prod-secret-0123456789abcdef'
const ORIGINAL_KEYS = `${generateKeyEntry('test2')},${generateKeyEntry('test1')}`

describe('workspace Plaid settings', () => {
  let t: TestApp
  let adminCookie: string
  beforeAll(async () => {
    t = await buildTestApp({ keyring: ORIGINAL_KEYS })
    adminCookie = await t.signIn(DEMO.admin)
  })
  afterAll(() => t.close())

  it('answers 401 without a session and 403 to managers and signers', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/admin/plaid-settings' })).statusCode).toBe(401)
    const badBodyNoSession = await t.app.inject({
      method: 'PUT',
      url: '/api/admin/plaid-settings',
      payload: { x: 1 },
    })
    expect(badBodyNoSession.statusCode).toBe(401)
    for (const email of [DEMO.manager, DEMO.signer]) {
      const cookie = await t.signIn(email)
      for (const method of ['GET', 'PUT'] as const) {
        const response = await t.app.inject({
          method,
          url: '/api/admin/plaid-settings',
          headers: { cookie },
          ...(method === 'PUT' ? { payload: { environment: 'production' } } : {}),
        })
        expect(response.statusCode).toBe(403)
        expect(response.json().error.code).toBe('FORBIDDEN')
      }
    }
  })

  it('shows the defaults and the encryption-key status to an admin', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/api/admin/plaid-settings',
      headers: { cookie: adminCookie },
    })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toEqual({
      environment: 'emulator',
      client_id: null,
      secret_set: false,
      webhook_base_url: 'http://127.0.0.1:3000',
      oauth_redirect_uri: null,
      encryption: { configured: true, active_key_id: 'test2', problem: null },
      updated_at: null,
      updated_by: null,
    })
  })

  it('stores the secret encrypted and bound to the workspace, and never returns it', async () => {
    const response = await t.app.inject({
      method: 'PUT',
      url: '/api/admin/plaid-settings',
      headers: { cookie: adminCookie },
      payload: {
        environment: 'sandbox',
        client_id: 'client_abc',
        secret: SECRET,
        webhook_base_url: 'https://hooks.safeclose.test',
      },
    })
    expect(response.statusCode).toBe(200)
    expect(response.body).not.toContain(SECRET)
    expect(response.json()).toMatchObject({
      environment: 'sandbox',
      client_id: 'client_abc',
      secret_set: true,
      webhook_base_url: 'https://hooks.safeclose.test',
      updated_by: DEMO.admin,
    })

    const { rows } = await t.database.executeSql(
      'select secret_ciphertext, secret_key_id from workspace_plaid_settings where workspace_id = $1',
      [t.workspaceId],
    )
    const stored = rows[0] as { secret_ciphertext: string; secret_key_id: string }
    expect(stored.secret_key_id).toBe('test2')
    expect(stored.secret_ciphertext).not.toContain(SECRET)
    expect(
      t.keyring.decrypt(
        { keyId: stored.secret_key_id, ciphertext: stored.secret_ciphertext },
        { purpose: 'workspace_plaid_settings.secret', rowId: t.workspaceId },
      ),
    ).toBe(SECRET)
  })

  it('records every change in the audit log without the secret', async () => {
    const { rows } = await t.database.executeSql(
      `select action, details::text as details from audit_events where action = 'workspace.plaid_settings_updated'`,
    )
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows as Array<{ details: string }>) expect(row.details).not.toContain(SECRET)
    expect((rows[0] as { details: string }).details).toContain('"secret": "replaced"')
  })

  it.each([
    ['an unknown environment', { environment: 'staging' }, 'body.environment'],
    ['a webhook URL that is not http(s)', { webhook_base_url: 'ftp://x' }, 'body.webhook_base_url'],
    ['an unknown field', { secret_plaintext: 'x' }, 'secret_plaintext'],
    ['an empty body', {}, 'body'],
  ])('answers 400 for %s', async (_case, payload, field) => {
    const response = await t.app.inject({
      method: 'PUT',
      url: '/api/admin/plaid-settings',
      headers: { cookie: adminCookie },
      payload,
    })
    expect(response.statusCode).toBe(400)
    expect(response.json().error.message).toContain(field)
  })

  it('re-encrypts stored secrets under a new active key (keys:rotate) and is safe to re-run', async () => {
    const rotatedRing = createKeyring(`${generateKeyEntry('test3')},${ORIGINAL_KEYS}`)
    const rotate = () => rotateStoredPlaidSecrets({ db: t.database.db, keyring: rotatedRing })
    const settings = createWorkspaceSettingsService({
      db: t.database.db,
      keyring: rotatedRing,
      audit: createAuditService({ db: t.database.db }),
      defaults: {
        environment: 'sandbox',
        clientId: null,
        secret: null,
        emulatorClientId: 'e',
        emulatorSecret: 's',
        publicUrl: 'http://x',
      },
    })
    expect(await rotate()).toBe(1)
    expect(await rotate()).toBe(0)
    expect((await settings.resolvePlaidCredentials(t.workspaceId)).secret).toBe(SECRET)
    const { rows } = await t.database.executeSql('select secret_key_id from workspace_plaid_settings')
    expect(rows).toEqual([{ secret_key_id: 'test3' }])
  })
})

describe('without an encryption key', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ keyring: null })
  })
  afterAll(() => t.close())

  it('reports the missing key and refuses to store a secret with 409', async () => {
    const cookie = await t.signIn(DEMO.admin)
    const view = await t.app.inject({ method: 'GET', url: '/api/admin/plaid-settings', headers: { cookie } })
    expect(view.json().encryption).toEqual({
      configured: false,
      active_key_id: null,
      problem: 'SAFECLOSE_ENCRYPTION_KEYS is not set',
    })
    const response = await t.app.inject({
      method: 'PUT',
      url: '/api/admin/plaid-settings',
      headers: { cookie },
      payload: { secret: SECRET },
    })
    expect(response.statusCode).toBe(409)
    expect(response.json().error.code).toBe('ENCRYPTION_KEY_MISSING')
    const { rows } = await t.database.executeSql('select count(*)::int as n from workspace_plaid_settings')
    expect(rows).toEqual([{ n: 0 }])
  })
})
