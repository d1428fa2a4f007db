import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertMembership, insertUser } from '../../server/modules/auth/repository.ts'
import type { Mailer, OutgoingEmail } from '../../server/modules/email/mailer.ts'
import { insertWorkspace } from '../../server/modules/workspace/repository.ts'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

/** A package with one signer, activated by the manager; returns the invitation the manager got. */
async function activatePackage(ok: ReturnType<typeof apiClient>['ok'], cookie: string, email: string) {
  const created = await ok('POST', '/api/signings', cookie, { title: 'Closing at 3 Mail Road' })
  await ok('POST', `/api/signings/${created.id}/documents`, cookie, {
    title: 'Agreement',
    kind: 'markdown',
    markdown: 'Sign.',
  })
  await ok('POST', `/api/signings/${created.id}/signers`, cookie, { legal_name: 'Mia Mail', email })
  return (await ok('POST', `/api/signings/${created.id}/activate`, cookie)).invitations[0] as JsonBody
}

describe('outbox without SMTP: every message waits for administrators', () => {
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

  it("keeps a signer's invitation, with its working link, for the workspace's admins only", async () => {
    const invitation = await activatePackage(ok, managerCookie, 'mia.mail@example.test')
    expect(invitation.emailed).toBe(false)

    const response = await call('GET', '/api/admin/outbox', adminCookie)
    expect(response.statusCode).toBe(200)
    expect(response.headers['cache-control']).toBe('no-store')
    const { delivering, messages } = response.json()
    expect(delivering).toBe(false)
    expect(messages[0]).toMatchObject({
      to: 'mia.mail@example.test',
      subject: 'Please sign: Closing at 3 Mail Road',
      status: 'stored',
      sent_at: null,
    })
    expect(messages[0].text).toContain(invitation.url)

    expect((await call('GET', '/api/admin/outbox', managerCookie)).statusCode).toBe(403)
    expect((await call('GET', '/api/admin/outbox', null)).statusCode).toBe(401)

    // An admin of another workspace sees none of it.
    const { rows } = await t.database.executeSql('select password_hash from users where email = $1', [
      DEMO.admin,
    ])
    const workspace = await insertWorkspace(t.database.db, 'Elsewhere Title')
    const other = await insertUser(t.database.db, {
      email: 'elsewhere-admin@example.test',
      name: 'Elle Elsewhere',
      passwordHash: (rows[0] as { password_hash: string }).password_hash,
    })
    await insertMembership(t.database.db, { userId: other.id, workspaceId: workspace.id, role: 'admin' })
    const otherCookie = await t.signIn('elsewhere-admin@example.test')
    expect((await ok('GET', '/api/admin/outbox', otherCookie)).messages).toEqual([])
  })
})

describe('outbox with SMTP: messages are sent, recorded, and keep no body once delivered', () => {
  let t: TestApp
  let adminCookie: string
  let managerCookie: string
  const sent: OutgoingEmail[] = []
  let isAccepting = true
  const mailer: Mailer = {
    isConfigured: true,
    async send(email) {
      if (!isAccepting) return false
      sent.push(email)
      return true
    },
  }
  const { ok } = apiClient(() => t.app)

  beforeAll(async () => {
    t = await buildTestApp({ mailer })
    ;[adminCookie, managerCookie] = await Promise.all([t.signIn(DEMO.admin), t.signIn(DEMO.manager)])
  })
  afterAll(async () => {
    await t?.close()
  })

  it('records a delivered invitation without its link, and keeps a refused one for the admins', async () => {
    const delivered = await activatePackage(ok, managerCookie, 'sent.mail@example.test')
    expect(delivered).toMatchObject({ emailed: true, url: null })
    expect(sent.at(-1)?.to).toBe('sent.mail@example.test')

    isAccepting = false
    const refused = await activatePackage(ok, managerCookie, 'refused.mail@example.test')
    expect(refused.emailed).toBe(false)

    const { delivering, messages } = await ok('GET', '/api/admin/outbox', adminCookie)
    expect(delivering).toBe(true)
    const [newest, older] = messages
    expect(newest).toMatchObject({ to: 'refused.mail@example.test', status: 'failed' })
    expect(newest.text).toContain(refused.url)
    expect(older).toMatchObject({ to: 'sent.mail@example.test', status: 'sent', text: null })
    expect(older.sent_at).toEqual(expect.any(String))
    const { rows } = await t.database.executeSql(
      "select text_body, html_body from outbox_messages where status = 'sent'",
    )
    expect(rows).toEqual([{ text_body: null, html_body: null }])
  })
})
