import type { FastifyInstance } from 'fastify'
import { PDFDocument, StandardFonts } from 'pdf-lib'
import type { SignerFlow } from '../../server/http/contract.ts'
import { apiClient } from './api-client.ts'

/** A PDF of `pages` US Letter pages, each saying which page it is (built with pdf-lib). */
export async function makeMultiPagePdf(pages: number, title = 'Closing document'): Promise<Buffer> {
  const document = await PDFDocument.create()
  const font = await document.embedFont(StandardFonts.Helvetica)
  for (let index = 1; index <= pages; index += 1) {
    const page = document.addPage([612, 792])
    page.drawText(`${title}, page ${index} of ${pages}`, { x: 72, y: 720, size: 16, font })
  }
  return Buffer.from(await document.save())
}

/** A small valid PNG (a dark diagonal stroke on transparent), as a drawn signature would be. */
export async function makeSignaturePng(): Promise<Buffer> {
  const { deflateSync } = await import('node:zlib')
  const width = 120
  const height = 40
  const raw = Buffer.alloc((width * 4 + 1) * height)
  for (let y = 0; y < height; y += 1) {
    raw[y * (width * 4 + 1)] = 0
    for (let x = 0; x < width; x += 1) {
      const offset = y * (width * 4 + 1) + 1 + x * 4
      const isInk = Math.abs(x / 3 - y) < 2 || Math.abs(((x * 7) % 40) - y) < 1
      raw[offset] = 20
      raw[offset + 1] = 30
      raw[offset + 2] = 90
      raw[offset + 3] = isInk ? 255 : 0
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(data.length)
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([length, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 8
  header[9] = 6
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff
  for (const byte of bytes) {
    crc ^= byte
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

export type SignerSpec = { legal_name: string; email: string }

/**
 * Drives the manager API: a draft with a Markdown document, a PDF of `pdfPages` pages and the
 * signers (no bank step). Returns ids; fields are placed by the caller before `activate`.
 */
export function esignFlow(app: () => FastifyInstance, managerCookie: string) {
  const { call, ok, answer } = apiClient(app)

  async function draft(signers: SignerSpec[], options: { pdfPages?: number; pdf?: Buffer } = {}) {
    const created = await answer('POST /api/signings', managerCookie, {
      payload: { title: 'Closing at 12 Elm St' },
    })
    const params = { id: created.id }
    await answer('POST /api/signings/:id/documents', managerCookie, {
      params,
      payload: {
        title: 'Purchase agreement',
        kind: 'markdown',
        markdown:
          '# Purchase agreement\n\nThe buyer pays **$1** to the seller.\n\n- keys at closing\n- deed recorded',
      },
    })
    const pdf = options.pdf ?? (await makeMultiPagePdf(options.pdfPages ?? 2))
    let view = await answer('POST /api/signings/:id/documents', managerCookie, {
      params,
      payload: { title: 'Deed of trust', kind: 'pdf', pdf_base64: pdf.toString('base64') },
    })
    for (const signer of signers) {
      view = await answer('POST /api/signings/:id/signers', managerCookie, {
        params,
        payload: { ...signer, bank_required: false },
      })
    }
    const [markdown, pdfDocument] = view.documents
    if (!markdown || !pdfDocument) throw new Error('draft: expected two documents')
    return {
      id: created.id,
      markdownId: markdown.id,
      pdfId: pdfDocument.id,
      signerIds: view.signers.map((signer) => signer.id),
    }
  }

  /** Activates the package and opens every signer's link; returns their cookies in signer order. */
  async function activate(id: string): Promise<string[]> {
    const { invitations } = await answer('POST /api/signings/:id/activate', managerCookie, { params: { id } })
    const cookies: string[] = []
    for (const invitation of invitations) {
      if (!invitation.url) throw new Error('activate: links are e-mailed, none to open')
      const token = new URL(invitation.url).pathname.split('/').at(-1)
      const opened = await call('POST', '/api/signing-links/open', null, { token })
      const cookie = opened.cookies.find((entry) => entry.name === 'safeclose_session')
      if (opened.statusCode !== 200 || !cookie) throw new Error(`open failed: ${opened.body}`)
      cookies.push(`${cookie.name}=${cookie.value}`)
    }
    return cookies
  }

  /** Reviews every document, as the signer page does before the sign step. */
  async function review(cookie: string): Promise<SignerFlow> {
    const flow = await answer('GET /api/signer/signing', cookie)
    for (const document of flow.documents) {
      await answer('POST /api/signer/signing/documents/:documentId/reviewed', cookie, {
        params: { documentId: document.id },
        payload: {},
      })
    }
    return answer('GET /api/signer/signing', cookie)
  }

  return { draft, activate, review, call, ok }
}
