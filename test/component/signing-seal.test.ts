// The sealed PDF of a completed package, checked with an independent verifier (poppler-utils:
// pdfsig, pdfinfo, pdftotext, pdfimages; .ci/run installs them). A missing tool fails the test.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import forge from 'node-forge'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAuditService } from '../../server/modules/audit/service.ts'
import { createAuthService } from '../../server/modules/auth/service.ts'
import { createMailer } from '../../server/modules/email/mailer.ts'
import { createOutbox } from '../../server/modules/email/outbox.ts'
import { createAuditTrailService } from '../../server/modules/signing/audit-trail.ts'
import {
  OID,
  parseTimestampRequest,
  signatureTimestampOf,
  signatureValueOf,
  signCms,
  timestampResponse,
  tstInfo,
} from '../../server/modules/signing/cms.ts'
import { createSigningManagerService } from '../../server/modules/signing/manager-service.ts'
import {
  createSealCertificateService,
  rotateStoredSealKeys,
} from '../../server/modules/signing/seal-certificate.ts'
import { createSealingService, extractSignature } from '../../server/modules/signing/sealing.ts'
import { createKeyring, generateKeyEntry } from '../../server/security/keyring.ts'
import { buildTestApp, DEMO, TEST_KEYRING, type TestApp } from '../helpers/build-app.ts'
import { esignFlow, makeSignaturePng } from '../helpers/esign.ts'

const SIGNERS = [
  { legal_name: 'Ada Lovelace', email: 'ada.seal@example.test' },
  { legal_name: 'Charles Babbage', email: 'charles.seal@example.test' },
  { legal_name: 'Mary Somerville', email: 'mary.seal@example.test' },
]
const box = { width: 0.3, height: 0.06 }

/** Runs a poppler tool; its output (stdout + stderr) and exit status, never a skip. */
function poppler(tool: string, ...args: string[]) {
  const result = spawnSync(tool, args, { encoding: 'utf8' })
  if (result.error) throw new Error(`${tool} could not run (install poppler-utils): ${result.error.message}`)
  return { output: `${result.stdout}${result.stderr}`, status: result.status }
}

