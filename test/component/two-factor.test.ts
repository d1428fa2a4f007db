// Two-factor sign-in (TOTP, RFC 6238), recovery codes, the workspace policy and re-authentication,
// through the real routes. Codes are generated with otplib from the secret the setup route returns,
// at the server's (test-controlled) clock.
import { generateSync } from 'otplib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rotateStoredTotpSecrets } from '../../server/modules/auth/two-factor.ts'
import { createKeyring } from '../../server/security/keyring.ts'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, TEST_KEYRING, type TestApp } from '../helpers/build-app.ts'

const PENDING_COOKIE = 'safeclose_2fa'

/** A clock the test moves; every app here reads it. Starts at a step boundary + 10 s. */
function testClock() {
  let ms = (Math.floor(Date.now() / 30_000) - 1) * 30_000 + 10_000
  return {
    now: () => new Date(ms),
    advance(seconds: number) {
      ms += seconds * 1000
    },
    epoch: () => Math.floor(ms / 1000),
  }
}

describe('two-factor sign-in', () => {
  const clock = testClock()
  let t: TestApp
  const { call, ok } = apiClient(() => t.app)
  let secret: string
  let recoveryCodes: string[]
  let managerCookie: string

  const codeAt = (offsetSeconds = 0) => generateSync({ secret, epoch: clock.epoch() + offsetSeconds })

  async function passwordStep(email = DEMO.manager) {
    const response = await call('POST', '/api/auth/sign-in/email', null, { email, password: DEMO.password })
    expect(response.statusCode).toBe(200)
    const pending = response.cookies.find((entry) => entry.name === PENDING_COOKIE)
    return { response, pending, cookie: pending ? `${pending.name}=${pending.value}` : null }
  }

  const secondStep = (cookie: string | null, body: object) =>
    call('POST', '/api/auth/sign-in/2fa', cookie, body)

  beforeAll(async () => {
    t = await buildTestApp({ now: clock.now })
    managerCookie = await t.signIn(DEMO.manager)
  })
  afterAll(() => t.close())

  it('sets up a pending secret, stored encrypted, with an otpauth:// URL for the QR code', async () => {
    const status = await ok('GET', '/api/auth/2fa', managerCookie)
    expect(status).toEqual({
      totp_enabled: false,
      totp_pending: false,
      recovery_codes_remaining: 0,
      required: false,
    })
    const setup = await ok('POST', '/api/auth/2fa/totp/setup', managerCookie)
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/)
    const url = new URL(setup.otpauth_url)
    expect(url.protocol).toBe('otpauth:')
    expect(url.host).toBe('totp')
    expect(decodeURIComponent(url.pathname)).toBe(`/Safeclose:${DEMO.manager}`)
    expect(url.searchParams.get('secret')).toBe(setup.secret)
    expect(url.searchParams.get('issuer')).toBe('Safeclose')
    secret = setup.secret

    const { rows } = await t.database.executeSql(
      'select secret_ciphertext, secret_key_id, enabled_at from user_totp',
    )
    expect(rows).toHaveLength(1)
    const row = rows[0] as { secret_ciphertext: string; secret_key_id: string; enabled_at: Date | null }
    expect(row.enabled_at).toBeNull()
    expect(row.secret_ciphertext).not.toContain(secret)
    expect(
      t.keyring.decrypt(
        { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext },
        {
          purpose: 'totp-secret',
          rowId: (await ok('GET', '/api/session', managerCookie)).user.id,
        },
      ),
    ).toBe(secret)
    expect((await ok('GET', '/api/auth/2fa', managerCookie)).totp_pending).toBe(true)

    // A pending secret is not asked for at sign-in yet.
    const { response } = await passwordStep()
    expect(response.json().principal).toBe('member')
  })

  it('refuses to enable with a wrong or malformed code', async () => {
    const wrong = String((Number(codeAt()) + 1) % 1_000_000).padStart(6, '0')
    const refused = await call('POST', '/api/auth/2fa/totp/enable', managerCookie, { code: wrong })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().error).toMatchObject({ code: 'INVALID_CODE', field: 'code' })
    const malformed = await call('POST', '/api/auth/2fa/totp/enable', managerCookie, { code: '12ab56' })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED')
    expect((await ok('GET', '/api/auth/2fa', managerCookie)).totp_enabled).toBe(false)
  })

  it('enables with a current code and answers ten recovery codes, stored hashed', async () => {
    const enabled = await ok('POST', '/api/auth/2fa/totp/enable', managerCookie, { code: codeAt() })
    recoveryCodes = enabled.recovery_codes
    expect(recoveryCodes).toHaveLength(10)
    expect(new Set(recoveryCodes).size).toBe(10)
    for (const code of recoveryCodes) expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/)
    const { rows } = await t.database.executeSql('select code_hash from recovery_codes')
    expect(rows).toHaveLength(10)
    const stored = JSON.stringify(rows)
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(code)
      expect(stored).not.toContain(code.replace('-', ''))
    }
    expect(await ok('GET', '/api/auth/2fa', managerCookie)).toEqual({
      totp_enabled: true,
      totp_pending: false,
      recovery_codes_remaining: 10,
      required: false,
    })
    const again = await call('POST', '/api/auth/2fa/totp/setup', managerCookie)
    expect(again.statusCode).toBe(409)
    const reEnable = await call('POST', '/api/auth/2fa/totp/enable', managerCookie, { code: codeAt() })
    expect(reEnable.statusCode).toBe(409)
  })

  it('answers two_factor_required with a pending cookie that is not a session', async () => {
    const { response, pending } = await passwordStep()
    expect(response.json()).toEqual({ two_factor_required: true })
    expect(response.cookies.map((entry) => entry.name)).toEqual([PENDING_COOKIE])
    expect(pending).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/api/auth/sign-in' })
    expect(pending?.value).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const expires = new Date(pending?.expires ?? 0).getTime()
    expect(expires - clock.now().getTime()).toBeLessThanOrEqual(5 * 60_000)
    expect(expires - clock.now().getTime()).toBeGreaterThan(4 * 60_000)
    // Presented as a session cookie, it opens nothing.
    const asSession = await call('GET', '/api/session', `safeclose_session=${pending?.value}`)
    expect(asSession.statusCode).toBe(401)
    const { rows } = await t.database.executeSql('select token_hash from pending_sign_ins')
    expect(JSON.stringify(rows)).not.toContain(pending?.value)
  })

  it('never accepts the same code twice: the one that enabled TOTP is refused at sign-in', async () => {
    const { cookie } = await passwordStep()
    const reused = await secondStep(cookie, { code: codeAt() })
    expect(reused.statusCode).toBe(400)
    expect(reused.json().error.code).toBe('INVALID_CODE')
    expect(reused.json().error.message).toContain('4 attempts left')
  })

  it('completes the sign-in with the next code, answering the session like the e-mail sign-in', async () => {
    clock.advance(30)
    const { cookie } = await passwordStep()
    const response = await secondStep(cookie, { code: codeAt() })
    expect(response.statusCode).toBe(200)
    const body = response.json()
    expect(Object.keys(body).sort()).toEqual(['principal', 'role', 'signer', 'user', 'workspace'])
    expect(body).toMatchObject({ principal: 'member', role: 'manager', user: { email: DEMO.manager } })
    const session = response.cookies.find((entry) => entry.name === 'safeclose_session')
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
    const cleared = response.cookies.find((entry) => entry.name === PENDING_COOKIE)
    expect(cleared?.value).toBe('')
    expect((await ok('GET', '/api/session', `safeclose_session=${session?.value}`)).user.email).toBe(
      DEMO.manager,
    )
    // The pending sign-in is gone: it cannot open a second session.
    clock.advance(30)
    const replay = await secondStep(cookie, { code: codeAt() })
    expect(replay.statusCode).toBe(410)
    expect(replay.json().error.code).toBe('TWO_FACTOR_SIGN_IN_EXPIRED')
    // …and the same code, used again through a fresh pending sign-in, is refused.
    const fresh = await passwordStep()
    clock.advance(-30)
    const sameCode = await secondStep(fresh.cookie, { code: codeAt() })
    clock.advance(30)
    expect(sameCode.statusCode).toBe(400)
  })

  it('accepts a code one step early or late, not two', async () => {
    clock.advance(90)
    const early = await passwordStep()
    expect((await secondStep(early.cookie, { code: codeAt(-60) })).statusCode).toBe(400)
    expect((await secondStep(early.cookie, { code: codeAt(-30) })).statusCode).toBe(200)
    const late = await passwordStep()
    expect((await secondStep(late.cookie, { code: codeAt(60) })).statusCode).toBe(400)
    expect((await secondStep(late.cookie, { code: codeAt(30) })).statusCode).toBe(200)
    clock.advance(60)
  })

  it('kills a pending sign-in after five wrong codes', async () => {
    const { cookie } = await passwordStep()
    const answers: Array<[number, string]> = []
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await secondStep(cookie, { code: '000000' })
      answers.push([response.statusCode, response.json().error.code])
    }
    expect(answers).toEqual([
      [400, 'INVALID_CODE'],
      [400, 'INVALID_CODE'],
      [400, 'INVALID_CODE'],
      [400, 'INVALID_CODE'],
      [410, 'TWO_FACTOR_SIGN_IN_EXPIRED'],
    ])
    clock.advance(30)
    const afterwards = await secondStep(cookie, { code: codeAt() })
    expect(afterwards.statusCode).toBe(410)
  })

  it('lets a pending sign-in expire after five minutes', async () => {
    const { cookie } = await passwordStep()
    clock.advance(5 * 60 + 1)
    const response = await secondStep(cookie, { code: codeAt() })
    expect(response.statusCode).toBe(410)
    expect(response.json().error.code).toBe('TWO_FACTOR_SIGN_IN_EXPIRED')
    expect(response.cookies.find((entry) => entry.name === PENDING_COOKIE)?.value).toBe('')
  })

  it('answers 410 without a pending cookie, and 400 unless exactly one of code and recovery_code', async () => {
    const missing = await secondStep(null, { code: '123456' })
    expect(missing.statusCode).toBe(410)
    const { cookie } = await passwordStep()
    for (const body of [{}, { code: '123456', recovery_code: recoveryCodes[0] }, { code: 'abc' }]) {
      const response = await secondStep(cookie, body)
      expect(response.statusCode, JSON.stringify(body)).toBe(400)
      expect(response.json().error.code).toBe('VALIDATION_FAILED')
    }
  })

  it('signs in with a recovery code once, and records its use in the workspace chain', async () => {
    const first = await passwordStep()
    const code = (recoveryCodes[0] as string).toUpperCase()
    const response = await secondStep(first.cookie, { recovery_code: code })
    expect(response.statusCode).toBe(200)
    expect(response.json().user.email).toBe(DEMO.manager)
    const cookie = response.cookies.find((entry) => entry.name === 'safeclose_session')
    expect(
      (await ok('GET', '/api/auth/2fa', `safeclose_session=${cookie?.value}`)).recovery_codes_remaining,
    ).toBe(9)

    const second = await passwordStep()
    const reused = await secondStep(second.cookie, { recovery_code: recoveryCodes[0] })
    expect(reused.statusCode).toBe(400)
    expect(reused.json().error).toMatchObject({ code: 'INVALID_CODE', field: 'recovery_code' })

    const { rows } = await t.database.executeSql(
      `select action, details::text as details from audit_events where chain_key = $1 order by sequence`,
      [`workspace:${t.workspaceId}`],
    )
    const actions = (rows as Array<{ action: string; details: string }>).map((row) => row.action)
    expect(actions).toContain('auth.two_factor_enabled')
    expect(actions).toContain('auth.recovery_code_used')
    expect(JSON.stringify(rows)).not.toContain(recoveryCodes[0])
    expect(JSON.stringify(rows)).not.toContain(secret)
  })

  it('keeps the exact session response for users without two-factor', async () => {
    const { response, pending } = await passwordStep(DEMO.admin)
    expect(pending).toBeUndefined()
    expect(Object.keys(response.json()).sort()).toEqual(['principal', 'role', 'signer', 'user', 'workspace'])
  })

  it('requires a recent sign-in or re-authentication to disable, then disables with a code', async () => {
    const { cookie: pendingCookie } = await passwordStep()
    clock.advance(30)
    const signedIn = await secondStep(pendingCookie, { code: codeAt() })
    const cookie = `safeclose_session=${signedIn.cookies.find((entry) => entry.name === 'safeclose_session')?.value}`

    clock.advance(5 * 60 + 1)
    const stale = await call('POST', '/api/auth/2fa/totp/disable', cookie, { code: codeAt() })
    expect(stale.statusCode).toBe(403)
    expect(stale.json().error.code).toBe('REAUTH_REQUIRED')

    const wrongPassword = await call('POST', '/api/auth/reauth', cookie, { password: 'not-it' })
    expect(wrongPassword.statusCode).toBe(401)
    expect(wrongPassword.json().error.code).toBe('INVALID_CREDENTIALS')
    const both = await call('POST', '/api/auth/reauth', cookie, { password: DEMO.password, code: '123456' })
    expect(both.statusCode).toBe(400)

    const reauth = await ok('POST', '/api/auth/reauth', cookie, { password: DEMO.password })
    expect(new Date(reauth.authenticated_until).getTime()).toBe(clock.now().getTime() + 5 * 60_000)

    // A wrong code is refused; TOTP stays on.
    const wrong = await call('POST', '/api/auth/2fa/totp/disable', cookie, { code: '000000' })
    expect(wrong.statusCode).toBe(400)
    expect((await ok('GET', '/api/auth/2fa', cookie)).totp_enabled).toBe(true)

    // The window closes again after five minutes; a TOTP code re-opens it.
    clock.advance(5 * 60 + 1)
    expect((await call('POST', '/api/auth/2fa/totp/disable', cookie, { code: codeAt() })).statusCode).toBe(
      403,
    )
    await ok('POST', '/api/auth/reauth', cookie, { code: codeAt() })
    // That code is spent now; the next step's code disables.
    expect((await call('POST', '/api/auth/2fa/totp/disable', cookie, { code: codeAt() })).statusCode).toBe(
      400,
    )
    clock.advance(30)
    const disabled = await call('POST', '/api/auth/2fa/totp/disable', cookie, { code: codeAt() })
    expect(disabled.statusCode).toBe(204)
    expect(await ok('GET', '/api/auth/2fa', cookie)).toMatchObject({
      totp_enabled: false,
      recovery_codes_remaining: 0,
    })
    const { rows } = await t.database.executeSql('select count(*)::int as n from recovery_codes')
    expect(rows).toEqual([{ n: 0 }])
    const { rows: events } = await t.database.executeSql(
      `select action from audit_events where chain_key = $1 and action = 'auth.two_factor_disabled'`,
      [`workspace:${t.workspaceId}`],
    )
    expect(events).toHaveLength(1)
    // Signing in is back to one step.
    expect((await passwordStep()).response.json().principal).toBe('member')
  })

  it('disables with a recovery code too, passed as code', async () => {
    const cookie = await t.signIn(DEMO.manager)
    const setup = await ok('POST', '/api/auth/2fa/totp/setup', cookie)
    secret = setup.secret
    clock.advance(30)
    const { recovery_codes } = await ok('POST', '/api/auth/2fa/totp/enable', cookie, { code: codeAt() })
    const response = await call('POST', '/api/auth/2fa/totp/disable', cookie, { code: recovery_codes[3] })
    expect(response.statusCode).toBe(204)
    expect((await ok('GET', '/api/auth/2fa', cookie)).totp_enabled).toBe(false)
  })

  it('verifies the workspace chain after all of it', async () => {
    const { rows } = await t.database.executeSql(
      `select count(*)::int as n from audit_events where chain_key = $1 and action like 'auth.two_factor_%'`,
      [`workspace:${t.workspaceId}`],
    )
    expect(rows).toEqual([{ n: 4 }])
  })
})

