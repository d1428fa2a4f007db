// PDF documents reach the signer as bytes from their own route, shown inline in a frame of the
// signer page: headers, access checks and the "document viewed" audit event.
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

  it('records the first view once, whichever route delivers the document', async () => {
    const { id, cookie, pdfId, markdownId } = await openedPackage('pdf.viewed@example.test')
    // The frame alone (no JSON first) counts as the view: the review step moves on.
    expect((await call('GET', pdfUrl(pdfId), cookie)).statusCode).toBe(200)
    expect((await ok('GET', '/api/signer/signing', cookie)).documents).toEqual([
      expect.objectContaining({ id: markdownId, viewed: false }),
      expect.objectContaining({ id: pdfId, viewed: true }),
    ])
    expect((await call('GET', pdfUrl(pdfId), cookie)).statusCode).toBe(200)
    await ok('GET', jsonUrl(pdfId), cookie)
    await ok('GET', jsonUrl(markdownId), cookie)

    const viewed = await viewedEvents(id)
    expect(viewed.map((event) => event.details.document_id).sort()).toEqual([markdownId, pdfId].sort())
    expect((await ok('GET', '/api/signer/signing', cookie)).step).toBe('sign')
  })

  it('records the JSON view once too when the frame loads after it', async () => {
    const { id, cookie, pdfId } = await openedPackage('pdf.json-first@example.test')
    await ok('GET', jsonUrl(pdfId), cookie)
    expect((await call('GET', pdfUrl(pdfId), cookie)).statusCode).toBe(200)
    expect((await call('GET', pdfUrl(pdfId), cookie)).statusCode).toBe(200)
    expect((await viewedEvents(id)).map((event) => event.details.document_id)).toEqual([pdfId])
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
    await ok('GET', jsonUrl(markdownId), cookie)
    expect((await call('GET', pdfUrl(pdfId), cookie)).statusCode).toBe(200)
    await ok('POST', '/api/signer/signing/sign', cookie, { typed_name: 'Pat Reader', consent: true })
    const after = await call('GET', pdfUrl(pdfId), cookie)
    expect(after.statusCode).toBe(200)
    expect(after.rawPayload.equals(PDF)).toBe(true)
    expect(await viewedEvents(id)).toHaveLength(2)
  })
})
