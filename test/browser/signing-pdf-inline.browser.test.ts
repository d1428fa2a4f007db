// A PDF document in Chromium's review step: shown in a same-origin frame from its own route (not a
// data: URL), allowed by the page policy, downloadable, and recorded as viewed once.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type EmulatorBrowserStack, startEmulatorBrowserStack } from '../helpers/browser-stack.ts'
import { makePdf } from '../helpers/pdf.ts'

const PDF = makePdf('Deed of trust for 12 Elm Street')

let stack: EmulatorBrowserStack
const api: EmulatorBrowserStack['managerApi'] = (method, url, payload) =>
  stack.managerApi(method, url, payload)

beforeAll(async () => {
  stack = await startEmulatorBrowserStack()
})

afterAll(async () => {
  await stack?.close()
})

/** An active package (a Markdown document, then a PDF) for one signer without a bank step. */
async function activePackage(): Promise<{ id: string; pdfId: string; link: string }> {
  const { id } = await api<{ id: string }>('POST', '/api/signings', { title: 'Closing at 12 Elm Street' })
  await api('POST', `/api/signings/${id}/documents`, {
    title: 'Purchase agreement',
    kind: 'markdown',
    markdown: 'The buyer pays the **price** at closing.',
  })
  const view = await api<{ documents: Array<{ id: string; kind: string }> }>(
    'POST',
    `/api/signings/${id}/documents`,
    { title: 'Deed of trust', kind: 'pdf', pdf_base64: PDF.toString('base64') },
  )
  await api('POST', `/api/signings/${id}/signers`, {
    legal_name: 'Pat Reader',
    email: 'pat.reader@example.test',
    bank_required: false,
  })
  const { invitations } = await api<{ invitations: Array<{ url: string }> }>(
    'POST',
    `/api/signings/${id}/activate`,
  )
  const pdfId = view.documents.find((document) => document.kind === 'pdf')?.id
  const link = invitations[0]?.url
  if (!pdfId || !link) throw new Error('package setup failed')
  return { id, pdfId, link }
}

async function newPage(): Promise<Page> {
  return (await stack.newPage()).page
}

describe('PDF documents in the review step', () => {
  it('shows the PDF in a same-origin frame from its own route, with a download link', async () => {
    const { id, pdfId, link } = await activePackage()
    const pdfPath = `/api/signer/signing/documents/${pdfId}/pdf`
    const page = await newPage()

    await page.goto(link)
    await page.waitForURL(`${stack.server.url}/signing/sign`)
    await page.getByText('The buyer pays the').waitFor()
    expect(await page.locator('iframe').count()).toBe(0)

    // Moving on to the PDF: the frame's own navigation fetches the bytes.
    const frameResponse = page.waitForResponse(
      (response) => response.url() === `${stack.server.url}${pdfPath}`,
    )
    await page.getByRole('button', { name: 'I have read this document — next' }).click()
    const frame = page.getByTitle('Deed of trust (PDF)')
    await frame.waitFor()
    const response = await frameResponse
    expect(response.status()).toBe(200)
    expect(response.request().resourceType()).toBe('document')
    expect(response.request().frame().parentFrame()).toBe(page.mainFrame())
    const headers = await response.allHeaders()
    expect(headers['content-type']).toBe('application/pdf')
    expect(headers['content-disposition']).toBe('inline; filename="Deed of trust.pdf"')
    expect(headers['content-security-policy']).toMatch(/^default-src 'none';.*frame-ancestors 'self'/)
    // (The body itself goes to the PDF viewer, out of the page's reach; the component tests check it.)
    expect(Number(headers['content-length'])).toBe(PDF.length)

    expect(await frame.evaluate((element) => element.tagName)).toBe('IFRAME')
    expect(await frame.getAttribute('src')).toBe(pdfPath)
    // The frame navigated to the PDF (a refused frame would show Chromium's error page instead).
    const contentFrame = await (await frame.elementHandle())?.contentFrame()
    expect(contentFrame?.url()).toBe(`${stack.server.url}${pdfPath}`)
    const box = await frame.boundingBox()
    expect(box?.height).toBeGreaterThanOrEqual(400)

    const download = page.getByRole('link', { name: 'Download PDF' })
    expect(await download.getAttribute('href')).toBe(pdfPath)
    expect(await download.getAttribute('download')).toBe('Deed of trust.pdf')
    const [file] = await Promise.all([page.waitForEvent('download'), download.click()])
    expect(file.suggestedFilename()).toBe('Deed of trust.pdf')
    expect(file.url()).toBe(`${stack.server.url}${pdfPath}`)

    // No data: URLs and no base64 any more.
    expect(await page.locator('a[href^="data:"]').count()).toBe(0)

    await page.getByRole('button', { name: 'I have read all documents — continue' }).click()
    await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()

    const trail = await api<{ events: Array<{ action: string; details: { document_id?: string } }> }>(
      'GET',
      `/api/signings/${id}/audit`,
    )
    const pdfViews = trail.events.filter(
      (event) => event.action === 'document.viewed' && event.details.document_id === pdfId,
    )
    expect(pdfViews).toHaveLength(1)
    expect(stack.problems()).toEqual([])
  })
})