describe('two-factor routes and signing-link sessions', () => {
  let t: TestApp
  const { call, ok } = apiClient(() => t.app)
  let signerCookie: string

  beforeAll(async () => {
    t = await buildTestApp()
    const admin = await t.signIn(DEMO.admin)
    const created = await ok('POST', '/api/signings', admin, { title: 'Closing at 2 Factor Lane' })
    await ok('POST', `/api/signings/${created.id}/documents`, admin, {
      title: 'Agreement',
      kind: 'markdown',
      markdown: 'Sign here.',
    })
    await ok('POST', `/api/signings/${created.id}/signers`, admin, {
      legal_name: 'Sid Signer',
      email: 'sid@example.test',
    })
    const activated = await ok('POST', `/api/signings/${created.id}/activate`, admin)
    const token = new URL(activated.invitations[0].url).pathname.split('/').at(-1)
    const opened = await call('POST', '/api/signing-links/open', null, { token })
    const entry = opened.cookies.find((cookie) => cookie.name === 'safeclose_session')
    signerCookie = `${entry?.name}=${entry?.value}`
    expect((await ok('GET', '/api/session', signerCookie)).principal).toBe('signer')
  })
  afterAll(() => t.close())

  it.each([
    ['GET', '/api/auth/2fa', undefined],
    ['POST', '/api/auth/2fa/totp/setup', undefined],
    ['POST', '/api/auth/2fa/totp/enable', { code: '123456' }],
    ['POST', '/api/auth/2fa/totp/disable', { code: '123456' }],
    ['POST', '/api/auth/reauth', { password: 'anything' }],
  ] as const)('refuses a signing-link session: %s %s → 403', async (method, url, body) => {
    const response = await call(method, url, signerCookie, body)
    expect(response.statusCode).toBe(403)
    expect(response.json().error.code).toBe('FORBIDDEN')
  })

  it('answers 401 without a session', async () => {
    for (const url of ['/api/auth/2fa/totp/setup', '/api/auth/reauth']) {
      expect((await call('POST', url, null, {})).statusCode).toBe(401)
    }
  })
})

