// Where stamped field values land: the box the manager drew on the page as the viewer shows it
// (pdf.js uses the CropBox, turned by /Rotate), checked with pdftotext's word boxes, which poppler
// reports in the same displayed orientation.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { degrees, PDFDocument, StandardFonts } from 'pdf-lib'
import { afterAll, describe, expect, it } from 'vitest'
import type { FieldRow } from '../../server/modules/signing/repository.ts'
import { buildSealPdf } from '../../server/modules/signing/seal-pdf.ts'

const dir = mkdtempSync(join(tmpdir(), 'safeclose-geometry-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Pages: upright Letter, /Rotate 90, /Rotate 180, /Rotate 270, and one with a CropBox inside its MediaBox. */
async function awkwardPdf(): Promise<Uint8Array> {
  const document = await PDFDocument.create()
  const font = await document.embedFont(StandardFonts.Helvetica)
  for (const rotation of [0, 90, 180, 270]) {
    const page = document.addPage([612, 792])
    page.drawText(`rotated ${rotation}`, { x: 300, y: 400, size: 10, font })
    page.setRotation(degrees(rotation))
  }
  const cropped = document.addPage([612, 792])
  cropped.setCropBox(100, 150, 400, 500)
  return document.save()
}

function field(page: number, value: string): FieldRow {
  return {
    id: `f${page}`,
    documentId: 'doc',
    signerId: 'signer',
    position: page,
    type: 'text',
    page,
    // The displayed top-left quarter: 10 % in from the left, 10 % down from the top.
    x: 0.1,
    y: 0.1,
    width: 0.4,
    height: 0.05,
    isRequired: false,
    label: null,
    value,
  }
}

describe('stamped field positions', () => {
  it('puts each value inside its displayed box, whatever the rotation or crop', async () => {
    const pdf = await awkwardPdf()
    const values = ['Alpha0', 'Bravo90', 'Charlie180', 'Delta270', 'Echocrop']
    const built = await buildSealPdf({
      packageId: 'geometry',
      title: 'Geometry',
      documents: [
        {
          id: 'doc',
          position: 1,
          title: 'Awkward',
          kind: 'pdf',
          byteSize: pdf.length,
          sha256: 'x',
          pageCount: 5,
          markdown: null,
          pdf,
        },
      ],
      fields: values.map((value, index) => field(index + 1, value)),
      signatures: [],
      certificate: [{ text: 'Certificate' }],
    })
    const file = join(dir, 'geometry.pdf')
    writeFileSync(file, await built.document.save())
    const html = execFileSync('pdftotext', ['-bbox', '-cropbox', '-f', '1', '-l', '5', file, '-'], {
      encoding: 'utf8',
    })
    const pages = html.split('<page ').slice(1)
    expect(pages).toHaveLength(5)
    for (const [index, value] of values.entries()) {
      const pageHtml = pages[index] as string
      const [, width, height] = /width="([\d.]+)" height="([\d.]+)"/.exec(pageHtml) ?? []
      const word = new RegExp(
        `xMin="([\\d.]+)" yMin="([\\d.]+)" xMax="([\\d.]+)" yMax="([\\d.]+)">${value}<`,
      ).exec(pageHtml)
      expect(word, `${value} on page ${index + 1}`).not.toBeNull()
      const [xMin, yMin, xMax, yMax] = (word as RegExpExecArray).slice(1).map(Number) as [
        number,
        number,
        number,
        number,
      ]
      const w = Number(width)
      const h = Number(height)
      // Inside the box (10 %..50 % across, 10 %..15 % down), give or take a point of rounding.
      expect(xMin / w, value).toBeGreaterThanOrEqual(0.1 - 0.01)
      expect(xMax / w, value).toBeLessThanOrEqual(0.5 + 0.01)
      expect(yMin / h, value).toBeGreaterThanOrEqual(0.1 - 0.01)
      expect(yMax / h, value).toBeLessThanOrEqual(0.15 + 0.01)
    }
  })
})
