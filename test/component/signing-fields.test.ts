// Fields placed on PDF pages by managers, and the signer's side: their own fields, the adopted
// signature and initials, values checked against each field's type.
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { esignFlow, makeSignaturePng } from '../helpers/esign.ts'

/** `png` with its header claiming 60000 × 60000 pixels (the CRC is not fixed: it must not matter). */
function hugeCanvas(pngBase64: string): string {
  const bytes = Buffer.from(pngBase64, 'base64')
  bytes.writeUInt32BE(60_000, 16)
  bytes.writeUInt32BE(60_000, 20)
  return bytes.toString('base64')
}

describe('document fields and adopted signatures', () => {
  let t: TestApp
  let managerCookie: string
  let flow: ReturnType<typeof esignFlow>

  beforeAll(async () => {
    t = await buildTestApp()
    managerCookie = await t.signIn(DEMO.manager)
    flow = esignFlow(() => t.app, managerCookie)
  })
  afterAll(() => t?.close())

  const fieldsUrl = (id: string, documentId: string) => `/api/signings/${id}/documents/${documentId}/fields`
  const box = { x: 0.1, y: 0.7, width: 0.3, height: 0.05 }

  describe('placing fields (managers)', () => {
    it('replaces the fields of a PDF document and shows them with the page count', async () => {
      const { id, pdfId, signerIds } = await flow.draft(
        [
          { legal_name: 'Ada Lovelace', email: 'ada.fields@example.test' },
          { legal_name: 'Charles Babbage', email: 'charles.fields@example.test' },
        ],
        { pdfPages: 3 },
      )
      const [ada, charles] = signerIds as [string, string]
      const first = await flow.ok('PUT', fieldsUrl(id, pdfId), managerCookie, {
        fields: [{ type: 'text', signer_id: ada, page: 1, ...box, required: true, label: 'Unit' }],
      })
      expect(first.fields).toHaveLength(1)
      const placed = await flow.ok('PUT', fieldsUrl(id, pdfId), managerCookie, {
        fields: [
          { type: 'signature', signer_id: ada, page: 3, ...box, required: true },
          {
            type: 'date_signed',
            signer_id: ada,
            page: 3,
            x: 0.7,
            y: 0.95,
            width: 0.3,
            height: 0.05,
            required: true,
          },
          {
            type: 'checkbox',
            signer_id: charles,
            page: 2,
            x: 0,
            y: 0,
            width: 0.05,
            height: 0.05,
            required: false,
            label: null,
          },
        ],
      })
      expect(placed.fields).toEqual([
        {
          id: expect.any(String),
          type: 'signature',
          signer_id: ada,
          page: 3,
          ...box,
          required: true,
          label: null,
        },
        {
          id: expect.any(String),
          type: 'date_signed',
          signer_id: ada,
          page: 3,
          x: 0.7,
          y: 0.95,
          width: 0.3,
          height: 0.05,
          required: true,
          label: null,
        },
        expect.objectContaining({ type: 'checkbox', signer_id: charles, page: 2, required: false }),
      ])
      const view = await flow.ok('GET', `/api/signings/${id}`, managerCookie)
      expect(view.documents[0]).toMatchObject({
        kind: 'markdown',
        page_count: null,
        fields: [],
        pdf_url: null,
      })
      expect(view.documents[1]).toMatchObject({
        kind: 'pdf',
        page_count: 3,
        pdf_url: `/api/signings/${id}/documents/${pdfId}/pdf`,
      })
      expect(view.documents[1].fields).toEqual(placed.fields)
      expect(view.seal).toBeNull()
      const trail = await flow.ok('GET', `/api/signings/${id}/audit`, managerCookie)
      expect(
        trail.events.filter((event: { action: string }) => event.action === 'signing.fields_set'),
      ).toHaveLength(2)
    })

    it('serves the PDF bytes to managers of the workspace only', async () => {
      const { id, pdfId, markdownId } = await flow.draft([
        { legal_name: 'Ada Lovelace', email: 'ada.pdf@example.test' },
      ])
      const response = await flow.call('GET', `/api/signings/${id}/documents/${pdfId}/pdf`, managerCookie)
      expect(response.statusCode).toBe(200)
      expect(response.headers['content-type']).toBe('application/pdf')
      expect(response.headers['content-disposition']).toBe('inline; filename="Deed of trust.pdf"')
      expect(response.rawPayload.subarray(0, 5).toString()).toBe('%PDF-')
      expect(
        (await flow.call('GET', `/api/signings/${id}/documents/${markdownId}/pdf`, managerCookie)).statusCode,
      ).toBe(404)
      expect((await flow.call('GET', `/api/signings/${id}/documents/${pdfId}/pdf`, null)).statusCode).toBe(
        401,
      )
      const signerCookie = await t.signIn(DEMO.signer)
      expect(
        (await flow.call('GET', `/api/signings/${id}/documents/${pdfId}/pdf`, signerCookie)).statusCode,
      ).toBe(403)
    })

    it('refuses pages beyond the document, boxes outside the page, Markdown and foreign signers', async () => {
      const { id, pdfId, markdownId, signerIds } = await flow.draft(
        [{ legal_name: 'Ada Lovelace', email: 'ada.refuse@example.test' }],
        { pdfPages: 2 },
      )
      const other = await flow.draft([{ legal_name: 'Other Person', email: 'other.refuse@example.test' }])
      const ada = signerIds[0] as string
      const field = { type: 'text', signer_id: ada, page: 1, ...box, required: false }
      const cases: Array<[string, unknown, RegExp]> = [
        [pdfId, { fields: [{ ...field, page: 3 }] }, /page is 3, but the document has 2 pages/],
        [pdfId, { fields: [{ ...field, x: 0.8, width: 0.3 }] }, /outside the page/],
        [pdfId, { fields: [{ ...field, y: 0.99, height: 0.02 }] }, /outside the page/],
        [pdfId, { fields: [{ ...field, x: -0.1 }] }, /x/],
        [pdfId, { fields: [{ ...field, width: 0 }] }, /width/],
        [pdfId, { fields: [{ ...field, page: 0 }] }, /page/],
        [pdfId, { fields: [{ ...field, type: 'stamp' }] }, /type/],
        [pdfId, { fields: [{ ...field, signer_id: other.signerIds[0] }] }, /not a signer of this package/],
        [markdownId, { fields: [field] }, /PDF documents only/],
      ]
      for (const [documentId, payload, message] of cases) {
        const response = await flow.call('PUT', fieldsUrl(id, documentId), managerCookie, payload)
        expect(response.statusCode, JSON.stringify(payload)).toBe(400)
        expect(response.json().error.code).toBe('VALIDATION_FAILED')
        expect(response.json().error.message).toMatch(message)
      }
      // Exactly at the edge is inside the page (0.7 + 0.3 is 1.0000000000000002 in floating point).
      const edge = await flow.call('PUT', fieldsUrl(id, pdfId), managerCookie, {
        fields: [{ ...field, x: 0.7, width: 0.3, y: 0.9, height: 0.1 }],
      })
      expect(edge.statusCode).toBe(200)
      expect(
        (await flow.call('PUT', fieldsUrl(id, other.pdfId), managerCookie, { fields: [] })).statusCode,
      ).toBe(404)
    })

    it('answers 409 once the package is no longer a draft', async () => {
      const { id, pdfId, signerIds } = await flow.draft([
        { legal_name: 'Ada Lovelace', email: 'ada.409@example.test' },
      ])
      await flow.activate(id)
      const response = await flow.call('PUT', fieldsUrl(id, pdfId), managerCookie, {
        fields: [{ type: 'text', signer_id: signerIds[0], page: 1, ...box, required: false }],
      })
      expect(response.statusCode).toBe(409)
      expect(response.json().error.code).toBe('CONFLICT')
    })
  })

  describe('signing with fields', () => {
    async function twoSigners(email: string) {
      const draft = await flow.draft([
        { legal_name: 'Ada Lovelace', email: `ada.${email}` },
        { legal_name: 'Charles Babbage', email: `charles.${email}` },
      ])
      const [ada, charles] = draft.signerIds as [string, string]
      const { fields } = await flow.ok('PUT', fieldsUrl(draft.id, draft.pdfId), managerCookie, {
        fields: [
          { type: 'signature', signer_id: ada, page: 2, ...box, required: true },
          {
            type: 'initials',
            signer_id: ada,
            page: 1,
            x: 0.85,
            y: 0.9,
            width: 0.1,
            height: 0.05,
            required: true,
          },
          { type: 'name', signer_id: ada, page: 2, x: 0.1, y: 0.8, width: 0.3, height: 0.04, required: true },
          {
            type: 'date_signed',
            signer_id: ada,
            page: 2,
            x: 0.5,
            y: 0.8,
            width: 0.2,
            height: 0.04,
            required: true,
          },
          {
            type: 'text',
            signer_id: ada,
            page: 1,
            x: 0.1,
            y: 0.3,
            width: 0.4,
            height: 0.04,
            required: true,
            label: 'Unit number',
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
            label: 'I have read the deed',
          },
          {
            type: 'text',
            signer_id: ada,
            page: 1,
            x: 0.1,
            y: 0.5,
            width: 0.4,
            height: 0.04,
            required: false,
          },
          {
            type: 'signature',
            signer_id: charles,
            page: 2,
            x: 0.5,
            y: 0.7,
            width: 0.3,
            height: 0.05,
            required: true,
          },
        ],
      })
      const [adaCookie, charlesCookie] = (await flow.activate(draft.id)) as [string, string]
      return {
        ...draft,
        fields: fields as Array<{ id: string; type: string; signer_id: string }>,
        adaCookie,
        charlesCookie,
      }
    }

    it('shows each signer only their own fields, without signer ids', async () => {
      const { fields, adaCookie, charlesCookie, pdfId } = await twoSigners('own@example.test')
      const adaFlow = await flow.ok('GET', '/api/signer/signing', adaCookie)
      const pdfDocument = adaFlow.documents.find((document: { id: string }) => document.id === pdfId)
      expect(pdfDocument.page_count).toBe(2)
      expect(pdfDocument.fields).toHaveLength(7)
      expect(pdfDocument.fields[0]).toEqual({
        id: fields[0]?.id,
        type: 'signature',
        page: 2,
        ...box,
        required: true,
        label: null,
      })
      const charlesFlow = await flow.ok('GET', '/api/signer/signing', charlesCookie)
      const charlesFields = charlesFlow.documents.find(
        (document: { id: string }) => document.id === pdfId,
      ).fields
      expect(charlesFields.map((field: { id: string }) => field.id)).toEqual([fields[7]?.id])
      expect(adaFlow.seal).toBeNull()
    })

    it('refuses missing signatures, required values, wrong types, foreign fields and bad PNGs', async () => {
      const { fields, adaCookie } = await twoSigners('refuse@example.test')
      await flow.review(adaCookie)
      const [, , nameField, , unit, readDeed, optional, charlesSignature] = fields as Array<{ id: string }>
      const png = (await makeSignaturePng()).toString('base64')
      const good = {
        typed_name: 'Ada Lovelace',
        consent: true,
        signature: { kind: 'drawn', png_base64: png },
        initials: { kind: 'typed' },
        values: { [unit!.id]: '4B', [readDeed!.id]: true },
      }
      const cases: Array<[unknown, RegExp]> = [
        [{ ...good, signature: undefined }, /body.signature is required/],
        [{ ...good, initials: undefined }, /body.initials is required/],
        [{ ...good, values: { [readDeed!.id]: true } }, /Fill in "Unit number"/],
        [{ ...good, values: { [unit!.id]: '   ', [readDeed!.id]: true } }, /Fill in "Unit number"/],
        [{ ...good, values: { [unit!.id]: '4B', [readDeed!.id]: false } }, /Tick "I have read the deed"/],
        [{ ...good, values: { ...good.values, [unit!.id]: true } }, /must be text/],
        [{ ...good, values: { ...good.values, [readDeed!.id]: 'yes' } }, /must be true or false/],
        [{ ...good, values: { ...good.values, [optional!.id]: 'x'.repeat(501) } }, /values/],
        [{ ...good, values: { ...good.values, [charlesSignature!.id]: 'x' } }, /not one of your fields/],
        [{ ...good, values: { ...good.values, [nameField!.id]: 'Someone Else' } }, /fills in itself/],
        [
          {
            ...good,
            signature: { kind: 'drawn', png_base64: Buffer.from('GIF89a not a png').toString('base64') },
          },
          /not a PNG/,
        ],
        [
          {
            ...good,
            signature: {
              kind: 'drawn',
              png_base64: Buffer.concat([Buffer.from(png, 'base64').subarray(0, 40)]).toString('base64'),
            },
          },
          /damaged PNG/,
        ],
        [
          {
            ...good,
            signature: { kind: 'drawn', png_base64: Buffer.alloc(210 * 1024, 1).toString('base64') },
          },
          /png_base64|larger than/,
        ],
        [{ ...good, signature: { kind: 'scribbled' } }, /signature/],
        // A huge canvas in a few bytes (a decompression bomb): refused from its header, never decoded.
        [{ ...good, signature: { kind: 'drawn', png_base64: hugeCanvas(png) } }, /between 1 and 4000 pixels/],
      ]
      for (const [payload, message] of cases) {
        const response = await flow.call('POST', '/api/signer/signing/sign', adaCookie, payload)
        expect(response.statusCode, JSON.stringify(payload).slice(0, 200)).toBe(400)
        expect(response.json().error.message).toMatch(message)
      }
      expect((await flow.ok('GET', '/api/signer/signing', adaCookie)).step).toBe('sign')
    })

    it('stores the values, fills name and date, and chains the adopted signature hashes', async () => {
      const { id, fields, adaCookie } = await twoSigners('sign@example.test')
      await flow.review(adaCookie)
      const [, , nameField, dateField, unit, readDeed] = fields as Array<{ id: string }>
      const png = await makeSignaturePng()
      const signed = await flow.ok('POST', '/api/signer/signing/sign', adaCookie, {
        typed_name: 'ada  lovelace',
        consent: true,
        signature: { kind: 'drawn', png_base64: png.toString('base64') },
        initials: { kind: 'typed' },
        values: { [unit!.id]: ' 4B ', [readDeed!.id]: true },
      })
      expect(signed.step).toBe('done')
      const trail = await flow.ok('GET', `/api/signings/${id}/audit`, managerCookie)
      const event = trail.events.find((entry: { action: string }) => entry.action === 'signer.signed')
      expect(event.details.signature).toEqual({
        method: 'drawn',
        sha256: createHash('sha256').update(png).digest('hex'),
      })
      expect(event.details.initials).toEqual({
        method: 'typed',
        sha256: createHash('sha256').update('AL').digest('hex'),
      })
      const today = new Date().toISOString().slice(0, 10)
      expect(event.details.field_values).toEqual({
        [unit!.id]: '4B',
        [readDeed!.id]: true,
        [nameField!.id]: 'Ada Lovelace',
        [dateField!.id]: today,
      })
      const { rows } = await t.database.executeSql(
        'select id, value from signing_document_fields where id = any($1::uuid[]) order by position',
        [[unit!.id, nameField!.id]],
      )
      expect(rows.map((row) => (row as { value: unknown }).value).sort()).toEqual(['4B', 'Ada Lovelace'])
    })

    it("keeps today's body working for a signer without fields", async () => {
      const { id } = await flow.draft([{ legal_name: 'Ada Lovelace', email: 'ada.plain@example.test' }])
      const [cookie] = (await flow.activate(id)) as [string]
      await flow.review(cookie)
      const signed = await flow.ok('POST', '/api/signer/signing/sign', cookie, {
        typed_name: 'Ada Lovelace',
        consent: true,
      })
      expect(signed.step).toBe('done')
      expect((await flow.ok('GET', `/api/signings/${id}`, managerCookie)).status).toBe('complete')
    })
  })
})