describe('workspace policy: admins and managers must use two-factor', () => {
  const clock = testClock()
  let t: TestApp
  const { call, ok } = apiClient(() => t.app)
  let admin: string
  let manager: string
  let signerMember: string

  async function enrol(cookie: string): Promise<string> {
    const { secret } = await ok('POST', '/api/auth/2fa/totp/setup', cookie)
    await ok('POST', '/api/auth/2fa/totp/enable', cookie, {
      code: generateSync({ secret, epoch: clock.epoch() }),
    })
    return secret
  }
  let managerSecret: string

  beforeAll(async () => {
    t = await buildTestApp({ now: clock.now })
    ;[admin, manager, signerMember] = await Promise.all([
      t.signIn(DEMO.admin),
      t.signIn(DEMO.manager),
      t.signIn(DEMO.signer),
    ])
  })
  afterAll(() => t.close())

  it('is off by default, and only administrators read or change it', async () => {
    expect(await ok('GET', '/api/admin/security-policy', admin)).toEqual({ require_two_factor: false })
    const byManager = await call('PUT', '/api/admin/security-policy', manager, { require_two_factor: true })
    expect(byManager.statusCode).toBe(403)
    expect(byManager.json().error.code).toBe('FORBIDDEN')
    const invalid = await call('PUT', '/api/admin/security-policy', admin, { require_two_factor: 'yes' })
    expect(invalid.statusCode).toBe(400)
  })

  it('cannot be switched on by an administrator without two-factor', async () => {
    const response = await call('PUT', '/api/admin/security-policy', admin, { require_two_factor: true })
    expect(response.statusCode).toBe(409)
    expect((await ok('GET', '/api/admin/security-policy', admin)).require_two_factor).toBe(false)
  })

  it('holds a manager without two-factor at the enrolment routes until they enrol', async () => {
    await enrol(admin)
    expect(await ok('PUT', '/api/admin/security-policy', admin, { require_two_factor: true })).toEqual({
      require_two_factor: true,
    })
    expect((await call('GET', '/api/signings', admin)).statusCode).toBe(200)

    const held = await call('GET', '/api/signings', manager)
    expect(held.statusCode).toBe(403)
    expect(held.json().error.code).toBe('TWO_FACTOR_REQUIRED')
    expect((await ok('GET', '/api/auth/2fa', manager)).required).toBe(true)
    // The session itself and the enrolment routes stay reachable.
    expect((await ok('GET', '/api/session', manager)).role).toBe('manager')
    clock.advance(30)
    managerSecret = await enrol(manager)
    expect((await call('GET', '/api/signings', manager)).statusCode).toBe(200)

    // A member with the signer role is not concerned by the policy.
    expect((await ok('GET', '/api/auth/2fa', signerMember)).required).toBe(false)

    const { rows } = await t.database.executeSql(
      `select details::text as details from audit_events where action = 'workspace.security_policy_updated'`,
    )
    expect(rows).toEqual([{ details: '{"require_two_factor": true}' }])
  })

  it('holds the manager again once they disable two-factor, and frees them when the policy is off', async () => {
    clock.advance(30)
    // The sign-in was long ago by now: re-authenticate, then disable.
    clock.advance(5 * 60)
    const stale = await call('POST', '/api/auth/2fa/totp/disable', manager, {
      code: generateSync({ secret: managerSecret, epoch: clock.epoch() }),
    })
    expect(stale.json().error?.code).toBe('REAUTH_REQUIRED')
    await ok('POST', '/api/auth/reauth', manager, { password: DEMO.password })
    const disabled = await call('POST', '/api/auth/2fa/totp/disable', manager, {
      code: generateSync({ secret: managerSecret, epoch: clock.epoch() }),
    })
    expect(disabled.statusCode).toBe(204)
    expect((await call('GET', '/api/signings', manager)).json().error.code).toBe('TWO_FACTOR_REQUIRED')

    await ok('PUT', '/api/admin/security-policy', admin, { require_two_factor: false })
    expect((await call('GET', '/api/signings', manager)).statusCode).toBe(200)
  })
})

