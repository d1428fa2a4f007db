import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { passwordProblem } from '../../server/modules/auth/password-policy.ts'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { eventually } from '../system/webhook-harness.ts'

const STRONG = 'correct horse battery staple'

describe('members, invitations and passwords', () => {
  let t: TestApp
  let adminCookie: string
  let managerCookie: string
  const { call, ok } = apiClient(() => t.app)

  beforeAll(async () => {
    t = await buildTestApp()
    ;[adminCookie, managerCookie] = await Promise.all([t.signIn(DEMO.admin), t.signIn(DEMO.manager)])
  })
  afterAll(async () => {
    await t?.close()
  })

  const tokenOf = (url: string) => new URL(url).pathname.split('/').at(-1) as string
  const cookieOf = (response: { cookies: Array<{ name: string; value: string }> }) => {
    const cookie = response.cookies.find((entry) => entry.name === 'safeclose_session')
    return cookie ? `safeclose_session=${cookie.value}` : null
  }

  it('is for admins only', async () => {
    expect((await call('GET', '/api/admin/members', managerCookie)).statusCode).toBe(403)
    expect((await call('GET', '/api/admin/members', null)).statusCode).toBe(401)
    const list = await ok('GET', '/api/admin/members', adminCookie)
    expect(list.members.map((member: JsonBody) => [member.email, member.role])).toEqual([
      [DEMO.admin, 'admin'],
      [DEMO.manager, 'manager'],
      [DEMO.signer, 'signer'],
    ])
    expect(list.members[0]).toEqual({
      user_id: expect.any(String),
      email: DEMO.admin,
      name: expect.any(String),
      role: 'admin',
      two_factor_enabled: false,
    })
  })

  it('invites, accepts with a new account, and the new manager works at once', async () => {
    const invited = await call('POST', '/api/admin/members/invitations', adminCookie, {
      email: 'nora.new@example.test',
      role: 'manager',
    })
    expect(invited.statusCode).toBe(201)
    const { invitation, url } = invited.json()
    expect(invitation).toMatchObject({ email: 'nora.new@example.test', role: 'manager' })
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:3000\/invite\/[A-Za-z0-9_-]{43}$/)
    // Stored hashed, and the message waits in the outbox (no SMTP here).
    const { rows } = await t.database.executeSql('select token_hash from member_invitations where id = $1', [
      invitation.id,
    ])
    expect(JSON.stringify(rows)).not.toContain(tokenOf(url))
    const outbox = await ok('GET', '/api/admin/outbox', adminCookie)
    expect(outbox.messages[0]).toMatchObject({ to: 'nora.new@example.test', status: 'stored' })
    expect(outbox.messages[0].text).toContain(url)
    expect((await ok('GET', '/api/admin/members', adminCookie)).invitations).toEqual([invitation])

    expect(await ok('POST', '/api/invitations/preview', '', { token: tokenOf(url) })).toEqual({
      workspace_name: 'Demo Closings',
      email: 'nora.new@example.test',
      name: null,
      role: 'manager',
      expires_at: invitation.expires_at,
      has_account: false,
    })
    // The password policy applies.
    for (const weak of ['password', 'short-one', '1qaz2wsx3edc']) {
      const refused = await call('POST', '/api/invitations/accept', null, {
        token: tokenOf(url),
        name: 'Nora New',
        password: weak,
      })
      expect(refused.statusCode, weak).toBe(400)
      expect(refused.json().error.code).toBe('VALIDATION_FAILED')
    }
    const accepted = await call('POST', '/api/invitations/accept', null, {
      token: tokenOf(url),
      name: 'Nora New',
      password: STRONG,
    })
    expect(accepted.statusCode).toBe(200)
    expect(accepted.json()).toMatchObject({
      principal: 'member',
      role: 'manager',
      user: { name: 'Nora New' },
    })
    const noraCookie = cookieOf(accepted) as string
    expect((await call('GET', '/api/signings', noraCookie)).statusCode).toBe(200)
    // Single use.
    const again = await call('POST', '/api/invitations/accept', null, {
      token: tokenOf(url),
      name: 'Nora New',
      password: STRONG,
    })
    expect(again.statusCode).toBe(410)
    expect((await ok('GET', '/api/admin/members', adminCookie)).invitations).toEqual([])
  })

  it('lets an existing account join only from its own signed-in session', async () => {
    // Nora is already a member here: another invitation is a conflict.
    expect(
      (
        await call('POST', '/api/admin/members/invitations', adminCookie, {
          email: 'NORA.NEW@example.test',
          role: 'admin',
        })
      ).statusCode,
    ).toBe(409)

    // A second workspace invites the demo signer, whose account exists.
    const other = await t.database.executeSql(
      "insert into workspaces (name) values ('Third Title') returning id",
    )
    const otherId = (other.rows[0] as { id: string }).id
    const me = await ok('GET', '/api/session', adminCookie)
    await t.database.executeSql(
      "insert into memberships (user_id, workspace_id, role) values ($1, $2, 'admin')",
      [me.user.id, otherId],
    )
    const thirdAdmin = cookieOf(
      await call('POST', '/api/session/workspace', await t.signIn(DEMO.admin), { workspace_id: otherId }),
    ) as string
    const { url } = await ok('POST', '/api/admin/members/invitations', thirdAdmin, {
      email: DEMO.signer,
      role: 'manager',
    })
    const token = tokenOf(url)
    expect((await ok('POST', '/api/invitations/preview', '', { token })).has_account).toBe(true)
    // Neither the account's password alone nor someone else's session will do.
    const withPassword = await call('POST', '/api/invitations/accept', null, {
      token,
      password: DEMO.password,
    })
    expect(withPassword.statusCode).toBe(401)
    expect(withPassword.json().error.message).toMatch(/sign in to it first/)
    expect((await call('POST', '/api/invitations/accept', managerCookie, { token })).statusCode).toBe(401)
    const joined = await call('POST', '/api/invitations/accept', await t.signIn(DEMO.signer), { token })
    expect(joined.statusCode).toBe(200)
    expect(joined.json()).toMatchObject({
      workspace: { id: otherId },
      role: 'manager',
      user: { email: DEMO.signer },
    })
  })

  it('refuses unknown, revoked and expired invitations, and a newer one replaces an older one', async () => {
    expect((await call('POST', '/api/invitations/preview', null, { token: 'x'.repeat(43) })).statusCode).toBe(
      404,
    )
    const first = await ok('POST', '/api/admin/members/invitations', adminCookie, {
      email: 'olga.old@example.test',
      role: 'manager',
    })
    const second = await ok('POST', '/api/admin/members/invitations', adminCookie, {
      email: 'olga.old@example.test',
      role: 'admin',
    })
    expect(
      (await call('POST', '/api/invitations/preview', null, { token: tokenOf(first.url) })).statusCode,
    ).toBe(410)
    expect(
      (await call('DELETE', `/api/admin/members/invitations/${second.invitation.id}`, managerCookie))
        .statusCode,
    ).toBe(403)
    expect(
      (await call('DELETE', `/api/admin/members/invitations/${second.invitation.id}`, adminCookie))
        .statusCode,
    ).toBe(204)
    expect(
      (await call('POST', '/api/invitations/preview', null, { token: tokenOf(second.url) })).statusCode,
    ).toBe(410)
    const third = await ok('POST', '/api/admin/members/invitations', adminCookie, {
      email: 'olga.old@example.test',
      role: 'manager',
    })
    await t.database.executeSql(
      "update member_invitations set expires_at = now() - interval '1 second' where id = $1",
      [third.invitation.id],
    )
    const expired = await call('POST', '/api/invitations/accept', null, {
      token: tokenOf(third.url),
      name: 'Olga',
      password: STRONG,
    })
    expect(expired.statusCode).toBe(410)
  })

  it('changes roles at once, protects the last admin, and removal ends the sessions', async () => {
    const list = await ok('GET', '/api/admin/members', adminCookie)
    const byEmail = (email: string) => list.members.find((member: JsonBody) => member.email === email)
    const admin = byEmail(DEMO.admin)
    const nora = byEmail('nora.new@example.test')
    const noraCookie = await t.signIn('nora.new@example.test', STRONG)

    expect(
      (await call('PATCH', `/api/admin/members/${admin.user_id}`, adminCookie, { role: 'manager' }))
        .statusCode,
    ).toBe(409)
    expect((await call('DELETE', `/api/admin/members/${admin.user_id}`, adminCookie)).statusCode).toBe(409)

    await ok('PATCH', `/api/admin/members/${nora.user_id}`, adminCookie, { role: 'admin' })
    expect((await ok('GET', '/api/session', noraCookie)).role).toBe('admin')
    expect((await call('GET', '/api/admin/members', noraCookie)).statusCode).toBe(200)
    await ok('PATCH', `/api/admin/members/${nora.user_id}`, adminCookie, { role: 'manager' })
    expect((await call('GET', '/api/admin/members', noraCookie)).statusCode).toBe(403)

    expect((await call('DELETE', `/api/admin/members/${nora.user_id}`, adminCookie)).statusCode).toBe(204)
    expect((await call('GET', '/api/session', noraCookie)).statusCode).toBe(401)
    expect(
      (await call('PATCH', `/api/admin/members/${nora.user_id}`, adminCookie, { role: 'admin' })).statusCode,
    ).toBe(404)
    const trail = await t.database.executeSql(
      "select action from audit_events where chain_key = $1 and action like 'member.%' order by sequence",
      [`workspace:${t.workspaceId}`],
    )
    expect(trail.rows.map((row) => (row as { action: string }).action)).toEqual(
      expect.arrayContaining([
        'member.invited',
        'member.joined',
        'member.invitation_revoked',
        'member.role_changed',
        'member.removed',
      ]),
    )
  })

  it('changes a password with the current one and ends the other sessions', async () => {
    const first = await t.signIn(DEMO.manager)
    const second = await t.signIn(DEMO.manager)
    expect(
      (await call('POST', '/api/auth/password', first, { current_password: 'wrong', new_password: STRONG }))
        .statusCode,
    ).toBe(401)
    expect(
      (
        await call('POST', '/api/auth/password', first, {
          current_password: DEMO.password,
          new_password: 'password',
        })
      ).statusCode,
    ).toBe(400)
    const changed = await ok('POST', '/api/auth/password', first, {
      current_password: DEMO.password,
      new_password: STRONG,
    })
    expect(changed.ended_sessions).toBeGreaterThanOrEqual(2)
    expect((await call('GET', '/api/session', first)).statusCode).toBe(200)
    expect((await call('GET', '/api/session', second)).statusCode).toBe(401)
    managerCookie = await t.signIn(DEMO.manager, STRONG)
  })

  it('resets a forgotten password through the outbox, once, and answers the same for unknown e-mails', async () => {
    const unknown = await call('POST', '/api/auth/password-reset/request', null, {
      email: 'nobody@example.test',
    })
    const known = await call('POST', '/api/auth/password-reset/request', null, { email: DEMO.signer })
    expect(unknown.statusCode).toBe(202)
    expect(known.statusCode).toBe(202)
    expect(unknown.body).toBe(known.body)

    const signerCookie = await t.signIn(DEMO.signer)
    const message = await eventually(async () => {
      const { messages } = await ok('GET', '/api/admin/outbox', adminCookie)
      return messages.find((entry: JsonBody) => entry.to === DEMO.signer && entry.subject.includes('Reset'))
    }, 'the reset e-mail in the outbox')
    const url = (message.text as string).match(/http:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/)?.[0] as string
    expect(url).toBeDefined()
    expect(
      (
        await call('POST', '/api/auth/password-reset/confirm', null, {
          token: tokenOf(url),
          password: 'password',
        })
      ).statusCode,
    ).toBe(400)
    await ok('POST', '/api/auth/password-reset/confirm', '', { token: tokenOf(url), password: STRONG })
    expect((await call('GET', '/api/session', signerCookie)).statusCode).toBe(401)
    expect(
      (
        await call('POST', '/api/auth/password-reset/confirm', null, {
          token: tokenOf(url),
          password: STRONG,
        })
      ).statusCode,
    ).toBe(410)
    await t.signIn(DEMO.signer, STRONG)
  })

  it('switches a member between their workspaces', async () => {
    const admin = await t.signIn(DEMO.admin)
    const other = await t.database.executeSql(
      "insert into workspaces (name) values ('Second Title') returning id",
    )
    const otherId = (other.rows[0] as { id: string }).id
    const me = await ok('GET', '/api/session', admin)
    await t.database.executeSql(
      "insert into memberships (user_id, workspace_id, role) values ($1, $2, 'manager')",
      [me.user.id, otherId],
    )
    const listed = await ok('GET', '/api/session/workspaces', admin)
    expect(listed.current).toBe(t.workspaceId)
    expect(listed.workspaces.map((workspace: JsonBody) => workspace.name)).toEqual([
      'Demo Closings',
      'Third Title',
      'Second Title',
    ])
    const switched = await call('POST', '/api/session/workspace', admin, { workspace_id: otherId })
    expect(switched.json()).toMatchObject({ workspace: { id: otherId }, role: 'manager' })
    expect((await call('GET', '/api/session', admin)).statusCode).toBe(401)
    const newCookie = cookieOf(switched) as string
    expect((await ok('GET', '/api/session', newCookie)).workspace.name).toBe('Second Title')
    expect(
      (
        await call('POST', '/api/session/workspace', newCookie, {
          workspace_id: '00000000-0000-4000-8000-000000000000',
        })
      ).statusCode,
    ).toBe(404)
  })

  it("shows admins the workspace's verified audit chain, newest first", async () => {
    expect((await call('GET', '/api/admin/audit', managerCookie)).statusCode).toBe(403)
    const audit = await ok('GET', '/api/admin/audit', adminCookie)
    expect(audit.verification).toEqual({
      is_valid: true,
      event_count: expect.any(Number),
      first_broken_sequence: null,
    })
    const sequences = audit.events.map((event: JsonBody) => event.sequence)
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a))
    const invited = audit.events.find((event: JsonBody) => event.action === 'member.invited')
    expect(invited.actor).toEqual({ type: 'member', id: expect.any(String), email: DEMO.admin })
    const actions = audit.events.map((event: JsonBody) => event.action)
    expect(actions).toEqual(
      expect.arrayContaining([
        'auth.signed_in',
        'member.joined',
        'auth.password_changed',
        'auth.password_reset',
      ]),
    )
  })

  it('knows common passwords from a maintained list', () => {
    expect(passwordProblem('password')).toMatch(/at least 12/)
    expect(passwordProblem('1qaz2wsx3edc')).toMatch(/most common/)
    expect(passwordProblem('QWERTY123456')).toMatch(/most common/)
    expect(passwordProblem('nora.new@example.test', { email: 'Nora.New@example.test' })).toMatch(/e-mail/)
    expect(passwordProblem(STRONG)).toBeNull()
  })
})
