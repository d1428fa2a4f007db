// Documents uploaded as multipart/form-data (title, file; 25 MB) beside the base64 JSON body, and
// files that pdf-lib cannot use refused with a clear 400 and nothing stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { makeMultiPagePdf } from '../helpers/esign.ts'
import { makePdf } from '../helpers/pdf.ts'

const BOUNDARY = '----safeclose-test-boundary'

/** A multipart/form-data body with text fields and one file part. */
function multipart(fields: Record<string, string>, file?: { name: string; type: string; bytes: Buffer }) {
  const parts: Buffer[] = []
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    )
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
      ),
      file.bytes,
      Buffer.from('\r\n'),
    )
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`))
  return Buffer.concat(parts)
}

/** makePdf's document with an /Encrypt dictionary in its trailer, as a password-protected PDF has. */
function encryptedPdf(): Buffer {
  const plain = makePdf('Secret').toString('latin1')
  const encrypt =
    '6 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> /U <00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> /P -4 >>\nendobj\n'
  const xrefAt = plain.indexOf('xref')
  const body = plain.slice(0, xrefAt) + encrypt
  const offsets = [...body.matchAll(/(\d+) 0 obj/g)].map((match) => match.index as number)
  let xref = `xref\n0 7\n0000000000 65535 f \n`
  for (const offset of offsets) xref += `${String(offset).padStart(10, '0')} 00000 n \n`
  return Buffer.from(
    `${body}${xref}trailer\n<< /Size 7 /Root 1 0 R /Encrypt 6 0 R /ID [<0011> <0011>] >>\nstartxref\n${body.length}\n%%EOF\n`,
    'latin1',
  )
}

describe('document uploads', () => {
  let t: TestApp
  let managerCookie: string

  beforeAll(async () => {
    t = await buildTestApp()
    managerCookie = await t.signIn(DEMO.manager)
  })
  afterAll(() => t?.close())

  async function newDraft(): Promise<string> {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/signings',
      headers: { cookie: managerCookie },
      payload: { title: 'Upload test' },
    })
    return response.json().id
  }

  function upload(id: string, body: Buffer) {
    return t.app.inject({
      method: 'POST',
      url: `/api/signings/${id}/documents`,
      headers: { cookie: managerCookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      payload: body,
    })
  }

  async function documentCount(id: string): Promise<number> {
    const { rows } = await t.database.executeSql(
      'select count(*)::int as n from signing_documents where package_id = $1',
      [id],
    )
    return (rows[0] as { n: number }).n
  }

  it('stores a multipart PDF with its page count, and a Markdown file', async () => {
    const id = await newDraft()
    const pdf = await makeMultiPagePdf(4)
    const stored = await upload(
      id,
      multipart({ title: 'Deed of trust' }, { name: 'deed.pdf', type: 'application/pdf', bytes: pdf }),
    )
    expect(stored.statusCode).toBe(200)
    expect(stored.json().documents).toEqual([
      expect.objectContaining({ title: 'Deed of trust', kind: 'pdf', byte_size: pdf.length, page_count: 4 }),
    ])
    const markdown = await upload(
      id,
      multipart(
        { title: 'Terms' },
        { name: 'terms.md', type: 'text/markdown', bytes: Buffer.from('# Terms\n\nPay on time.') },
      ),
    )
    expect(markdown.statusCode).toBe(200)
    expect(markdown.json().documents[1]).toMatchObject({ title: 'Terms', kind: 'markdown', page_count: null })
  })

  it('takes a PDF larger than the JSON limit (3 MB) as multipart', async () => {
    const id = await newDraft()
    const base = makePdf('Large').toString('latin1')
    // A comment before %%EOF pads the file; pdf-lib still reads it.
    const large = Buffer.from(base.replace('%%EOF', `%${'x'.repeat(3 * 1024 * 1024)}\n%%EOF`), 'latin1')
    const stored = await upload(
      id,
      multipart({ title: 'Large' }, { name: 'large.pdf', type: 'application/pdf', bytes: large }),
    )
    expect(stored.statusCode, stored.body).toBe(200)
    expect(stored.json().documents[0].byte_size).toBe(large.length)
  })

  it('refuses encrypted, unreadable and non-PDF files with a 400 and stores nothing', async () => {
    const id = await newDraft()
    // Each refusal names the field and the rule, for the web app's own sentence.
    const cases: Array<[Buffer, string, RegExp, RegExp]> = [
      [encryptedPdf(), 'locked.pdf', /encrypted/, /^pdf_encrypted$/],
      [
        Buffer.from('%PDF-1.7\nthis is not really a PDF\n'),
        'broken.pdf',
        /not a readable PDF|without pages/,
        /^pdf_(damaged|empty)$/,
      ],
      [Buffer.from('GIF89a....'), 'image.gif', /neither a PDF .* nor a Markdown file/, /^pdf$/],
    ]
    for (const [bytes, name, message, rule] of cases) {
      const response = await upload(
        id,
        multipart({ title: 'Refused' }, { name, type: 'application/octet-stream', bytes }),
      )
      expect(response.statusCode, name).toBe(400)
      expect(response.json().error.code).toBe('VALIDATION_FAILED')
      expect(response.json().error.message).toMatch(message)
      expect(response.json().error.field).toBe(name === 'image.gif' ? 'body.file' : 'file')
      expect(response.json().error.rule).toMatch(rule)
    }
    // The base64 JSON body applies the same checks.
    const json = await t.app.inject({
      method: 'POST',
      url: `/api/signings/${id}/documents`,
      headers: { cookie: managerCookie },
      payload: { title: 'Locked', kind: 'pdf', pdf_base64: encryptedPdf().toString('base64') },
    })
    expect(json.statusCode).toBe(400)
    expect(json.json().error.message).toMatch(/encrypted/)
    const missingFile = await upload(id, multipart({ title: 'No file' }))
    expect(missingFile.statusCode).toBe(400)
    const missingTitle = await upload(
      id,
      multipart({}, { name: 'deed.pdf', type: 'application/pdf', bytes: makePdf('x') }),
    )
    expect(missingTitle.statusCode).toBe(400)
    expect(await documentCount(id)).toBe(0)
  })

  it('parses multipart bodies on the upload route only', async () => {
    const body = multipart({ title: 'x' }, { name: 'deed.pdf', type: 'application/pdf', bytes: makePdf('x') })
    const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }
    const open = await t.app.inject({
      method: 'POST',
      url: '/api/signing-links/open',
      headers,
      payload: body,
    })
    expect(open.statusCode).toBe(415)
    const id = await newDraft()
    const create = await t.app.inject({
      method: 'POST',
      url: '/api/signings',
      headers: { ...headers, cookie: managerCookie },
      payload: body,
    })
    expect(create.statusCode).toBe(415)
    expect(await documentCount(id)).toBe(0)
  })

  it('answers 413 over 25 MB', async () => {
    const id = await newDraft()
    const huge = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(25 * 1024 * 1024 + 10, 0x20)])
    const response = await upload(
      id,
      multipart({ title: 'Huge' }, { name: 'huge.pdf', type: 'application/pdf', bytes: huge }),
    )
    expect(response.statusCode).toBe(413)
    expect(await documentCount(id)).toBe(0)
  })
})