describe('sealing a completed package', () => {
  let t: TestApp
  let managerCookie: string
  let flow: ReturnType<typeof esignFlow>
  let dir: string
  let failNextCommit = 0

  beforeAll(async () => {
    t = await buildTestApp({
      env: { JOB_POLLING_INTERVAL_SECONDS: '0.5', WEBHOOK_RETRY_DELAY_SECONDS: '0' },
      // The crash test: the first storing transaction of a package dies before it commits.
      sealingBeforeCommit: async () => {
        if (failNextCommit > 0) {
          failNextCommit -= 1
          throw new Error('simulated crash before the seal commits')
        }
      },
    })
    managerCookie = await t.signIn(DEMO.manager)
    flow = esignFlow(() => t.app, managerCookie)
    dir = mkdtempSync(join(tmpdir(), 'safeclose-seal-'))
  })
  afterAll(async () => {
    await t?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function waitForSeal(id: string) {
    for (let attempt = 0; attempt < 120; attempt += 1) {
      const view = await flow.ok('GET', `/api/signings/${id}`, managerCookie)
      if (view.seal) return view
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    throw new Error('the package was not sealed within 30 seconds')
  }

  /** Three signers, fields of every type; all sign (Ada draws, the others type); returns the ids. */
  async function completedPackage(tag: string) {
    const signers = SIGNERS.map((signer) => ({ ...signer, email: signer.email.replace('@', `.${tag}@`) }))
    const draft = await flow.draft(signers, { pdfPages: 3 })
    const [ada, charles, mary] = draft.signerIds as [string, string, string]
    const { fields } = await flow.ok(
      'PUT',
      `/api/signings/${draft.id}/documents/${draft.pdfId}/fields`,
      managerCookie,
      {
        fields: [
          { type: 'signature', signer_id: ada, page: 3, x: 0.1, y: 0.7, ...box, required: true },
          {
            type: 'initials',
            signer_id: ada,
            page: 1,
            x: 0.85,
            y: 0.92,
            width: 0.1,
            height: 0.05,
            required: true,
          },
          {
            type: 'text',
            signer_id: ada,
            page: 1,
            x: 0.1,
            y: 0.3,
            width: 0.5,
            height: 0.04,
            required: true,
            label: 'Unit',
          },
          {
            type: 'checkbox',
            signer_id: ada,
            page: 1,
            x: 0.1,
            y: 0.4,
            width: 0.04,
            height: 0.04,
            required: true,
          },
          { type: 'signature', signer_id: charles, page: 3, x: 0.5, y: 0.7, ...box, required: true },
          {
            type: 'name',
            signer_id: charles,
            page: 3,
            x: 0.5,
            y: 0.78,
            width: 0.4,
            height: 0.04,
            required: true,
          },
          {
            type: 'text',
            signer_id: charles,
            page: 2,
            x: 0.1,
            y: 0.2,
            width: 0.6,
            height: 0.04,
            required: false,
          },
          { type: 'signature', signer_id: mary, page: 3, x: 0.1, y: 0.85, ...box, required: true },
          {
            type: 'date_signed',
            signer_id: mary,
            page: 3,
            x: 0.5,
            y: 0.85,
            width: 0.3,
            height: 0.04,
            required: true,
          },
        ],
      },
    )
    const [adaUnit, adaCheck, charlesNote] = [fields[2].id, fields[3].id, fields[6].id] as string[]
    const cookies = (await flow.activate(draft.id)) as [string, string, string]
    const png = await makeSignaturePng()
    const bodies = [
      {
        typed_name: 'Ada Lovelace',
        consent: true,
        signature: { kind: 'drawn', png_base64: png.toString('base64') },
        initials: { kind: 'typed' },
        values: { [adaUnit as string]: 'Unit 4B, 12 Elm Street', [adaCheck as string]: true },
      },
      {
        typed_name: 'Charles Babbage',
        consent: true,
        signature: { kind: 'typed' },
        values: { [charlesNote as string]: 'Keys handed over at closing' },
      },
      { typed_name: 'Mary Somerville', consent: true, signature: { kind: 'typed' } },
    ]
    for (const [index, cookie] of cookies.entries()) {
      await flow.review(cookie)
      await flow.ok('POST', '/api/signer/signing/sign', cookie, bodies[index])
    }
    return { ...draft, cookies, png }
  }

  async function sealedEvents(id: string) {
    const trail = await flow.ok('GET', `/api/signings/${id}/audit`, managerCookie)
    expect(trail.verification.is_valid).toBe(true)
    return trail.events.filter((event: { action: string }) => event.action === 'signing.sealed')
  }

  it('seals with a PDF signature that poppler verifies, over documents, fields and the certificate', async () => {
    const { id, cookies, png } = await completedPackage('main')
    const before = await flow.call('GET', `/api/signings/${id}/sealed.pdf`, managerCookie)
    expect([409, 200]).toContain(before.statusCode)
    const view = await waitForSeal(id)
    const response = await flow.call('GET', `/api/signings/${id}/sealed.pdf`, managerCookie)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    const sealed = response.rawPayload
    const sha256 = createHash('sha256').update(sealed).digest('hex')
    expect(view.seal).toEqual({
      sha256,
      size: sealed.length,
      pages: expect.any(Number),
      sealed_at: expect.any(String),
      download_url: `/api/signings/${id}/sealed.pdf`,
    })
    const [event] = await sealedEvents(id)
    expect(event.details).toMatchObject({ sha256, size: sealed.length, pages: view.seal.pages })

    const file = join(dir, 'sealed.pdf')
    writeFileSync(file, sealed)
    const signature = poppler('pdfsig', file)
    expect(signature.output).toContain('Signature is Valid')
    expect(signature.output).toContain('Total document signed')
    expect(signature.output).toContain('ETSI.CAdES.detached')
    expect(signature.output).toContain('SHA-256')

    // Markdown: 1 page; the PDF: 3 pages; then the certificate.
    const certificatePages = event.details.certificate_pages as number
    expect(certificatePages).toBeGreaterThanOrEqual(1)
    const info = poppler('pdfinfo', file).output
    expect(Number(/Pages:\s+(\d+)/.exec(info)?.[1])).toBe(1 + 3 + certificatePages)
    expect(view.seal.pages).toBe(1 + 3 + certificatePages)

    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
    for (const signer of SIGNERS) expect(text).toContain(signer.legal_name)
    expect(text).toContain('Unit 4B, 12 Elm Street')
    expect(text).toContain('Keys handed over at closing')
    expect(text).toContain('The buyer pays $1 to the seller.')
    expect(text).toContain(new Date().toISOString().slice(0, 10))
    expect(text).toContain('Certificate of completion')
    expect(text).toContain(
      `Sealed by Safeclose · ${id} · page ${1 + 3 + certificatePages} of ${1 + 3 + certificatePages}`,
    )
    for (const document of view.documents) expect(text).toContain(document.sha256)
    expect(text).toContain(createHash('sha256').update(png).digest('hex'))

    const images = poppler('pdfimages', '-list', file).output
    // The drawn signature on page 3 of the PDF, page 4 of the sealed file (after the Markdown page).
    expect(images).toMatch(/^\s+4\s+\d+\s+image\s+120\s+40\s/m)

    // One byte changed inside the signed range: no longer valid, for poppler and for us.
    const changed = Buffer.from(sealed)
    const signedUpTo = Number(/\/ByteRange\s*\[\s*0\s+(\d+)/.exec(sealed.toString('latin1'))?.[1])
    expect(signedUpTo).toBeGreaterThan(400)
    changed[300] = (changed[300] as number) ^ 0x01
    const tamperedFile = join(dir, 'tampered.pdf')
    writeFileSync(tamperedFile, changed)
    expect(poppler('pdfsig', tamperedFile).output).not.toContain('Signature is Valid')

    // The signer downloads the same file; the certificate alone is its last pages.
    const signerFlow = await flow.ok('GET', '/api/signer/signing', cookies[0] as string)
    expect(signerFlow.seal).toEqual({
      sha256,
      sealed_at: view.seal.sealed_at,
      download_url: '/api/signer/signing/sealed.pdf',
    })
    const signerCopy = await flow.call('GET', '/api/signer/signing/sealed.pdf', cookies[1] as string)
    expect(signerCopy.statusCode).toBe(200)
    expect(signerCopy.rawPayload.equals(sealed)).toBe(true)
    const certificate = await flow.call('GET', `/api/signings/${id}/certificate.pdf`, managerCookie)
    expect(certificate.statusCode).toBe(200)
    const certificateFile = join(dir, 'certificate.pdf')
    writeFileSync(certificateFile, certificate.rawPayload)
    expect(Number(/Pages:\s+(\d+)/.exec(poppler('pdfinfo', certificateFile).output)?.[1])).toBe(
      certificatePages,
    )

    // The HTML certificate names the sealed PDF by its hash.
    const html = await flow.call('GET', `/api/signings/${id}/certificate`, managerCookie)
    expect(html.body).toContain(`SHA-256 <code>${sha256}</code>`)

    // POST /api/verify: the exact file is valid; one changed byte, or another PDF, is not.
    const verify = (body: Buffer, type = 'application/pdf') =>
      t.app.inject({ method: 'POST', url: '/api/verify', headers: { 'content-type': type }, payload: body })
    const valid = await verify(sealed)
    expect(valid.statusCode).toBe(200)
    expect(valid.json()).toEqual({
      valid: true,
      signing_id: id,
      sealed_at: view.seal.sealed_at,
      sha256,
      signers: SIGNERS.map((signer) => ({ name: signer.legal_name, signed_at: expect.any(String) })),
    })
    const invalid = await verify(changed)
    expect(invalid.json()).toEqual({ valid: false, reason: expect.stringContaining('changed after sealing') })
    expect((await verify(Buffer.from('not a pdf'))).json().valid).toBe(false)
    expect((await verify(sealed, 'application/json')).statusCode).toBe(400)
    expect((await verify(sealed, 'text/plain')).statusCode).toBe(415)
  }, 60_000)

  it('prints names and values beyond Windows-1252 as typed (Noto Sans), findable by pdftotext', async () => {
    const draft = await flow.draft([
      { legal_name: 'Łucja Dąbrowska-Żak', email: 'lucja.seal@example.test' },
      { legal_name: 'Дмитрий Иванов', email: 'dmitry.seal@example.test' },
    ])
    const { fields } = await flow.ok(
      'PUT',
      `/api/signings/${draft.id}/documents/${draft.pdfId}/fields`,
      managerCookie,
      {
        fields: [
          {
            type: 'text',
            signer_id: draft.signerIds[0],
            page: 1,
            x: 0.1,
            y: 0.3,
            width: 0.6,
            height: 0.04,
            required: true,
          },
          {
            type: 'name',
            signer_id: draft.signerIds[0],
            page: 2,
            x: 0.1,
            y: 0.5,
            width: 0.6,
            height: 0.04,
            required: true,
          },
          {
            type: 'signature',
            signer_id: draft.signerIds[1],
            page: 2,
            x: 0.1,
            y: 0.7,
            width: 0.5,
            height: 0.06,
            required: true,
          },
        ],
      },
    )
    const [cookie, dmitryCookie] = (await flow.activate(draft.id)) as [string, string]
    // Dmitry's typed signature: Cyrillic, which Dancing Script lacks, falls back to Noto Sans Italic.
    await flow.review(dmitryCookie)
    await flow.ok('POST', '/api/signer/signing/sign', dmitryCookie, {
      typed_name: 'Дмитрий Иванов',
      consent: true,
      signature: { kind: 'typed' },
    })
    await flow.review(cookie)
    await flow.ok('POST', '/api/signer/signing/sign', cookie, {
      typed_name: 'Łucja Dąbrowska-Żak',
      consent: true,
      values: { [fields[0].id]: 'Квартира 4Б, ul. Świętokrzyska' },
    })
    await waitForSeal(draft.id)
    const file = join(dir, 'unicode.pdf')
    writeFileSync(
      file,
      (await flow.call('GET', `/api/signings/${draft.id}/sealed.pdf`, managerCookie)).rawPayload,
    )
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })
    expect(text).toContain('Квартира 4Б, ul. Świętokrzyska')
    expect(text).toContain('Łucja Dąbrowska-Żak')
    // On page 2 (the PDF's second page: after the Markdown page, page 3 of the file) as the stamp.
    const stampedPage = execFileSync('pdftotext', ['-f', '3', '-l', '3', file, '-'], { encoding: 'utf8' })
    expect(stampedPage).toContain('Дмитрий Иванов')
    expect(stampedPage).not.toContain('?')
    expect(poppler('pdfsig', file).output).toContain('Signature is Valid')
  }, 60_000)

  it('answers 409 before the package is sealed, and the certificate PDF renders at any time', async () => {
    const draft = await flow.draft([{ legal_name: 'Ada Lovelace', email: 'ada.unsealed@example.test' }])
    const cookies = await flow.activate(draft.id)
    expect((await flow.call('GET', `/api/signings/${draft.id}/sealed.pdf`, managerCookie)).statusCode).toBe(
      409,
    )
    expect((await flow.call('GET', '/api/signer/signing/sealed.pdf', cookies[0] as string)).statusCode).toBe(
      409,
    )
    const certificate = await flow.call('GET', `/api/signings/${draft.id}/certificate.pdf`, managerCookie)
    expect(certificate.statusCode).toBe(200)
    const file = join(dir, 'live-certificate.pdf')
    writeFileSync(file, certificate.rawPayload)
    expect(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })).toContain('Ada Lovelace')
  })

  it('stores one sealed PDF and one signing.sealed event when the job dies before committing', async () => {
    failNextCommit = 1
    const { id } = await completedPackage('crash')
    const view = await waitForSeal(id)
    expect(failNextCommit).toBe(0)
    expect(await sealedEvents(id)).toHaveLength(1)
    const { rows } = await t.database.executeSql('select sha256 from signing_seals where package_id = $1', [
      id,
    ])
    expect(rows).toEqual([{ sha256: view.seal.sha256 }])
  }, 60_000)

  it('stores one sealed PDF and one event when sealing runs several times at once', async () => {
    const db = t.database.db
    const logger = pino({ level: 'silent' })
    const audit = createAuditService({ db })
    const auth = createAuthService({ db, audit, sessionTtlHours: 1 })
    const mailer = createMailer({ smtpUrl: null, from: 'Safeclose <x@example.test>', logger })
    const manager = createSigningManagerService({
      db,
      audit,
      auth,
      outbox: createOutbox({ db, mailer }),
      publicUrl: 'http://127.0.0.1:3000',
      linkTtlHours: 1,
      logger,
    })
    const sealing = createSealingService({
      db,
      audit,
      manager,
      auditTrail: createAuditTrailService({ db, audit, manager }),
      certificates: createSealCertificateService({ db, keyring: t.keyring, audit, p12: null }),
      logger,
    })
    const { id } = await completedPackage('twice')
    // The app's own job runs too: three attempts race for the one seal row.
    const outcomes = await Promise.all([sealing.seal(id), sealing.seal(id)])
    const view = await waitForSeal(id)
    for (const outcome of outcomes) {
      expect(['sealed', 'already_sealed']).toContain(outcome.status)
      expect(outcome.sha256).toBe(view.seal.sha256)
    }
    expect(await sealedEvents(id)).toHaveLength(1)
    const { rows } = await t.database.executeSql(
      'select count(*)::int as n from signing_seals where package_id = $1',
      [id],
    )
    expect(rows).toEqual([{ n: 1 }])
    expect((await sealing.seal(id)).status).toBe('already_sealed')
  }, 60_000)

  it('shows the sealing certificate to admins only', async () => {
    const adminCookie = await t.signIn(DEMO.admin)
    const described = await flow.ok('GET', '/api/admin/seal-certificate', adminCookie)
    expect(described).toEqual({
      source: 'generated',
      subject: expect.stringContaining('CN=Safeclose seal (demo)'),
      issuer: expect.stringContaining('CN=Safeclose seal (demo)'),
      not_before: expect.any(String),
      not_after: expect.any(String),
      sha256_fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      expired: false,
    })
    expect((await flow.call('GET', '/api/admin/seal-certificate', managerCookie)).statusCode).toBe(403)
    // The private key is stored encrypted, never as PEM.
    const { rows } = await t.database.executeSql('select key_ciphertext from workspace_seal_certificates')
    for (const row of rows as Array<{ key_ciphertext: string }>)
      expect(row.key_ciphertext).not.toContain('PRIVATE KEY')

    // keys:rotate re-encrypts it under a new active key; the certificate stays the same.
    const rotated = createKeyring(`${generateKeyEntry('seal9')},${TEST_KEYRING}`)
    expect(await rotateStoredSealKeys({ db: t.database.db, keyring: rotated })).toBe(rows.length)
    expect(await rotateStoredSealKeys({ db: t.database.db, keyring: rotated })).toBe(0)
    const after = createSealCertificateService({
      db: t.database.db,
      keyring: rotated,
      audit: createAuditService({ db: t.database.db }),
      p12: null,
    })
    expect((await after.describe(t.workspaceId)).sha256_fingerprint).toBe(described.sha256_fingerprint)
  })

  it('lets an admin upload a PKCS#12 that then seals, and remove it again', async () => {
    const adminCookie = await t.signIn(DEMO.admin)
    const file = join(dir, 'uploaded.p12')
    writeP12(file, 'Uploaded Title Co Seal', new Date(Date.now() + 365 * 86_400_000))
    const p12_base64 = readFileSync(file).toString('base64')
    const refusals: Array<[object, RegExp]> = [
      [{ p12_base64, password: 'wrong' }, /could not be opened/],
      [
        { p12_base64: Buffer.from('not a p12 file').toString('base64'), password: 'p12-secret' },
        /could not be opened/,
      ],
    ]
    const expiredFile = join(dir, 'uploaded-expired.p12')
    writeP12(expiredFile, 'Old Seal', new Date(Date.now() - 86_400_000))
    refusals.push([
      { p12_base64: readFileSync(expiredFile).toString('base64'), password: 'p12-secret' },
      /not now/,
    ])
    for (const [payload, message] of refusals) {
      const response = await flow.call('PUT', '/api/admin/seal-certificate', adminCookie, payload)
      expect(response.statusCode).toBe(400)
      expect(response.json().error.message).toMatch(message)
    }
    expect(
      (
        await flow.call('PUT', '/api/admin/seal-certificate', managerCookie, {
          p12_base64,
          password: 'p12-secret',
        })
      ).statusCode,
    ).toBe(403)

    const uploaded = await flow.ok('PUT', '/api/admin/seal-certificate', adminCookie, {
      p12_base64,
      password: 'p12-secret',
    })
    expect(uploaded).toMatchObject({
      source: 'uploaded',
      subject: 'CN=Uploaded Title Co Seal',
      expired: false,
    })
    expect(await flow.ok('GET', '/api/admin/seal-certificate', adminCookie)).toEqual(uploaded)

    const { id } = await flow.draft([{ legal_name: 'Ada Lovelace', email: 'ada.uploaded@example.test' }])
    const [cookie] = (await flow.activate(id)) as [string]
    await flow.review(cookie)
    await flow.ok('POST', '/api/signer/signing/sign', cookie, { typed_name: 'Ada Lovelace', consent: true })
    await waitForSeal(id)
    const sealedFile = join(dir, 'uploaded-sealed.pdf')
    writeFileSync(
      sealedFile,
      (await flow.call('GET', `/api/signings/${id}/sealed.pdf`, managerCookie)).rawPayload,
    )
    const signature = poppler('pdfsig', sealedFile).output
    expect(signature).toContain('Signer Certificate Common Name: Uploaded Title Co Seal')
    expect(signature).toContain('Signature is Valid')

    const removed = await flow.ok('DELETE', '/api/admin/seal-certificate', adminCookie)
    expect(removed.source).toBe('generated')
    expect(removed.sha256_fingerprint).not.toBe(uploaded.sha256_fingerprint)
    const settingsTrail = await t.database.executeSql(
      "select action from audit_events where chain_key = $1 and action like 'workspace.seal_certificate_%' order by sequence",
      [`workspace:${t.workspaceId}`],
    )
    expect(settingsTrail.rows.map((row) => (row as { action: string }).action)).toEqual([
      'workspace.seal_certificate_uploaded',
      'workspace.seal_certificate_removed',
    ])
  }, 60_000)
})

