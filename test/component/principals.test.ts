import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertMembership, insertUser } from '../../server/modules/auth/repository.ts'
import { insertWorkspace } from '../../server/modules/workspace/repository.ts'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { startTestEmulator, type TestEmulator } from '../helpers/plaid.ts'

// The attack of the security review: a manager addresses a signing link to a staff member's e-mail
// and opens it. The link must give a signer principal of its own, never the staff member's account,
// role or bank connection, whether the manager is in the victim's workspace or in another one.
describe('principals: a signing link never becomes a staff login', () => {
  let emulator: TestEmulator
  let t: TestApp
  let adminCookie: string
  let managerCookie: string
  let otherManagerCookie: string
  let otherWorkspaceId: string
  let adminUserId: string

  const { call, ok } = apiClient(() => t.app)

  beforeAll(async () => {
    emulator = await startTestEmulator()
    t = await buildTestApp({ env: { PLAID_EMULATOR_URL: emulator.url } })
    ;[adminCookie, managerCookie] = await Promise.all([t.signIn(DEMO.admin), t.signIn(DEMO.manager)])
    // Workspace B with a manager of its own (same demo password hash).
    const { rows } = await t.database.executeSql('select password_hash from users where email = $1', [
      DEMO.manager,
    ])
    const workspace = await insertWorkspace(t.database.db, 'Rival Title')
    otherWorkspaceId = workspace.id
    const other = await insertUser(t.database.db, {
      email: 'rival-manager@example.test',
      name: 'Rita Rival',
      passwordHash: (rows[0] as { password_hash: string }).password_hash,
    })
    await insertMembership(t.database.db, { userId: other.id, workspaceId: workspace.id, role: 'manager' })
    otherManagerCookie = await t.signIn('rival-manager@example.test')
    adminUserId = (await ok('GET', '/api/session', adminCookie)).user.id
    // The victim (workspace A's admin) has a working bank link of their own in the lab.
    await ok('POST', '/api/plaid/exchange', adminCookie, { public_token: await emulator.createPublicToken() })
  })
  afterAll(async () => {
    await t?.close()
    await emulator?.close()
  })

  /** A package addressed to `email`, activated by the manager behind `cookie`; returns the signer's session. */
  async function linkSessionFor(cookie: string, email: string) {
    const created = await ok('POST', '/api/signings', cookie, { title: 'Closing at 1 Trap Lane' })
    await ok('POST', `/api/signings/${created.id}/documents`, cookie, {
      title: 'Agreement',
      kind: 'markdown',
      markdown: 'Sign here.',
    })
    await ok('POST', `/api/signings/${created.id}/signers`, cookie, { legal_name: 'Ada Admin', email })
    const activated = await ok('POST', `/api/signings/${created.id}/activate`, cookie)
    const invitation = activated.invitations[0] as { url: string; signer_id: string }
    const token = new URL(invitation.url).pathname.split('/').at(-1)
    const opened = await call('POST', '/api/signing-links/open', null, { token })
    expect(opened.statusCode).toBe(200)
    const cookieEntry = opened.cookies.find((entry) => entry.name === 'safeclose_session')
    if (!cookieEntry) throw new Error('no session cookie')
    return {
      cookie: `${cookieEntry.name}=${cookieEntry.value}`,
      signingId: created.id as string,
      signerId: invitation.signer_id,
    }
  }

  async function victimStatus(): Promise<JsonBody> {
    return ok('GET', '/api/plaid/status', adminCookie)
  }

  describe.each([
    ['a manager of the same workspace', () => managerCookie, () => t.workspaceId],
    ['a manager of another workspace', () => otherManagerCookie, () => otherWorkspaceId],
  ])('a link addressed to the admin by %s', (_label, managerOf, workspaceOf) => {
    it("is a signer session: not the admin's identity, role or workspace powers", async () => {
      const link = await linkSessionFor(managerOf(), DEMO.admin)
      const session = await ok('GET', '/api/session', link.cookie)
      expect(session.principal).toBe('signer')
      expect(session.user).toBeNull()
      expect(session.role).toBeNull()
      expect(session.workspace.id).toBe(workspaceOf())
      expect(session.signer).toMatchObject({
        id: link.signerId,
        email: DEMO.admin,
        signing_id: link.signingId,
      })
      for (const [method, url] of [
        ['GET', '/api/admin/plaid-settings'],
        ['GET', '/api/admin/webhooks'],
        ['GET', '/api/signings'],
        ['GET', '/api/signing-settings'],
      ] as const) {
        expect((await call(method, url, link.cookie)).statusCode, `${method} ${url}`).toBe(403)
      }
    })

    it("cannot read, break, replace or remove the admin's bank link", async () => {
      const before = await victimStatus()
      expect(before.connected).toBe(true)
      const link = await linkSessionFor(managerOf(), DEMO.admin)

      const status = await ok('GET', '/api/plaid/status', link.cookie)
      expect(status.connected).toBe(false)
      expect(status.item).toBeNull()
      const reset = await call('POST', '/api/plaid/sandbox/reset-login', link.cookie)
      expect(reset.statusCode).toBe(409)
      expect((await ok('DELETE', '/api/plaid/item', link.cookie)).removed).toBe(false)
      // The signer's own exchange creates the signer's own Item, beside the admin's.
      const exchanged = await ok('POST', '/api/plaid/exchange', link.cookie, {
        public_token: await emulator.createPublicToken(),
      })
      expect((await ok('GET', '/api/plaid/status', link.cookie)).item.item_id).toBe(exchanged.item_id)

      const after = await victimStatus()
      expect(after.item.item_id).toBe(before.item.item_id)
      expect(after.item.status).toBe('good')
      expect(after.connected).toBe(true)
      const { rows } = await t.database.executeSql(
        'select workspace_id, user_id, signer_id from plaid_items where plaid_item_id = $1',
        [exchanged.item_id],
      )
      expect(rows).toEqual([{ workspace_id: workspaceOf(), user_id: null, signer_id: link.signerId }])
    })

    it('names the signer, not the admin, as the actor in the audit trail, and leaves the account alone', async () => {
      const memberships = async () =>
        (
          await t.database.executeSql(
            'select workspace_id, role from memberships where user_id = $1 order by workspace_id',
            [adminUserId],
          )
        ).rows
      const before = await memberships()
      const link = await linkSessionFor(managerOf(), DEMO.admin)
      await ok('GET', '/api/signer/signing', link.cookie)
      const trail = await ok('GET', `/api/signings/${link.signingId}/audit`, managerOf())
      const opened = trail.events.find((event: JsonBody) => event.action === 'signer.invitation_opened')
      expect(opened.actor).toEqual({
        type: 'signer',
        user_id: null,
        signer_id: link.signerId,
        name: 'Ada Admin',
        email: DEMO.admin,
      })
      expect(trail.events.some((event: JsonBody) => event.actor?.user_id === adminUserId)).toBe(false)
      expect(await memberships()).toEqual(before)
      // The admin's password sign-in is untouched.
      expect((await ok('GET', '/api/session', await t.signIn(DEMO.admin))).role).toBe('admin')
    })
  })

  it("keeps a staff member's lab Item and their Item as a signer apart", async () => {
    const link = await linkSessionFor(managerCookie, DEMO.manager)
    await ok('POST', '/api/plaid/exchange', managerCookie, {
      public_token: await emulator.createPublicToken(),
    })
    const memberItem = (await ok('GET', '/api/plaid/status', managerCookie)).item.item_id
    await ok('POST', '/api/plaid/exchange', link.cookie, { public_token: await emulator.createPublicToken() })
    const signerItem = (await ok('GET', '/api/plaid/status', link.cookie)).item.item_id
    expect(signerItem).not.toBe(memberItem)
    // Unlinking as the signer leaves the member's Item live, and the other way round.
    expect((await ok('DELETE', '/api/plaid/item', link.cookie)).removed).toBe(true)
    expect((await ok('GET', '/api/plaid/status', managerCookie)).item.item_id).toBe(memberItem)
  })

  it("keeps a member's Items apart per workspace", async () => {
    // The same user is a member of workspace B too; a session there sees none of workspace A's Item.
    await insertMembership(t.database.db, {
      userId: adminUserId,
      workspaceId: otherWorkspaceId,
      role: 'admin',
    })
    const { rows } = await t.database.executeSql(
      `insert into sessions (token_hash, user_id, workspace_id, expires_at)
       values ($1, $2, $3, now() + interval '1 hour') returning token_hash`,
      [
        // sha256('workspace-b-session') in base64url, as the auth module stores it.
        (await import('node:crypto')).createHash('sha256').update('workspace-b-session').digest('base64url'),
        adminUserId,
        otherWorkspaceId,
      ],
    )
    expect(rows).toHaveLength(1)
    const cookieB = 'safeclose_session=workspace-b-session'
    expect((await ok('GET', '/api/session', cookieB)).workspace.id).toBe(otherWorkspaceId)
    expect((await ok('GET', '/api/plaid/status', cookieB)).item).toBeNull()
    expect((await ok('GET', '/api/plaid/status', adminCookie)).connected).toBe(true)
  })
})
