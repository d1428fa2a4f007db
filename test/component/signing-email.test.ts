import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loggerOptions } from '../../server/logger.ts'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { type ReceivedMail, startTestSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts'

// Signing invitations through a real SMTP conversation: nodemailer (as the server builds it from
// SMTP_URL) talks to the `smtp-server` package on a loopback port, and what arrives is parsed with
// `mailparser`. Documented behaviour (ADR 0006, manager-service.ts): a link is shown once, in the
// e-mail when it went out, otherwise in the activation/resend response for the manager to hand over.

type Invitation = {
  signer_id: string
  email: string
  expires_at: string
  emailed: boolean
  url: string | null
}

const FROM = { name: 'Elm Street Closings', address: 'closings@safeclose.example' }
const SMTP_PASSWORD = 'smtp-pass-3141'
/** A signing link under the default PUBLIC_URL; LINK_IN_TEXT finds them inside a message. */
const LINK = /^http:\/\/127\.0\.0\.1:3000\/signing\/s\/[A-Za-z0-9_-]{43}$/
const LINK_IN_TEXT = /http:\/\/127\.0\.0\.1:3000\/signing\/s\/[A-Za-z0-9_-]{43}/g

/** The app with its log lines captured, so tests can check what a failed delivery wrote. */
async function buildAppWithLog(smtpUrl: string) {
  const log = { text: '' }
  const sink = new Writable({
    write(chunk, _encoding, done) {
      log.text += chunk.toString()
      done()
    },
  })
  const t = await buildTestApp({
    env: {
      SMTP_URL: smtpUrl,
      SMTP_FROM: `${FROM.name} <${FROM.address}>`,
      // The sealing job runs in the app's workers; the completion e-mail follows it.
      JOB_POLLING_INTERVAL_SECONDS: '0.5',
    },
    logger: pino(loggerOptions('info'), sink),
  })
  return { t, log, manager: await t.signIn(DEMO.manager) }
}

function client(t: TestApp, managerCookie: string) {
  const { call, ok } = apiClient(() => t.app)
  /** Trades a link's token as the link page does; returns the response and the session cookie. */
  async function open(url: string) {
    const response = await call('POST', '/api/signing-links/open', null, { token: tokenOf(url) })
    const cookie = response.cookies.find((entry) => entry.name === 'safeclose_session')
    return { response, cookie: cookie ? `${cookie.name}=${cookie.value}` : null }
  }
  return {
    call,
    ok,
    /** A draft with one Markdown document and the given signers. */
    async draft(title: string, signers: Array<{ legal_name: string; email: string }>) {
      const created = await ok('POST', '/api/signings', managerCookie, { title })
      await ok('POST', `/api/signings/${created.id}/documents`, managerCookie, {
        title: 'Purchase agreement',
        kind: 'markdown',
        markdown: '# Purchase agreement\n\nThe buyer pays **$1** to the seller.',
      })
      for (const signer of signers)
        await ok('POST', `/api/signings/${created.id}/signers`, managerCookie, signer)
      return created.id as string
    },
    async activate(id: string) {
      const response = await call('POST', `/api/signings/${id}/activate`, managerCookie)
      expect(response.statusCode, response.body).toBe(200)
      return { body: response.body, invitations: response.json().invitations as Invitation[] }
    },
    async resend(id: string, signerId: string) {
      const response = await call('POST', `/api/signings/${id}/signers/${signerId}/resend`, managerCookie)
      expect(response.statusCode, response.body).toBe(200)
      return { body: response.body, invitation: response.json().invitation as Invitation }
    },
    open,
    /** Opens a link and returns whom the signer session it gives belongs to. */
    async signerBehind(url: string) {
      const { response, cookie } = await open(url)
      expect(response.statusCode, response.body).toBe(200)
      const flow = await ok('GET', '/api/signer/signing', cookie as string)
      return { cookie: cookie as string, email: flow.signer.email as string, signing: flow.signing }
    },
    async invitationEvents(id: string) {
      const trail = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
      return {
        trail,
        invitations: (trail.events as Array<{ action: string; details: Record<string, unknown> }>).filter(
          (event) =>
            (event.action.startsWith('signer.invitation_') && event.action !== 'signer.invitation_opened') ||
            event.action.startsWith('signer.link_'),
        ),
      }
    },
  }
}

/** The one signing link of a message, checked to be the same in the text and the HTML part. */
function linkIn(mail: ReceivedMail): string {
  const inText = mail.parsed.text?.match(LINK_IN_TEXT) ?? []
  const inHtml = typeof mail.parsed.html === 'string' ? (mail.parsed.html.match(LINK_IN_TEXT) ?? []) : []
  expect(inText).toHaveLength(1)
  expect(inHtml).toEqual(inText)
  expect(mail.parsed.html).toContain(`<a href="${inText[0]}">`)
  return inText[0] as string
}

function tokenOf(url: string): string {
  return new URL(url).pathname.split('/').at(-1) as string
}

describe('signing invitations through a real SMTP server', () => {
  let smtp: TestSmtpServer
  let app: Awaited<ReturnType<typeof buildAppWithLog>>
  let api: ReturnType<typeof client>

  beforeAll(async () => {
    smtp = await startTestSmtpServer()
    // Credentials the server does not ask for (no AUTH offered), to show they never reach the log;
    // nodemailer reads timeouts from the query (shorter than the mailer's defaults, to stay fast).
    app = await buildAppWithLog(
      `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:${smtp.port}/?connectionTimeout=3000&greetingTimeout=1000&socketTimeout=3000`,
    )
    api = client(app.t, app.manager)
  })
  afterAll(async () => {
    await app?.t.close()
    await smtp?.close()
  })

  /** Runs `work` and returns it with the messages the SMTP server accepted meanwhile. */
  async function receiving<T>(work: () => Promise<T>): Promise<[T, ReceivedMail[]]> {
    const before = smtp.received.length
    // Activation and resend answer only after the SMTP server has accepted (250) every message.
    const result = await work()
    return [result, smtp.received.slice(before)]
  }

  it('activation mails each signer their own working link, from the configured sender, and shows the manager none', async () => {
    const signers = [
      { legal_name: 'Alberta Charleson', email: 'alberta.mail@example.test' },
      { legal_name: 'Nora Quinn', email: 'nora.mail@example.test' },
    ]
    const id = await api.draft('Closing at 12 Elm St', signers)
    const [{ body, invitations }, mails] = await receiving(() => api.activate(id))

    expect(invitations).toEqual(
      signers.map((signer) => ({
        signer_id: expect.any(String),
        email: signer.email,
        expires_at: expect.any(String),
        emailed: true,
        url: null,
      })),
    )
    expect(body).not.toContain('/signing/s/')

    expect(mails).toHaveLength(2)
    const links: string[] = []
    for (const signer of signers) {
      const mail = mails.find((candidate) => candidate.envelope.to.includes(signer.email))
      if (!mail) throw new Error(`no message to ${signer.email}`)
      expect(mail.envelope).toEqual({ from: FROM.address, to: [signer.email] })
      expect(mail.parsed.from?.value).toEqual([FROM])
      expect(mail.parsed.to).toMatchObject({ value: [{ address: signer.email }] })
      expect(mail.parsed.cc).toBeUndefined()
      expect(mail.parsed.bcc).toBeUndefined()
      expect(mail.parsed.subject).toBe('Please sign: Closing at 12 Elm St')
      expect(mail.parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' })
      expect(mail.parsed.text).toContain(`Hello ${signer.legal_name},`)
      expect(mail.parsed.text).toContain('Demo Closings asks you to review and sign "Closing at 12 Elm St".')
      expect(mail.parsed.html).toContain(`<p>Hello ${signer.legal_name},</p>`)
      expect(mail.parsed.html).toContain('<strong>Closing at 12 Elm St</strong>')
      const link = linkIn(mail)
      links.push(link)

      // The link in that signer's message opens a session for that signer, on this package.
      const opened = await api.signerBehind(link)
      expect(opened.email).toBe(signer.email)
      expect(opened.signing).toMatchObject({ id })
    }
    expect(new Set(links).size).toBe(2)

    // The delivery is on the audit trail as e-mail; neither the trail nor the package reveals a link.
    const { trail, invitations: events } = await api.invitationEvents(id)
    expect(events.map((event) => [event.action, event.details.email, event.details.delivery])).toEqual(
      expect.arrayContaining(signers.map((signer) => ['signer.invitation_sent', signer.email, 'email'])),
    )
    expect(events).toHaveLength(2)
    const pkg = await api.call('GET', `/api/signings/${id}`, app.manager)
    for (const link of links) {
      expect(JSON.stringify(trail)).not.toContain(tokenOf(link))
      expect(pkg.body).not.toContain(tokenOf(link))
      expect(app.log.text).not.toContain(tokenOf(link))
    }
  })

  it('resend mails a new link, and the old link and its session stop working', async () => {
    const id = await api.draft('Closing at 7 Oak Ave', [
      { legal_name: 'Alberta Charleson', email: 'alberta.resend@example.test' },
    ])
    const [{ invitations }, first] = await receiving(() => api.activate(id))
    const signerId = invitations[0]?.signer_id as string
    const oldLink = linkIn(first[0] as ReceivedMail)
    const oldSession = await api.signerBehind(oldLink)

    const [{ body, invitation }, resent] = await receiving(() => api.resend(id, signerId))
    expect(invitation).toMatchObject({
      signer_id: signerId,
      email: 'alberta.resend@example.test',
      emailed: true,
      url: null,
    })
    expect(body).not.toContain('/signing/s/')
    expect(resent).toHaveLength(1)
    const mail = resent[0] as ReceivedMail
    expect(mail.envelope.to).toEqual(['alberta.resend@example.test'])
    expect(mail.parsed.subject).toBe('Please sign: Closing at 7 Oak Ave')
    const newLink = linkIn(mail)
    expect(newLink).not.toBe(oldLink)

    const replaced = await api.open(oldLink)
    expect(replaced.response.statusCode).toBe(410)
    expect(replaced.response.json().error.code).toBe('SIGNING_LINK_EXPIRED')
    expect((await api.call('GET', '/api/signer/signing', oldSession.cookie)).statusCode).toBe(401)
    expect((await api.signerBehind(newLink)).email).toBe('alberta.resend@example.test')

    const { invitations: events } = await api.invitationEvents(id)
    expect(events.map((event) => [event.action, event.details.delivery])).toEqual([
      ['signer.invitation_sent', 'email'],
      ['signer.invitation_resent', 'email'],
    ])
  })

  it('escapes a package title and signer name with markup and quotes in the HTML part', async () => {
    const title = `<script>alert("title")</script> & 'Elm' "Deal"`
    const name = `Zoë "Z" O'Neil <script>alert(1)</script>`
    const id = await api.draft(title, [{ legal_name: name, email: 'zoe.escape@example.test' }])
    const [, mails] = await receiving(() => api.activate(id))
    expect(mails).toHaveLength(1)
    const mail = mails[0] as ReceivedMail
    const html = mail.parsed.html as string

    expect(html).not.toMatch(/<script/i)
    expect(html).toContain(
      '<strong>&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; &amp; &#39;Elm&#39; &quot;Deal&quot;</strong>',
    )
    expect(html).toContain('<p>Hello Zoë &quot;Z&quot; O&#39;Neil &lt;script&gt;alert(1)&lt;/script&gt;,</p>')
    // Plain text and the subject are not HTML: they carry the words as typed.
    expect(mail.parsed.subject).toBe(`Please sign: ${title}`)
    expect(mail.parsed.text).toContain(`Hello ${name},`)
    expect((await api.signerBehind(linkIn(mail))).email).toBe('zoe.escape@example.test')
  })

  it('keeps a line break in a package title from adding headers or recipients', async () => {
    const id = await api.draft('Closing\r\nBcc: attacker@example.test\r\nX-Injected: yes', [
      { legal_name: 'Alberta Charleson', email: 'alberta.crlf@example.test' },
    ])
    const [, mails] = await receiving(() => api.activate(id))
    expect(mails).toHaveLength(1)
    const mail = mails[0] as ReceivedMail
    expect(mail.envelope.to).toEqual(['alberta.crlf@example.test'])
    expect(mail.parsed.bcc).toBeUndefined()
    expect(mail.parsed.headers.has('x-injected')).toBe(false)
    const header = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'))
    expect(header).toContain('Subject: Please sign: Closing Bcc: attacker@example.test X-Injected: yes')
    expect(header).not.toMatch(/^(Bcc|X-Injected):/im)
  })

  it('when the server refuses a recipient (550), activation succeeds and the manager gets that link to hand over', async () => {
    smtp.rejectRecipients.add('bounce.mail@example.test')
    try {
      const id = await api.draft('Closing at 3 Ash Ct', [
        { legal_name: 'Alberta Charleson', email: 'accepted.mail@example.test' },
        { legal_name: 'Nora Quinn', email: 'bounce.mail@example.test' },
      ])
      const logBefore = app.log.text.length
      const [{ invitations }, mails] = await receiving(() => api.activate(id))

      expect(invitations).toEqual([
        expect.objectContaining({ email: 'accepted.mail@example.test', emailed: true, url: null }),
        expect.objectContaining({
          email: 'bounce.mail@example.test',
          emailed: false,
          url: expect.stringMatching(LINK),
        }),
      ])
      expect(mails.map((mail) => mail.envelope.to)).toEqual([['accepted.mail@example.test']])
      const handedOver = invitations[1]?.url as string
      expect((await api.signerBehind(handedOver)).email).toBe('bounce.mail@example.test')

      const { invitations: events } = await api.invitationEvents(id)
      expect(events.map((event) => [event.details.email, event.details.delivery])).toEqual([
        ['accepted.mail@example.test', 'email'],
        ['bounce.mail@example.test', 'manual'],
      ])
      // Nothing reached the second signer: the trail says a link was issued, not that it was sent.
      expect(events.map((event) => event.action)).toEqual(['signer.invitation_sent', 'signer.link_issued'])

      const logged = logLines(app.log.text.slice(logBefore)).filter(
        (line) => line.msg === 'could not send an e-mail',
      )
      // The log line says which package and signer, so an operator can follow up.
      expect(logged).toEqual([
        expect.objectContaining({
          level: 40,
          smtp_error_code: 'EENVELOPE',
          signing_id: id,
          signer_id: invitations[1]?.signer_id,
        }),
      ])
      for (const link of [handedOver, linkIn(mails[0] as ReceivedMail)])
        expect(app.log.text).not.toContain(tokenOf(link))

      // Still refused: a resend again hands the manager a new link rather than failing.
      const { invitation } = await api.resend(id, invitations[1]?.signer_id as string)
      expect(invitation).toMatchObject({ emailed: false, url: expect.stringMatching(LINK) })
      expect(invitation.url).not.toBe(handedOver)
      expect(app.log.text).not.toContain(tokenOf(invitation.url as string))
    } finally {
      smtp.rejectRecipients.clear()
    }
  })

  it('when nothing listens, activation succeeds with every link for the manager, logged without token or SMTP password', async () => {
    await smtp.setMode('down')
    try {
      const id = await api.draft('Closing at 9 Birch Rd', [
        { legal_name: 'Alberta Charleson', email: 'alberta.down@example.test' },
        { legal_name: 'Nora Quinn', email: 'nora.down@example.test' },
      ])
      const logBefore = app.log.text.length
      const [{ invitations }, mails] = await receiving(() => api.activate(id))
      expect(mails).toEqual([])
      expect(invitations.map((invitation) => [invitation.email, invitation.emailed])).toEqual([
        ['alberta.down@example.test', false],
        ['nora.down@example.test', false],
      ])
      const logged = logLines(app.log.text.slice(logBefore)).filter(
        (line) => line.msg === 'could not send an e-mail',
      )
      // ECONNREFUSED surfaces as nodemailer's ESOCKET.
      expect(logged).toEqual([
        expect.objectContaining({ level: 40, smtp_error_code: 'ESOCKET' }),
        expect.objectContaining({ level: 40, smtp_error_code: 'ESOCKET' }),
      ])
      for (const invitation of invitations) {
        expect(invitation.url).toMatch(LINK)
        expect(app.log.text).not.toContain(tokenOf(invitation.url as string))
        expect((await api.signerBehind(invitation.url as string)).email).toBe(invitation.email)
      }
      const { invitations: events } = await api.invitationEvents(id)
      expect(events.map((event) => event.details.delivery)).toEqual(['manual', 'manual'])
      expect(app.log.text).not.toContain(SMTP_PASSWORD)
    } finally {
      await smtp.setMode('accepting')
    }
  })

  it('a server that takes the connection and never answers cannot hold the activation request', async () => {
    // nodemailer alone waits 30 s for a greeting, per message; the mailer's default bounds are
    // checked in test/unit/mailer.test.ts, this app shortens them through SMTP_URL's query.
    await smtp.setMode('silent')
    try {
      const id = await api.draft('Closing at 4 Pine Pl', [
        { legal_name: 'Alberta Charleson', email: 'alberta.hang@example.test' },
        { legal_name: 'Zoe Charleson', email: 'zoe.hang@example.test' },
      ])
      const logBefore = app.log.text.length
      const started = Date.now()
      const { invitations } = await api.activate(id)
      expect(Date.now() - started).toBeLessThan(5_000)
      expect(invitations).toEqual([
        expect.objectContaining({ emailed: false, url: expect.stringMatching(LINK) }),
        expect.objectContaining({ emailed: false, url: expect.stringMatching(LINK) }),
      ])
      // Both messages waited at the same time: the manager pays one timeout, not one per signer.
      expect(smtp.peakSilentConnections()).toBe(2)
      const logged = logLines(app.log.text.slice(logBefore)).filter(
        (line) => line.msg === 'could not send an e-mail',
      )
      expect(logged).toEqual([
        expect.objectContaining({ smtp_error_code: 'ETIMEDOUT' }),
        expect.objectContaining({ smtp_error_code: 'ETIMEDOUT' }),
      ])
      for (const invitation of invitations) {
        expect(app.log.text).not.toContain(tokenOf(invitation.url as string))
      }
    } finally {
      await smtp.setMode('accepting')
    }
  })

  it('sends again once the server is back', async () => {
    const id = await api.draft('Closing at 1 Cedar Way', [
      { legal_name: 'Alberta Charleson', email: 'alberta.back@example.test' },
    ])
    const [{ invitations }, mails] = await receiving(() => api.activate(id))
    expect(invitations).toEqual([expect.objectContaining({ emailed: true, url: null })])
    expect(mails.map((mail) => mail.envelope.to)).toEqual([['alberta.back@example.test']])
  })

  it('mails each signer a link to the sealed PDF once the package is sealed', async () => {
    const created = await api.ok('POST', '/api/signings', app.manager, { title: 'Closing at 5 Birch Rd' })
    const id = created.id as string
    await api.ok('POST', `/api/signings/${id}/documents`, app.manager, {
      title: 'Purchase agreement',
      kind: 'markdown',
      markdown: '# Purchase agreement',
    })
    await api.ok('POST', `/api/signings/${id}/signers`, app.manager, {
      legal_name: 'Nora Quinn',
      email: 'nora.sealed@example.test',
      bank_required: false,
    })
    const [, invitationMails] = await receiving(() => api.activate(id))
    const { cookie } = await api.signerBehind(linkIn(invitationMails[0] as ReceivedMail))
    const flow = await api.ok('GET', '/api/signer/signing', cookie)
    for (const document of flow.documents)
      await api.ok('POST', `/api/signer/signing/documents/${document.id}/reviewed`, cookie, {})
    await api.ok('POST', '/api/signer/signing/sign', cookie, { typed_name: 'Nora Quinn', consent: true })

    let mail: ReceivedMail | undefined
    for (let attempt = 0; attempt < 120 && !mail; attempt += 1) {
      mail = smtp.received.find(
        (candidate) => candidate.parsed.subject === 'Completed: Closing at 5 Birch Rd',
      )
      if (!mail) await new Promise((resolve) => setTimeout(resolve, 250))
    }
    if (!mail) throw new Error('no completion e-mail within 30 seconds')
    expect(mail.envelope.to).toEqual(['nora.sealed@example.test'])
    const view = await api.ok('GET', `/api/signings/${id}`, app.manager)
    expect(mail.parsed.text).toContain(`SHA-256 of the sealed PDF: ${view.seal.sha256}`)
    // The new link opens a session that downloads the sealed PDF; the old session still works too.
    const fresh = await api.signerBehind(linkIn(mail))
    const download = await api.call('GET', '/api/signer/signing/sealed.pdf', fresh.cookie)
    expect(download.statusCode).toBe(200)
    expect((await api.call('GET', '/api/signer/signing/sealed.pdf', cookie)).statusCode).toBe(200)
    const trail = await api.ok('GET', `/api/signings/${id}/audit`, app.manager)
    const sent = trail.events.filter((event: { action: string }) => event.action === 'signer.completion_sent')
    expect(sent.map((event: { details: object }) => event.details)).toEqual([
      { email: 'nora.sealed@example.test', delivered: true, expires_at: expect.any(String) },
    ])
  }, 60_000)
})

function logLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}
