import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditService } from '../../server/modules/audit/service.ts'
import { insertMembership, insertUser } from '../../server/modules/auth/repository.ts'
import { createAuthService } from '../../server/modules/auth/service.ts'
import { createOutbox } from '../../server/modules/email/outbox.ts'
import { createSigningManagerService } from '../../server/modules/signing/manager-service.ts'
import { DEFAULT_OWNERSHIP_POLICY, ownershipVerdict } from '../../server/modules/signing/rules.ts'
import { insertWorkspace } from '../../server/modules/workspace/repository.ts'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { makePdf } from '../helpers/pdf.ts'
import { startTestEmulator, type TestEmulator } from '../helpers/plaid.ts'

// The emulator's identity data belongs to "Alberta Bobbeth Charleson" (Plaid's user_good).
const OWNER = 'Alberta Charleson'

type Body = JsonBody

describe('signing packages', () => {
  let emulator: TestEmulator
  let t: TestApp
  let managerCookie: string
  let adminCookie: string
  let demoSignerCookie: string

  beforeAll(async () => {
    emulator = await startTestEmulator()
    t = await buildTestApp({ env: { PLAID_EMULATOR_URL: emulator.url } })
    ;[managerCookie, adminCookie, demoSignerCookie] = await Promise.all([
      t.signIn(DEMO.manager),
      t.signIn(DEMO.admin),
      t.signIn(DEMO.signer),
    ])
  })
  afterAll(async () => {
    await t?.close()
    await emulator?.close()
  })

  const { call, ok } = apiClient(() => t.app)

  /** A draft with one Markdown document and the given signers. */
  async function draft(signers: Array<{ legal_name: string; email: string; bank_required?: boolean }>) {
    const created = await ok('POST', '/api/signings', managerCookie, {
      title: 'Closing at 12 Elm St',
      note: 'Sign by Friday',
    })
    await ok('POST', `/api/signings/${created.id}/documents`, managerCookie, {
      title: 'Purchase agreement',
      kind: 'markdown',
      markdown: '# Purchase agreement\n\nThe buyer pays **$1** to the seller.',
    })
    for (const signer of signers)
      await ok('POST', `/api/signings/${created.id}/signers`, managerCookie, signer)
    return created.id as string
  }

  async function activate(id: string) {
    return ok<{
      signing: Body
      invitations: Array<{ signer_id: string; email: string; url: string }>
    }>('POST', `/api/signings/${id}/activate`, managerCookie)
  }

  async function open(url: string) {
    const token = new URL(url).pathname.split('/').at(-1)
    const response = await call('POST', '/api/signing-links/open', null, { token })
    const cookie = response.cookies.find((entry) => entry.name === 'safeclose_session')
    return { response, cookie: cookie ? `${cookie.name}=${cookie.value}` : null }
  }

  async function openAs(url: string): Promise<string> {
    const { response, cookie } = await open(url)
    if (response.statusCode !== 200 || !cookie)
      throw new Error(`open failed: ${response.statusCode} ${response.body}`)
    return cookie
  }

  async function reviewAll(cookie: string) {
    const flow = await ok('GET', '/api/signer/signing', cookie)
    for (const document of flow.documents)
      await ok('POST', `/api/signer/signing/documents/${document.id}/reviewed`, cookie, {})
  }

  /** Links a sandbox bank through the real bank-linking API and chooses its first account. */
  async function verifyBank(cookie: string) {
    await ok('POST', '/api/plaid/exchange', cookie, { public_token: await emulator.createPublicToken() })
    const status = await ok('GET', '/api/plaid/status', cookie)
    return ok('POST', '/api/signer/signing/bank/account', cookie, {
      account_id: status.item.accounts[0].account_id,
      link_session_id: 'link-session-test-1',
    })
  }

  async function auditActions(id: string): Promise<string[]> {
    const trail = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
    return trail.events.map((event: { action: string }) => event.action)
  }

  describe('access', () => {
    it('answers 401 without a session and 403 to signers for the manager API', async () => {
      expect((await call('GET', '/api/signings', null)).statusCode).toBe(401)
      const forbidden = await call('GET', '/api/signings', demoSignerCookie)
      expect(forbidden.statusCode).toBe(403)
      expect(forbidden.json().error.code).toBe('FORBIDDEN')
      expect((await call('POST', '/api/signings', demoSignerCookie, { title: 'x' })).statusCode).toBe(403)
    })

    it('answers 404 to a manager of another workspace, and lists only their own packages', async () => {
      const id = await draft([{ legal_name: OWNER, email: 'alberta.scope@example.test' }])
      const { rows } = await t.database.executeSql('select password_hash from users where email = $1', [
        DEMO.manager,
      ])
      const workspace = await insertWorkspace(t.database.db, 'Other Closings')
      const other = await insertUser(t.database.db, {
        email: 'other-manager@example.test',
        name: 'Olive Other',
        passwordHash: (rows[0] as { password_hash: string }).password_hash,
      })
      await insertMembership(t.database.db, { userId: other.id, workspaceId: workspace.id, role: 'manager' })
      const otherCookie = await t.signIn('other-manager@example.test')

      for (const [method, url] of [
        ['GET', `/api/signings/${id}`],
        ['GET', `/api/signings/${id}/audit`],
        ['GET', `/api/signings/${id}/certificate`],
        ['POST', `/api/signings/${id}/activate`],
      ] as const) {
        const response = await call(method, url, otherCookie)
        expect(response.statusCode, `${method} ${url}`).toBe(404)
        expect(response.json().error.code).toBe('NOT_FOUND')
      }
      expect((await ok('GET', '/api/signings', otherCookie)).signings).toEqual([])
      expect(
        (await ok('GET', '/api/signings', managerCookie)).signings.map((row: { id: string }) => row.id),
      ).toContain(id)
    })

    it('counts signers and signatures in the package list', async () => {
      const id = await draft([
        { legal_name: OWNER, email: 'alberta.count@example.test' },
        { legal_name: 'Zoe Charleson', email: 'zoe.count@example.test' },
      ])
      const { signings } = await ok('GET', '/api/signings', managerCookie)
      expect(signings.find((signing: Body) => signing.id === id)).toMatchObject({
        signer_count: 2,
        signed_count: 0,
      })
    })

    it('validates input strictly', async () => {
      const id = await draft([])
      const cases: Array<[string, unknown]> = [
        ['/api/signings', { title: '' }],
        ['/api/signings', { title: 'x', extra: 1 }],
        [`/api/signings/${id}/signers`, { legal_name: 'A B', email: 'not-an-email' }],
        [`/api/signings/${id}/documents`, { title: 'x', kind: 'pdf', pdf_base64: 'bm90IGEgcGRm' }],
        [`/api/signings/${id}/documents`, { title: 'x', kind: 'html', markdown: 'x' }],
      ]
      for (const [url, payload] of cases) {
        const response = await call('POST', url, managerCookie, payload)
        expect(response.statusCode, JSON.stringify(payload)).toBe(400)
        expect(response.json().error.code).toBe('VALIDATION_FAILED')
      }
      expect((await call('GET', '/api/signings/not-a-uuid', managerCookie)).statusCode).toBe(400)
    })

    it('stores an uploaded PDF and refuses documents over the size limit', async () => {
      const id = await draft([])
      const pdf = makePdf('Deed')
      const view = await ok('POST', `/api/signings/${id}/documents`, managerCookie, {
        title: 'Deed',
        kind: 'pdf',
        pdf_base64: pdf.toString('base64'),
      })
      expect(
        view.documents.map((document: { kind: string; position: number }) => [
          document.kind,
          document.position,
        ]),
      ).toEqual([
        ['markdown', 1],
        ['pdf', 2],
      ])
      expect(view.documents[1].byte_size).toBe(pdf.length)
      const tooLarge = await call('POST', `/api/signings/${id}/documents`, managerCookie, {
        title: 'Huge',
        kind: 'markdown',
        markdown: 'x'.repeat(2 * 1024 * 1024 + 1),
      })
      expect(tooLarge.statusCode).toBe(413)
    })
  })

  describe('state machine', () => {
    it('activates only a draft with documents and signers, and freezes documents and signers after', async () => {
      const empty = await ok('POST', '/api/signings', managerCookie, { title: 'Empty' })
      const refused = await call('POST', `/api/signings/${empty.id}/activate`, managerCookie)
      expect(refused.statusCode).toBe(409)

      const id = await draft([{ legal_name: OWNER, email: 'alberta.state@example.test' }])
      const { signing, invitations } = await activate(id)
      expect(signing.status).toBe('active')
      expect(invitations).toEqual([
        {
          signer_id: expect.any(String),
          email: 'alberta.state@example.test',
          expires_at: expect.any(String),
          emailed: false,
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:3000\/signing\/s\/[A-Za-z0-9_-]{43}$/),
        },
      ])
      const token = new URL(invitations[0]?.url ?? '').pathname.split('/').at(-1) as string
      const { rows } = await t.database.executeSql(
        'select token_hash from signing_links where signer_id = $1',
        [invitations[0]?.signer_id],
      )
      expect(JSON.stringify(rows)).not.toContain(token)

      for (const [method, url, payload] of [
        ['POST', `/api/signings/${id}/documents`, { title: 'Late', kind: 'markdown', markdown: 'x' }],
        ['POST', `/api/signings/${id}/signers`, { legal_name: 'Late Signer', email: 'late@example.test' }],
        ['DELETE', `/api/signings/${id}/signers/${invitations[0]?.signer_id}`, undefined],
        ['POST', `/api/signings/${id}/activate`, undefined],
      ] as const) {
        const response = await call(method, url, managerCookie, payload)
        expect(response.statusCode, `${method} ${url}`).toBe(409)
      }
    })

    it('cancels with a reason, revokes the links and refuses further changes', async () => {
      const id = await draft([{ legal_name: OWNER, email: 'alberta.cancel@example.test' }])
      const { invitations } = await activate(id)
      const signerCookie = await openAs(invitations[0]?.url ?? '')

      expect((await call('POST', `/api/signings/${id}/cancel`, managerCookie, {})).statusCode).toBe(400)
      const cancelled = await ok('POST', `/api/signings/${id}/cancel`, managerCookie, {
        reason: 'Buyer withdrew',
      })
      expect(cancelled).toMatchObject({ status: 'cancelled', cancel_reason: 'Buyer withdrew' })

      expect((await open(invitations[0]?.url ?? '')).response.statusCode).toBe(410)
      expect((await call('GET', '/api/signer/signing', signerCookie)).statusCode).toBe(401)
      expect(
        (await call('POST', `/api/signings/${id}/cancel`, managerCookie, { reason: 'again' })).statusCode,
      ).toBe(409)
      expect(await auditActions(id)).toContain('signing.cancelled')
    })
  })

  describe('signing links and signer sessions', () => {
    it('opens a signer session for the signer record, never the user account of a known e-mail', async () => {
      const id = await draft([{ legal_name: 'Sam Signer', email: DEMO.signer }])
      const { invitations } = await activate(id)
      const invitation = invitations[0] as { url: string; signer_id: string }
      const cookie = await openAs(invitation.url)

      const session = await ok('GET', '/api/session', cookie)
      expect(session).toEqual({
        principal: 'signer',
        user: null,
        workspace: { id: t.workspaceId, name: 'Demo Closings' },
        role: null,
        signer: { id: invitation.signer_id, email: DEMO.signer, name: 'Sam Signer', signing_id: id },
      })
      // Bank linking works for the signer principal...
      expect((await call('GET', '/api/plaid/status', cookie)).statusCode).toBe(200)
      // ...but role-gated routes refuse it.
      expect((await call('GET', '/api/admin/plaid-settings', cookie)).statusCode).toBe(403)
      // A password session has no signer record to act on.
      expect((await call('GET', '/api/signer/signing', demoSignerCookie)).statusCode).toBe(403)
    })

    it('creates no user account and no membership for a new e-mail', async () => {
      const id = await draft([{ legal_name: OWNER, email: 'New.Person@Example.test' }])
      const { invitations } = await activate(id)
      const cookie = await openAs(invitations[0]?.url ?? '')
      expect((await ok('GET', '/api/session', cookie)).principal).toBe('signer')
      const { rows } = await t.database.executeSql('select id from users where lower(email) = $1', [
        'new.person@example.test',
      ])
      expect(rows).toEqual([])
      const signIn = await call('POST', '/api/auth/sign-in/email', null, {
        email: 'new.person@example.test',
        password: 'safeclose-demo',
      })
      expect(signIn.statusCode).toBe(401)
    })

    it('refuses unknown, expired and replaced links, and a replaced link ends its sessions', async () => {
      const unknown = await call('POST', '/api/signing-links/open', null, { token: 'A'.repeat(43) })
      expect(unknown.statusCode).toBe(404)

      const id = await draft([{ legal_name: OWNER, email: 'alberta.links@example.test' }])
      const { invitations } = await activate(id)
      const first = invitations[0] as { url: string; signer_id: string }
      const oldCookie = await openAs(first.url)

      const resent = await ok('POST', `/api/signings/${id}/signers/${first.signer_id}/resend`, managerCookie)
      expect(resent.invitation.url).not.toBe(first.url)
      const replaced = await open(first.url)
      expect(replaced.response.statusCode).toBe(410)
      expect(replaced.response.json().error.code).toBe('SIGNING_LINK_EXPIRED')
      expect((await call('GET', '/api/signer/signing', oldCookie)).statusCode).toBe(401)

      const newCookie = await openAs(resent.invitation.url)
      expect((await call('GET', '/api/signer/signing', newCookie)).statusCode).toBe(200)

      await t.database.executeSql(
        "update signing_links set expires_at = now() - interval '1 minute' where signer_id = $1",
        [first.signer_id],
      )
      const expired = await open(resent.invitation.url)
      expect(expired.response.statusCode).toBe(410)
      expect(expired.response.json().error.message).toContain('expired')
      expect(await auditActions(id)).toEqual(
        expect.arrayContaining(['signer.link_issued', 'signer.invitation_opened', 'signer.link_reissued']),
      )
    })

    it('keeps signer A out of signer B: no manager API, and the flow shows only their own record', async () => {
      const id = await draft([
        { legal_name: OWNER, email: 'a@example.test' },
        { legal_name: 'Bob Builder', email: 'b@example.test' },
      ])
      const { invitations } = await activate(id)
      const cookieA = await openAs(invitations[0]?.url ?? '')
      const flowA = await ok('GET', '/api/signer/signing', cookieA)
      expect(flowA.signer).toMatchObject({ email: 'a@example.test', legal_name: OWNER })
      expect(JSON.stringify(flowA)).not.toContain('b@example.test')
      for (const url of [`/api/signings/${id}`, `/api/signings/${id}/audit`, '/api/signings']) {
        expect((await call('GET', url, cookieA)).statusCode, url).toBe(403)
      }
    })
  })

  describe('the signer flow', () => {
    it('enforces review → bank → sign, resumes where it stopped and completes the package', async () => {
      const id = await draft([
        { legal_name: OWNER, email: 'alberta.flow@example.test' },
        { legal_name: 'Nora Nobank', email: 'nora@example.test', bank_required: false },
      ])
      const { invitations } = await activate(id)
      const cookie = await openAs(invitations[0]?.url ?? '')
      const sign = (payload: unknown) => call('POST', '/api/signer/signing/sign', cookie, payload)

      expect((await ok('GET', '/api/signer/signing', cookie)).step).toBe('review')
      const early = await sign({ typed_name: OWNER, consent: true })
      expect(early.statusCode).toBe(409)
      expect(early.json().error).toMatchObject({ code: 'STEP_NOT_READY', step: 'review' })

      await reviewAll(cookie)
      // Leaving and coming back through the link resumes at the bank step.
      const again = await openAs(invitations[0]?.url ?? '')
      expect((await ok('GET', '/api/signer/signing', again)).step).toBe('bank')
      expect((await sign({ typed_name: OWNER, consent: true })).json().error.step).toBe('bank')

      const started = await call('POST', '/api/signer/signing/bank/link-started', cookie, {
        link_session_id: 'a1b2c3d4-link-session',
      })
      expect(started.statusCode).toBe(204)
      const verified = await verifyBank(cookie)
      expect(verified.step).toBe('sign')
      expect(verified.signer.status).toBe('bank_verified')
      expect(verified.bank).toMatchObject({
        institution_name: 'First Platypus Bank',
        account_mask: expect.stringMatching(/^\d{4}$/),
        item_status: 'good',
        verdict: 'verified',
        name_score: 95,
      })

      expect((await sign({ typed_name: OWNER, consent: false })).statusCode).toBe(400)
      const wrongName = await sign({ typed_name: 'Someone Else', consent: true })
      expect(wrongName.statusCode).toBe(400)
      expect(wrongName.json().error.message).toContain(OWNER)

      const signed = await sign({ typed_name: '  alberta   charleson ', consent: true })
      expect(signed.statusCode).toBe(200)
      expect(signed.json()).toMatchObject({ step: 'done', signer: { status: 'signed' } })
      expect((await sign({ typed_name: OWNER, consent: true })).json().error.step).toBe('done')
      expect((await ok('GET', `/api/signings/${id}`, managerCookie)).status).toBe('active')

      // The second signer needs no bank step.
      const nora = await openAs(invitations[1]?.url ?? '')
      await reviewAll(nora)
      expect((await ok('GET', '/api/signer/signing', nora)).step).toBe('sign')
      await ok('POST', '/api/signer/signing/sign', nora, { typed_name: 'Nora Nobank', consent: true })

      const done = await ok('GET', `/api/signings/${id}`, managerCookie)
      expect(done.status).toBe('complete')
      expect(done.signers[0]).toMatchObject({
        status: 'signed',
        signature: { typed_name: 'alberta   charleson', ip_address: '127.0.0.1' },
        bank: { verdict: 'verified', institution_name: 'First Platypus Bank' },
      })
      expect(
        (await call('POST', `/api/signings/${id}/cancel`, managerCookie, { reason: 'late' })).statusCode,
      ).toBe(409)

      const actions = await auditActions(id)
      expect(actions).toEqual(
        expect.arrayContaining([
          'signing.created',
          'signing.activated',
          'signer.link_issued',
          'signer.invitation_opened',
          'document.viewed',
          'bank.link_started',
          'bank.linked',
          'bank.ownership_checked',
          'signer.signed',
          'signing.completed',
        ]),
      )
      expect(actions.at(-1)).toBe('signing.completed')
      // Each document's first view only.
      expect(actions.filter((action) => action === 'document.viewed')).toHaveLength(2)
    })

    it('sends a signer back to the bank step while their Item needs a reconnect', async () => {
      const id = await draft([{ legal_name: OWNER, email: 'alberta.relogin@example.test' }])
      const { invitations } = await activate(id)
      const cookie = await openAs(invitations[0]?.url ?? '')
      await reviewAll(cookie)
      const verified = await verifyBank(cookie)
      expect(verified.step).toBe('sign')

      await t.database.executeSql(
        "update plaid_items set status = 'login_required' where plaid_item_id = $1",
        [verified.bank.item_id],
      )
      const flow = await ok('GET', '/api/signer/signing', cookie)
      expect(flow).toMatchObject({ step: 'bank', bank: { item_status: 'login_required' } })
      const refused = await call('POST', '/api/signer/signing/sign', cookie, {
        typed_name: OWNER,
        consent: true,
      })
      expect(refused.json().error).toMatchObject({ code: 'STEP_NOT_READY', step: 'bank' })
      const token = await ok('POST', '/api/plaid/link-token', cookie)
      expect(token.mode).toBe('update')
    })
  })

  describe('ownership match', () => {
    it.each([
      [100, 'verified'],
      [85, 'verified'],
      [84, 'needs_review'],
      [70, 'needs_review'],
      [69, 'mismatch'],
      [null, 'mismatch'],
    ] as const)('turns a name score of %s into %s with the default thresholds', (score, verdict) => {
      expect(ownershipVerdict(score, DEFAULT_OWNERSHIP_POLICY)).toBe(verdict)
    })

    it.each([
      ['Alberta Charleson', 'verified', 95],
      ['Zoe Charleson', 'needs_review', 75],
      ['Sam Signer', 'mismatch', expect.any(Number)],
    ])('scores %s against the account owners: %s', async (legalName, verdict, score) => {
      const email = `${legalName.replaceAll(' ', '.').toLowerCase()}.${verdict}@example.test`
      const id = await draft([{ legal_name: legalName, email }])
      const { invitations } = await activate(id)
      const cookie = await openAs(invitations[0]?.url ?? '')
      await reviewAll(cookie)
      const flow = await verifyBank(cookie)
      expect(flow.bank).toMatchObject({ verdict, name_score: score })
      // Without "require match" even a mismatch may sign; the manager sees the verdict.
      expect(flow.step).toBe('sign')
      const manager = await ok('GET', `/api/signings/${id}`, managerCookie)
      expect(manager.signers[0].bank).toMatchObject({ verdict, name_score: score })
    })

    it('uses the workspace thresholds, and blocks a mismatch when the workspace requires a match', async () => {
      expect((await call('PUT', '/api/signing-settings', managerCookie, {})).statusCode).toBe(403)
      const invalid = await call('PUT', '/api/signing-settings', adminCookie, {
        verified_name_score: 60,
        review_name_score: 80,
        match_required: true,
      })
      expect(invalid.statusCode).toBe(400)
      const policy = { verified_name_score: 76, review_name_score: 74, match_required: true }
      expect(await ok('PUT', '/api/signing-settings', adminCookie, policy)).toEqual(policy)
      try {
        const id = await draft([
          { legal_name: 'Zoe Charleson', email: 'zoe.policy@example.test' },
          { legal_name: 'Sam Signer', email: 'sam.policy@example.test' },
        ])
        const { invitations } = await activate(id)
        const alex = await openAs(invitations[0]?.url ?? '')
        await reviewAll(alex)
        expect((await verifyBank(alex)).bank).toMatchObject({ verdict: 'needs_review', name_score: 75 })

        const sam = await openAs(invitations[1]?.url ?? '')
        await reviewAll(sam)
        const mismatch = await verifyBank(sam)
        expect(mismatch).toMatchObject({ step: 'bank', match_required: true, bank: { verdict: 'mismatch' } })
        const refused = await call('POST', '/api/signer/signing/sign', sam, {
          typed_name: 'Sam Signer',
          consent: true,
        })
        expect(refused.json().error.step).toBe('bank')
      } finally {
        await ok('PUT', '/api/signing-settings', adminCookie, {
          verified_name_score: 85,
          review_name_score: 70,
          match_required: false,
        })
      }
    })
  })

  describe('ownership review', () => {
    type Review = { decision: 'accept' | 'reject'; note: string; verified_at?: string }
    const reviewUrl = (id: string, signerId: string) =>
      `/api/signings/${id}/signers/${signerId}/ownership-review`
    const review = (
      id: string,
      signerId: string,
      body: Review | Record<string, unknown>,
      cookie = managerCookie,
    ) => call('POST', reviewUrl(id, signerId), cookie, body)

    /** An active package whose signers have opened their links, reviewed the documents and, unless told, linked a bank. */
    async function linkedPackage(signers: Array<{ legal_name: string; email: string; link?: boolean }>) {
      const id = await draft(signers.map(({ legal_name, email }) => ({ legal_name, email })))
      const { invitations } = await activate(id)
      const linked = []
      for (const [index, signer] of signers.entries()) {
        const invitation = invitations.find((entry) => entry.email === signer.email)
        if (!invitation) throw new Error(`no invitation for ${signer.email}`)
        const cookie = await openAs(invitation.url)
        await reviewAll(cookie)
        const flow = signer.link === false ? null : await verifyBank(cookie)
        linked[index] = { signerId: invitation.signer_id, cookie, flow }
      }
      return { id, signers: linked as Array<{ signerId: string; cookie: string; flow: Body }> }
    }

    async function withMatchRequired(run: () => Promise<void>) {
      await ok('PUT', '/api/signing-settings', adminCookie, {
        verified_name_score: 85,
        review_name_score: 70,
        match_required: true,
      })
      try {
        await run()
      } finally {
        await ok('PUT', '/api/signing-settings', adminCookie, {
          verified_name_score: 85,
          review_name_score: 70,
          match_required: false,
        })
      }
    }

    it('is for managers and admins of the package workspace only, with a strictly validated body', async () => {
      const { id, signers } = await linkedPackage([
        { legal_name: 'Zoe Charleson', email: 'zoe.access@example.test' },
      ])
      const zoe = signers[0] as { signerId: string; cookie: string; flow: Body }
      expect(zoe.flow.bank.verdict).toBe('needs_review')
      const body: Review = { decision: 'accept', note: 'Known to us' }

      expect((await call('POST', reviewUrl(id, zoe.signerId), null, body)).statusCode).toBe(401)
      for (const cookie of [demoSignerCookie, zoe.cookie]) {
        const refused = await review(id, zoe.signerId, body, cookie)
        expect(refused.statusCode).toBe(403)
        expect(refused.json().error.code).toBe('FORBIDDEN')
      }

      const workspace = await insertWorkspace(t.database.db, 'Review Elsewhere')
      const { rows } = await t.database.executeSql('select password_hash from users where email = $1', [
        DEMO.manager,
      ])
      const other = await insertUser(t.database.db, {
        email: 'review-other-manager@example.test',
        name: 'Rita Elsewhere',
        passwordHash: (rows[0] as { password_hash: string }).password_hash,
      })
      await insertMembership(t.database.db, { userId: other.id, workspaceId: workspace.id, role: 'manager' })
      const elsewhere = await review(
        id,
        zoe.signerId,
        body,
        await t.signIn('review-other-manager@example.test'),
      )
      expect(elsewhere.statusCode).toBe(404)
      expect(elsewhere.json().error.code).toBe('NOT_FOUND')

      const unknownSigner = await review(id, '00000000-0000-4000-8000-000000000000', body)
      expect(unknownSigner.statusCode).toBe(404)
      expect(unknownSigner.json().error.message).toContain('No such signer')

      for (const invalid of [
        { decision: 'accept' },
        { decision: 'accept', note: '' },
        { decision: 'reject', note: '   \n ' },
        { decision: 'accept', note: 'x'.repeat(501) },
        { decision: 'approve', note: 'Known to us' },
        { decision: 'accept', note: 'Known to us', extra: true },
        { decision: 'accept', note: 'Known to us', verified_at: 'yesterday' },
        { decision: 'accept', note: 42 },
      ]) {
        const response = await review(id, zoe.signerId, invalid)
        expect(response.statusCode, JSON.stringify(invalid)).toBe(400)
        expect(response.json().error.code).toBe('VALIDATION_FAILED')
      }
      const unchanged = await ok('GET', `/api/signings/${id}`, managerCookie)
      expect(unchanged.signers[0].bank.review).toBeNull()
      expect(await auditActions(id)).not.toContain('bank.ownership_reviewed')

      // An administrator of the workspace may review too.
      const accepted = await review(
        id,
        zoe.signerId,
        { decision: 'accept', note: 'x'.repeat(500) },
        adminCookie,
      )
      expect(accepted.statusCode).toBe(200)
      expect(accepted.json().signers[0].bank.review).toMatchObject({
        decision: 'accept',
        reviewer: { name: 'Avery Admin', email: DEMO.admin },
      })
    })

    it('answers 409 outside an active package, without a reviewable verdict, once signed, twice, or for a newer account', async () => {
      const body: Review = { decision: 'accept', note: 'Checked with the buyer' }
      const expectConflict = async (response: Awaited<ReturnType<typeof call>>, message: string | RegExp) => {
        expect(response.statusCode, response.body).toBe(409)
        expect(response.json().error.code).toBe('CONFLICT')
        expect(response.json().error.message).toMatch(message)
      }

      const draftId = await draft([{ legal_name: 'Zoe Charleson', email: 'zoe.draft@example.test' }])
      const draftView = await ok('GET', `/api/signings/${draftId}`, managerCookie)
      await expectConflict(await review(draftId, draftView.signers[0].id, body), 'This package is draft')

      const { id, signers } = await linkedPackage([
        { legal_name: OWNER, email: 'alberta.conflict@example.test' },
        { legal_name: 'Zoe Charleson', email: 'zoe.conflict@example.test' },
        { legal_name: 'Sam Signer', email: 'sam.conflict@example.test' },
        { legal_name: 'Nina Nolink', email: 'nina.conflict@example.test', link: false },
      ])
      const [alberta, zoe, sam, nina] = signers as Array<{ signerId: string; cookie: string; flow: Body }>
      await expectConflict(await review(id, alberta!.signerId, body), /verdict is verified/)
      await expectConflict(await review(id, nina!.signerId, body), /not chosen a payout account/)

      // A review of the account the page showed, after the signer chose another one, is refused.
      const stale = await review(id, zoe!.signerId, { ...body, verified_at: '2020-01-01T00:00:00.000Z' })
      await expectConflict(stale, /chose another payout account/)
      const current = await review(id, zoe!.signerId, { ...body, verified_at: zoe!.flow.bank.verified_at })
      expect(current.statusCode, current.body).toBe(200)
      await expectConflict(
        await review(id, zoe!.signerId, { decision: 'reject', note: 'Changed my mind' }),
        /already accepted/,
      )

      // Without "require match", Sam may sign despite the mismatch; then it is too late to review.
      expect(sam!.flow).toMatchObject({ step: 'sign', bank: { verdict: 'mismatch' } })
      await ok('POST', '/api/signer/signing/sign', sam!.cookie, { typed_name: 'Sam Signer', consent: true })
      await expectConflict(await review(id, sam!.signerId, body), /already signed/)

      await ok('POST', `/api/signings/${id}/cancel`, managerCookie, { reason: 'Deal fell through' })
      await expectConflict(await review(id, zoe!.signerId, body), 'This package is cancelled')
      const trail = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
      expect(
        trail.events.filter((event: { action: string }) => event.action === 'bank.ownership_reviewed'),
      ).toHaveLength(1)
    })

    it('accepting a mismatch lets the signer sign where the workspace requires a match', async () => {
      await withMatchRequired(async () => {
        const { id, signers } = await linkedPackage([
          { legal_name: 'Sam Signer', email: 'sam.accept@example.test' },
        ])
        const sam = signers[0] as { signerId: string; cookie: string; flow: Body }
        expect(sam.flow).toMatchObject({ step: 'bank', bank: { verdict: 'mismatch', review: null } })
        const beforeReview = (await ok('GET', `/api/signings/${id}`, managerCookie)).signers[0]
        // A blocked bank step is not "bank verified" in the manager's view.
        expect(beforeReview.status).toBe('opened')
        const before = beforeReview.bank

        const accepted = await review(id, sam.signerId, {
          decision: 'accept',
          note: '  Account held by a family trust; deed checked.  ',
        })
        expect(accepted.statusCode, accepted.body).toBe(200)
        expect(accepted.json().signers[0].status).toBe('bank_verified')
        const bank = accepted.json().signers[0].bank
        // The scores and the verdict stay as the bank reported them; the review sits beside them.
        expect(bank).toMatchObject({
          verdict: 'mismatch',
          name_score: before.name_score,
          email_score: before.email_score,
          verified_at: before.verified_at,
          review: {
            decision: 'accept',
            note: 'Account held by a family trust; deed checked.',
            reviewed_at: expect.any(String),
            reviewer: { user_id: expect.any(String), name: 'Morgan Manager', email: DEMO.manager },
          },
        })

        const flow = await ok('GET', '/api/signer/signing', sam.cookie)
        expect(flow).toMatchObject({
          step: 'sign',
          bank: { verdict: 'mismatch', review: { decision: 'accept' } },
        })
        // The manager's note and name are the sender's record, not shown to the signer.
        expect(JSON.stringify(flow)).not.toContain('family trust')
        expect(JSON.stringify(flow)).not.toContain('Morgan Manager')

        const signed = await ok('POST', '/api/signer/signing/sign', sam.cookie, {
          typed_name: 'Sam Signer',
          consent: true,
        })
        expect(signed.step).toBe('done')
        const trail = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
        const signature = trail.events.find((event: { action: string }) => event.action === 'signer.signed')
        expect(signature.details.bank).toMatchObject({ verdict: 'mismatch', review_decision: 'accept' })
        expect((await ok('GET', `/api/signings/${id}`, managerCookie)).status).toBe('complete')
      })
    })

    it('rejecting sends the signer back to the bank step whatever the policy; a new account clears the review', async () => {
      const { id, signers } = await linkedPackage([
        { legal_name: 'Zoe Charleson', email: 'zoe.reject@example.test' },
      ])
      const zoe = signers[0] as { signerId: string; cookie: string; flow: Body }
      // The default policy lets "needs review" sign...
      expect(zoe.flow).toMatchObject({
        step: 'sign',
        match_required: false,
        bank: { verdict: 'needs_review' },
      })
      const rejected = await review(id, zoe.signerId, {
        decision: 'reject',
        note: 'Not the seller of record',
      })
      expect(rejected.statusCode, rejected.body).toBe(200)
      expect(rejected.json().signers[0].bank.review).toMatchObject({ decision: 'reject' })
      expect(rejected.json().signers[0].status).toBe('opened')

      // ...but not after the manager rejected the account.
      const flow = await ok('GET', '/api/signer/signing', zoe.cookie)
      expect(flow).toMatchObject({
        step: 'bank',
        bank: { verdict: 'needs_review', review: { decision: 'reject' } },
      })
      const refused = await call('POST', '/api/signer/signing/sign', zoe.cookie, {
        typed_name: 'Zoe Charleson',
        consent: true,
      })
      expect(refused.json().error).toMatchObject({ code: 'STEP_NOT_READY', step: 'bank' })

      // Choosing the rejected account again is not a new account.
      const status = await ok('GET', '/api/plaid/status', zoe.cookie)
      const rechosen = await call('POST', '/api/signer/signing/bank/account', zoe.cookie, {
        account_id: status.item.accounts[0].account_id,
      })
      expect(rechosen.statusCode).toBe(409)
      expect(rechosen.json().error.message).toContain('Link a different account')

      // A newly linked account is a new verification: no review, and the manager may review it.
      const relinked = await verifyBank(zoe.cookie)
      expect(relinked.bank.item_id).not.toBe(zoe.flow.bank.item_id)
      expect(relinked).toMatchObject({ step: 'sign', bank: { verdict: 'needs_review', review: null } })
      const afterRelink = (await ok('GET', `/api/signings/${id}`, managerCookie)).signers[0]
      expect(afterRelink).toMatchObject({ status: 'bank_verified', bank: { review: null } })
      const again = await review(id, zoe.signerId, {
        decision: 'accept',
        note: 'New account checked',
        verified_at: relinked.bank.verified_at,
      })
      expect(again.statusCode, again.body).toBe(200)
      expect(await auditActions(id)).toEqual(
        expect.arrayContaining(['bank.ownership_reviewed', 'bank.linked', 'bank.ownership_checked']),
      )
    })

    it('appends bank.ownership_reviewed to the verified chain and prints it on the certificate', async () => {
      const { id, signers } = await linkedPackage([
        { legal_name: 'Zoe Charleson', email: 'zoe.audit@example.test' },
      ])
      const zoe = signers[0] as { signerId: string; cookie: string; flow: Body }
      const note = 'Called <b>Zoe</b> & confirmed the account'
      expect((await review(id, zoe.signerId, { decision: 'accept', note })).statusCode).toBe(200)

      const trail = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
      expect(trail.verification).toMatchObject({ is_valid: true, first_broken_sequence: null })
      const reviewed = trail.events.find(
        (event: { action: string }) => event.action === 'bank.ownership_reviewed',
      )
      expect(reviewed).toMatchObject({
        actor: { email: DEMO.manager, name: 'Morgan Manager' },
        subject_type: 'signer',
        subject_id: zoe.signerId,
        ip_address: '127.0.0.1',
        details: {
          decision: 'accept',
          note,
          verdict: 'needs_review',
          name_score: 75,
          item_id: zoe.flow.bank.item_id,
          account_mask: zoe.flow.bank.account_mask,
        },
      })
      expect(reviewed.sequence).toBe(trail.events.at(-1).sequence)
      expect(JSON.stringify(trail)).not.toMatch(/(access|public|link)-sandbox-/)

      const certificate = await call('GET', `/api/signings/${id}/certificate`, managerCookie)
      expect(certificate.body).toContain('Audit trail intact')
      expect(certificate.body).toContain(
        'Manager review: Accepted by Morgan Manager &lt;manager@safeclose.test&gt; at ',
      )
      expect(certificate.body).toContain('Called &lt;b&gt;Zoe&lt;/b&gt; &amp; confirmed the account')
      expect(certificate.body).not.toContain('<b>Zoe</b>')
    })
  })

  describe('audit trail', () => {
    it('verifies the chain, records webhook item changes, and detects an edited row', async () => {
      const id = await draft([{ legal_name: OWNER, email: 'alberta.audit@example.test' }])
      const { invitations } = await activate(id)
      const cookie = await openAs(invitations[0]?.url ?? '')
      await reviewAll(cookie)
      const flow = await verifyBank(cookie)

      const trail = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
      expect(trail.verification).toMatchObject({ is_valid: true, first_broken_sequence: null })
      expect(trail.verification.event_count).toBe(trail.events.length)
      const linked = trail.events.find((event: { action: string }) => event.action === 'bank.linked')
      expect(linked).toMatchObject({
        actor: { email: 'alberta.audit@example.test' },
        ip_address: '127.0.0.1',
        details: {
          item_id: flow.bank.item_id,
          account_mask: flow.bank.account_mask,
          link_session_id: 'link-session-test-1',
        },
      })
      // Never tokens or full account numbers.
      expect(JSON.stringify(trail)).not.toMatch(/(access|public|link)-sandbox-/)

      // What webhook processing calls after storing an Item's new status.
      const signing = createSigningManagerService({
        db: t.database.db,
        audit: createAuditService({ db: t.database.db }),
        auth: createAuthService({
          db: t.database.db,
          audit: createAuditService({ db: t.database.db }),
          sessionTtlHours: 1,
        }),
        outbox: createOutbox({ db: t.database.db, mailer: { isConfigured: false, send: async () => false } }),
        publicUrl: t.config.publicUrl,
        linkTtlHours: 1,
        logger: t.app.log,
      })
      const change = {
        plaidItemId: flow.bank.item_id,
        status: 'login_required' as const,
        webhookCode: 'ERROR',
        changeKey: 'event:test-status-change',
      }
      expect(await signing.recordItemStatusChange(change)).toEqual({ recorded: 1 })
      expect((await auditActions(id)).at(-1)).toBe('bank.item_status_changed')
      // A retried job (same change) appends nothing more.
      expect(await signing.recordItemStatusChange(change)).toEqual({ recorded: 0 })
      expect((await auditActions(id)).filter((action) => action === 'bank.item_status_changed')).toHaveLength(
        1,
      )

      const download = await call('GET', `/api/signings/${id}/audit?download=1`, managerCookie)
      expect(download.headers['content-disposition']).toContain('attachment')

      await t.database.executeSql(
        `update audit_events set details = jsonb_set(details, '{account_mask}', '"9999"')
         where chain_key = $1 and action = 'bank.linked'`,
        [`signing:${id}`],
      )
      const tampered = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
      expect(tampered.verification).toMatchObject({ is_valid: false, first_broken_sequence: linked.sequence })
    })

    it('renders an escaped completion certificate under a strict policy', async () => {
      const created = await ok('POST', '/api/signings', managerCookie, {
        title: '<script>alert(1)</script> & co',
      })
      const response = await call('GET', `/api/signings/${created.id}/certificate`, managerCookie)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toContain('text/html')
      expect(response.body).not.toContain('<script>')
      expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co')
      expect(response.body).toContain('Audit trail intact')
      const policy = String(response.headers['content-security-policy'])
      const nonce = /style-src 'nonce-([^']+)'/.exec(policy)?.[1]
      expect(policy).toContain("default-src 'none'")
      expect(response.body).toContain(`<style nonce="${nonce}">`)
    })
  })
})