describe('two-factor sign-in rate limit', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await buildTestApp({ env: { SIGN_IN_ATTEMPTS_PER_MINUTE: '2' } })
  })
  afterAll(() => t.close())

  it('answers 429 past the per-address limit', async () => {
    const statuses = []
    for (let index = 0; index < 3; index += 1) {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/auth/sign-in/2fa',
        payload: { code: '123456' },
      })
      statuses.push(response.statusCode)
    }
    expect(statuses).toEqual([410, 410, 429])
  })
})

describe('key rotation of two-factor secrets', () => {
  let t: TestApp
  const { ok } = apiClient(() => t.app)
  const olderFirst = TEST_KEYRING.split(',').reverse().join(',')
  beforeAll(async () => {
    t = await buildTestApp({ keyring: olderFirst })
  })
  afterAll(() => t.close())

  it('re-encrypts stored TOTP secrets under the active key, and a second run changes nothing', async () => {
    const cookie = await t.signIn(DEMO.admin)
    const { secret } = await ok('POST', '/api/auth/2fa/totp/setup', cookie)
    const keyring = createKeyring(TEST_KEYRING)
    expect(await rotateStoredTotpSecrets({ db: t.database.db, keyring })).toBe(1)
    expect(await rotateStoredTotpSecrets({ db: t.database.db, keyring })).toBe(0)
    const { rows } = await t.database.executeSql(
      'select user_id, secret_ciphertext, secret_key_id from user_totp',
    )
    const row = rows[0] as { user_id: string; secret_ciphertext: string; secret_key_id: string }
    expect(row.secret_key_id).toBe(keyring.status.activeKeyId)
    expect(
      keyring.decrypt(
        { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext },
        { purpose: 'totp-secret', rowId: row.user_id },
      ),
    ).toBe(secret)
  })
})