/** A PKCS#12 file (password "p12-secret") with a self-signed certificate valid until `notAfter`. */
function writeP12(file: string, commonName: string, notAfter: Date) {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 })
  const certificate = forge.pki.createCertificate()
  certificate.publicKey = keys.publicKey
  certificate.serialNumber = '0a1b2c3d'
  certificate.validity.notBefore = new Date(notAfter.getTime() - 2 * 365 * 86_400_000)
  certificate.validity.notAfter = notAfter
  const name = [{ name: 'commonName', value: commonName }]
  certificate.setSubject(name)
  certificate.setIssuer(name)
  certificate.sign(keys.privateKey, forge.md.sha256.create())
  const p12 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [certificate], 'p12-secret', { algorithm: '3des' })
  writeFileSync(file, Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'))
}

describe('sealing with a configured PKCS#12 (SEAL_P12_PATH)', () => {
  let t: TestApp
  let dir: string

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'safeclose-p12-'))
    const file = join(dir, 'seal.p12')
    writeP12(file, 'Elm Street Title Co Seal', new Date(Date.now() + 365 * 86_400_000))
    t = await buildTestApp({
      env: { SEAL_P12_PATH: file, SEAL_P12_PASSWORD: 'p12-secret', JOB_POLLING_INTERVAL_SECONDS: '0.5' },
    })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('describes the configured certificate and seals with it', async () => {
    const adminCookie = await t.signIn(DEMO.admin)
    const managerCookie = await t.signIn(DEMO.manager)
    expect(
      await esignFlow(() => t.app, managerCookie).ok('GET', '/api/admin/seal-certificate', adminCookie),
    ).toMatchObject({
      source: 'configured',
      subject: 'CN=Elm Street Title Co Seal',
      issuer: 'CN=Elm Street Title Co Seal',
      expired: false,
    })
    const flow = esignFlow(() => t.app, managerCookie)
    const { id } = await flow.draft([{ legal_name: 'Ada Lovelace', email: 'ada.p12@example.test' }])
    const [cookie] = (await flow.activate(id)) as [string]
    await flow.review(cookie)
    await flow.ok('POST', '/api/signer/signing/sign', cookie, { typed_name: 'Ada Lovelace', consent: true })
    let sealed: Buffer | null = null
    for (let attempt = 0; attempt < 120 && !sealed; attempt += 1) {
      const response = await flow.call('GET', `/api/signings/${id}/sealed.pdf`, managerCookie)
      if (response.statusCode === 200) sealed = response.rawPayload
      else await new Promise((resolve) => setTimeout(resolve, 250))
    }
    if (!sealed) throw new Error('not sealed within 30 seconds')
    const file = join(dir, 'sealed.pdf')
    writeFileSync(file, sealed)
    const signature = poppler('pdfsig', file).output
    expect(signature).toContain('Signer Certificate Common Name: Elm Street Title Co Seal')
    expect(signature).toContain('Signature is Valid')
    const { rows } = await t.database.executeSql('select count(*)::int as n from workspace_seal_certificates')
    expect(rows).toEqual([{ n: 0 }])
  }, 60_000)

  it('refuses to activate a package while the certificate is expired', async () => {
    const file = join(dir, 'expired.p12')
    writeP12(file, 'Expired Seal', new Date(Date.now() - 86_400_000))
    const expired = await buildTestApp({ env: { SEAL_P12_PATH: file, SEAL_P12_PASSWORD: 'p12-secret' } })
    try {
      const adminCookie = await expired.signIn(DEMO.admin)
      const flow = esignFlow(() => expired.app, await expired.signIn(DEMO.manager))
      expect(await flow.ok('GET', '/api/admin/seal-certificate', adminCookie)).toMatchObject({
        expired: true,
      })
      const { id } = await flow.draft([{ legal_name: 'Ada Lovelace', email: 'ada.expired@example.test' }])
      const refused = await flow.call(
        'POST',
        `/api/signings/${id}/activate`,
        await expired.signIn(DEMO.manager),
      )
      expect(refused.statusCode).toBe(409)
      expect(refused.json().error.message).toMatch(/sealing certificate expired on .*\(SEAL_P12_PATH\)/)
    } finally {
      await expired.close()
    }
  }, 60_000)
})

