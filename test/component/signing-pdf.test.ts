// PDF documents reach the signer as bytes from their own route, shown inline in a frame of the
// signer page: headers, access checks, and the "document viewed" event that only the signer's
// confirmation records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PDF_CONTENT_SECURITY_POLICY } from '../../server/modules/signing/pdf-response.ts'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { makePdf } from '../helpers/pdf.ts'

const PDF = makePdf('Deed of trust for 12 Elm Street')
const pdfUrl = (documentId: string) => `/api/signer/signing/documents/${documentId}/pdf`
const jsonUrl = (documentId: string) => `/api/signer/signing/documents/${documentId}`

describe('PDF documents shown inline to the signer', () => {
  let t: TestApp
  let managerCookie: string
  let demoSignerCookie: string

  beforeAll(async () => {
    t = await buildTestApp()
    ;[managerCookie, demoSignerCookie] = await Promise.all([t.signIn(DEMO.manager), t.signIn(DEMO.signer)])
  })
  afterAll(() => t?.close())

  const { call, ok } = apiClient(() => t.app)

  /**
   * An active package with a Markdown document and a PDF titled `pdfTitle`, and one signer (no bank
   * step) who has opened their link.
   */
  async function openedPackage(email: string, pdfTitle = 'Deed of trust') {
    const created = await ok('POST', '/api/signings', managerCookie, { title: `Closing for ${email}` })
    const id = created.id as string
    await ok('POST', `/api/signings/${id}/documents`, managerCookie, {
      title: 'Purchase agreement',
      kind: 'markdown',
      markdown: '# Purchase agreement\n\nThe buyer pays at closing.',
    })
    const view = await ok('POST', `/api/signings/${id}/documents`, managerCookie, {
      title: pdfTitle,
      kind: 'pdf',
      pdf_base64: PDF.toString('base64'),
    })
    await ok('POST', `/api/signings/${id}/signers`, managerCookie, {
      legal_name: 'Pat Reader',
      email,
      bank_required: false,
    })
    const { invitations } = await ok('POST', `/api/signings/${id}/activate`, managerCookie)
    const token = new URL(invitations[0].url).pathname.split('/').at(-1)
    const opened = await call('POST', '/api/signing-links/open', null, { token })
    const cookie = opened.cookies.find((entry) => entry.name === 'safeclose_session')
    if (opened.statusCode !== 200 || !cookie) throw new Error(`open failed: ${opened.body}`)
    const [markdownDocument, pdfDocument] = view.documents as Array<{ id: string }>
    return {
      id,
      cookie: `${cookie.name}=${cookie.value}`,
      markdownId: markdownDocument?.id as string,
      pdfId: pdfDocument?.id as string,
    }
  }

  async function viewedEvents(id: string): Promise<Array<{ details: { document_id: string } }>> {
    const trail = await ok('GET', `/api/signings/${id}/audit`, managerCookie)
    expect(trail.verification.is_valid).toBe(true)
    return trail.events.filter((event: { action: string }) => event.action === 'document.viewed')
  }

  it('answers the bytes as an inline application/pdf under a script-free, self-framed policy', async () => {
    const { cookie, pdfId } = await openedPackage('pdf.headers@example.test')
    const response = await call('GET', pdfUrl(pdfId), cookie)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/pdf')
    expect(response.headers['content-disposition']).toBe('inline; filename="Deed of trust.pdf"')
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['cache-control']).toBe('private, no-store')
    expect(response.headers['content-security-policy']).toBe(PDF_CONTENT_SECURITY_POLICY)
    expect(response.headers['content-security-policy']).toMatch(/^default-src 'none';/)
    expect(response.headers['content-security-policy']).toContain("frame-ancestors 'self'")
    expect(response.headers['content-security-policy']).not.toContain('script-src')
    // helmet's own header must not forbid the same-origin frame the page uses.
    expect(response.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(Number(response.headers['content-length'])).toBe(PDF.length)
    expect(response.rawPayload.equals(PDF)).toBe(true)
  })

  it('names the file safely whatever the title', async () => {
    const { cookie, pdfId } = await openedPackage('pdf.title@example.test', 'Grundbuch "Müller"\\..')
    const response = await call('GET', pdfUrl(pdfId), cookie)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-disposition']).toBe(
      `inline; filename="Grundbuch _Muller_.pdf"; filename*=UTF-8''Grundbuch%20%22M%C3%BCller%22.pdf`,
    )
  })

  it('points the JSON at the PDF route instead of carrying base64', async () => {
    const { cookie, pdfId, markdownId } = await openedPackage('pdf.json@example.test')
    const pdfDocument = await ok('GET', jsonUrl(pdfId), cookie)
    expect(pdfDocument).toEqual({
      id: pdfId,
      position: 2,
      title: 'Deed of trust',
      kind: 'pdf',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      markdown: null,
      pdf_url: pdfUrl(pdfId),
    })
    const markdownDocument = await ok('GET', jsonUrl(markdownId), cookie)
    expect(markdownDocument).toMatchObject({ kind: 'markdown', pdf_url: null })
    expect(markdownDocument.markdown).toContain('The buyer pays at closing.')
  })

  const reviewedUrl = (documentId: string) => `/api/signer/signing/documents/${documentId}/reviewed`

  it('counts a document as reviewed only when the signer confirms it, not when it loads', async () => {
    const { id, cookie, pdfId, markdownId } = await openedPackage('pdf.viewed@example.test')
    // Loading both documents, by either route, leaves the review step where it was.
    await ok('GET', jsonUrl(markdownId), cookie)
    await ok('GET', jsonUrl(pdfId), cookie)
    expect((await call('GET', pdfUrl(pdfId), cookie)).statusCode).toBe(200)
    const loaded = await ok('GET', '/api/signer/signing', cookie)
    expect(loaded.step).toBe('review')
    expect(loaded.documents).toEqual([
      expect.objectContaining({ id: markdownId, viewed: false }),
      expect.objectContaining({ id: pdfId, viewed: false }),
    ])
    expect(await viewedEvents(id)).toEqual([])

    // "I have read this document": the answer is the flow, still reviewing until both are confirmed.
    const afterFirst = await ok('POST', reviewedUrl(markdownId), cookie, {})
    expect(afterFirst.step).toBe('review')
    expect(afterFirst.documents).toEqual([
      expect.objectContaining({ id: markdownId, viewed: true }),
      expect.objectContaining({ id: pdfId, viewed: false }),
    ])
    const afterSecond = await ok('POST', reviewedUrl(pdfId), cookie, {})
    expect(afterSecond.step).toBe('sign')
    // A repeat confirmation records nothing new.
    await ok('POST', reviewedUrl(pdfId), cookie, {})
    const viewed = await viewedEvents(id)
    expect(viewed.map((event) => event.details.document_id)).toEqual([markdownId, pdfId])
  })

  it("refuses to confirm another package's document or a malformed id", async () => {
    const mine = await openedPackage('pdf.confirm-mine@example.test')
    const other = await openedPackage('pdf.confirm-other@example.test')
    const foreign = await call('POST', reviewedUrl(other.pdfId), mine.cookie, {})
    expect(foreign.statusCode).toBe(404)
    expect(foreign.json().error.code).toBe('NOT_FOUND')
    expect((await call('POST', reviewedUrl('not-a-uuid'), mine.cookie, {})).statusCode).toBe(400)
    expect((await call('POST', reviewedUrl(mine.pdfId), managerCookie, {})).statusCode).toBe(403)
    expect(await viewedEvents(mine.id)).toEqual([])
    expect(await viewedEvents(other.id)).toEqual([])
  })

  it('names the field and the rule a refused value broke, for the web app to word its own message', async () => {
    const short = await call('POST', '/api/signing-links/open', null, { token: 'abc' })
    expect(short.statusCode).toBe(400)
    expect(short.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'body.token',
      rule: 'minLength',
    })
    const created = await ok('POST', '/api/signings', managerCookie, { title: 'Not a PDF' })
    const notPdf = await call('POST', `/api/signings/${created.id}/documents`, managerCookie, {
      title: 'Scan',
      kind: 'pdf',
      pdf_base64: Buffer.from('hello, not a pdf').toString('base64'),
    })
    expect(notPdf.statusCode).toBe(400)
    expect(notPdf.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      field: 'body.pdf_base64',
      rule: 'pdf',
    })
  })

  it('records nothing for a HEAD request, which no viewer needs', async () => {
    const { id, cookie, pdfId } = await openedPackage('pdf.head@example.test')
    expect((await call('HEAD', pdfUrl(pdfId), cookie)).statusCode).toBe(404)
    expect(await viewedEvents(id)).toEqual([])
    expect((await ok('GET', '/api/signer/signing', cookie)).step).toBe('review')
  })

  it('refuses a Markdown document on the PDF route without recording a view', async () => {
    const { id, cookie, markdownId } = await openedPackage('pdf.markdown@example.test')
    const response = await call('GET', pdfUrl(markdownId), cookie)
    expect(response.statusCode).toBe(404)
    expect(response.json().error.code).toBe('NOT_FOUND')
    expect(await viewedEvents(id)).toEqual([])
  })

  it("keeps the PDF to the signer's own package: no session, password sessions and other signers are refused", async () => {
    const mine = await openedPackage('pdf.mine@example.test')
    const other = await openedPackage('pdf.other@example.test')
    const unknownId = '00000000-0000-4000-8000-000000000000'

    const refusals: Array<[string, string | null, number, string]> = [
      [pdfUrl(mine.pdfId), null, 401, 'UNAUTHENTICATED'],
      // A manager of the same workspace, and a signer's password session: not a signing-link session.
      [pdfUrl(mine.pdfId), managerCookie, 403, 'FORBIDDEN'],
      [pdfUrl(mine.pdfId), demoSignerCookie, 403, 'FORBIDDEN'],
      // Another package's document is indistinguishable from a missing one, as on the JSON route.
      [pdfUrl(mine.pdfId), other.cookie, 404, 'NOT_FOUND'],
      [jsonUrl(mine.pdfId), other.cookie, 404, 'NOT_FOUND'],
      [pdfUrl(unknownId), mine.cookie, 404, 'NOT_FOUND'],
      [pdfUrl('not-a-uuid'), mine.cookie, 400, 'VALIDATION_FAILED'],
    ]
    for (const [url, cookie, status, code] of refusals) {
      const response = await call('GET', url, cookie)
      expect(response.statusCode, `${url} ${cookie?.slice(0, 24)}`).toBe(status)
      expect(response.headers['content-type']).toContain('application/json')
      expect(response.json().error.code).toBe(code)
    }
    expect(await viewedEvents(mine.id)).toEqual([])
    expect(await viewedEvents(other.id)).toEqual([])
  })

  it('still serves the PDF after signing, without recording another view', async () => {
    const { id, cookie, pdfId, markdownId } = await openedPackage('pdf.signed@example.test')
    await ok('POST', reviewedUrl(markdownId), cookie, {})
    await ok('POST', reviewedUrl(pdfId), cookie, {})
    await ok('POST', '/api/signer/signing/sign', cookie, { typed_name: 'Pat Reader', consent: true })
    const after = await call('GET', pdfUrl(pdfId), cookie)
    expect(after.statusCode).toBe(200)
    expect(after.rawPayload.equals(PDF)).toBe(true)
    await ok('POST', reviewedUrl(pdfId), cookie, {})
    expect(await viewedEvents(id)).toHaveLength(2)
  })
})