describe('sealing with an RFC 3161 timestamp (SEAL_TSA_URL)', () => {
  let t: TestApp
  let tsa: Server
  let dir: string
  const requests: Array<{ imprint: Buffer; contentType: string | undefined }> = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'safeclose-tsa-'))
    // A stand-in TSA: answers each TimeStampReq with a token signed by its own certificate.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const certificate = forge.pki.createCertificate()
    certificate.publicKey = forge.pki.publicKeyFromPem(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    )
    certificate.serialNumber = '0b0b'
    certificate.validity.notBefore = new Date(Date.now() - 86_400_000)
    certificate.validity.notAfter = new Date(Date.now() + 86_400_000)
    certificate.setSubject([{ name: 'commonName', value: 'Test TSA' }])
    certificate.setIssuer([{ name: 'commonName', value: 'Test TSA' }])
    certificate.setExtensions([{ name: 'extKeyUsage', critical: true, timeStamping: true }])
    certificate.sign(
      forge.pki.privateKeyFromPem(
        privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      ) as forge.pki.rsa.PrivateKey,
      forge.md.sha256.create(),
    )
    const key = {
      certificateDer: new X509Certificate(forge.pki.certificateToPem(certificate)).raw,
      privateKey,
    }
    let serial = 0
    tsa = createServer(async (request, response) => {
      const chunks: Buffer[] = []
      for await (const chunk of request) chunks.push(chunk as Buffer)
      const parsed = parseTimestampRequest(Buffer.concat(chunks))
      requests.push({ imprint: parsed.imprint, contentType: request.headers['content-type'] })
      serial += 1
      const info = tstInfo({
        policy: '1.3.6.1.4.1.99999.1',
        imprint: parsed.imprint,
        serial,
        time: new Date(),
        nonce: parsed.nonce,
      })
      const token = signCms(info, key, { contentType: OID.tstInfo, encapsulate: true })
      response.writeHead(200, { 'content-type': 'application/timestamp-reply' })
      response.end(timestampResponse(token))
    })
    await new Promise<void>((resolve) => tsa.listen(0, '127.0.0.1', resolve))
    const { port } = tsa.address() as AddressInfo
    t = await buildTestApp({
      env: { SEAL_TSA_URL: `http://127.0.0.1:${port}/tsa`, JOB_POLLING_INTERVAL_SECONDS: '0.5' },
    })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await new Promise((resolve) => tsa?.close(resolve))
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('adds a signature timestamp token over the signature value, and the seal still verifies', async () => {
    const managerCookie = await t.signIn(DEMO.manager)
    const flow = esignFlow(() => t.app, managerCookie)
    const { id } = await flow.draft([{ legal_name: 'Ada Lovelace', email: 'ada.tsa@example.test' }])
    const [cookie] = (await flow.activate(id)) as [string]
    await flow.review(cookie)
    await flow.ok('POST', '/api/signer/signing/sign', cookie, { typed_name: 'Ada Lovelace', consent: true })
    let sealed: Buffer | null = null
    for (let attempt = 0; attempt < 120 && !sealed; attempt += 1) {
      const response = await flow.call('GET', `/api/signings/${id}/sealed.pdf`, managerCookie)
      if (response.statusCode === 200) sealed = response.rawPayload
      else await new Promise((resolve) => setTimeout(resolve, 250))
    }
    if (!sealed) throw new Error('not sealed within 30 seconds')
    expect(requests).toHaveLength(1)
    expect(requests[0]?.contentType).toBe('application/timestamp-query')
    const signature = extractSignature(sealed)
    if (!signature) throw new Error('no signature in the sealed PDF')
    const token = signatureTimestampOf(signature.cms)
    expect(token).not.toBeNull()
    const stamped = createHash('sha256').update(signatureValueOf(signature.cms)).digest()
    expect(requests[0]?.imprint.equals(stamped)).toBe(true)
    const file = join(dir, 'timestamped.pdf')
    writeFileSync(file, sealed)
    expect(poppler('pdfsig', file).output).toContain('Signature is Valid')
    const verified = await t.app.inject({
      method: 'POST',
      url: '/api/verify',
      headers: { 'content-type': 'application/pdf' },
      payload: sealed,
    })
    expect(verified.json()).toMatchObject({ valid: true, signing_id: id })
  }, 60_000)
})
