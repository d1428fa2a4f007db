import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fontkit from '@pdf-lib/fontkit'
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib'
import { SignPdf } from '@signpdf/signpdf'
import { Signer, SUBFILTER_ETSI_CADES_DETACHED } from '@signpdf/utils'
import {
  degrees,
  PDFDocument,
  type PDFFont,
  type PDFPage,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  StandardFonts,
} from 'pdf-lib'
import { addSignatureTimestamp, type CmsSigningKey, signatureValueOf, signDetachedCms } from './cms.ts'
import type { DocumentContent, FieldRow, SignatureRow } from './repository.ts'

const require = createRequire(import.meta.url)
/** Dancing Script Regular (OFL-1.1), the face the web page shows typed signatures in. */
const SCRIPT_FONT_PATH = require.resolve(
  '@expo-google-fonts/dancing-script/400Regular/DancingScript_400Regular.ttf',
)
/** Noto Sans (OFL-1.1): Latin, Greek and Cyrillic, so names and values print as typed. */
const TEXT_FONT_PATHS = {
  regular: require.resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf'),
  bold: require.resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf'),
  // Typed signatures in scripts Dancing Script lacks (Cyrillic, Greek) fall back to the italic.
  italic: require.resolve('@expo-google-fonts/noto-sans/400Regular_Italic/NotoSans_400Regular_Italic.ttf'),
}
const fontFiles = new Map<string, Buffer>()
function fontFile(path: string): Buffer {
  let bytes = fontFiles.get(path)
  if (!bytes) {
    bytes = readFileSync(path)
    fontFiles.set(path, bytes)
  }
  return bytes
}

const PAGE = { width: 612, height: 792, margin: 54 }
const INK = rgb(0.08, 0.1, 0.16)
const MUTED = rgb(0.36, 0.39, 0.45)
const SIGNATURE_INK = rgb(0.05, 0.12, 0.42)
/** Room reserved for the CMS signature in /Contents (bytes); a 2048/4096-bit RSA one needs far less. */
const SIGNATURE_LENGTH = 16_384

/** One line of the certificate: text in a style, or vertical space. */
export type CertificateLine =
  | { text: string; style?: 'title' | 'heading' | 'body' | 'small' | 'mono'; indent?: number }
  | { space: number }

export type SealBuildInput = {
  packageId: string
  title: string
  documents: DocumentContent[]
  fields: FieldRow[]
  signatures: SignatureRow[]
  certificate: CertificateLine[]
}

type Fonts = { regular: PDFFont; bold: PDFFont; mono: PDFFont; script: PDFFont }

/**
 * The sealed package before its signature: every document in order (PDF pages with their field
 * values drawn on them, Markdown rendered as text pages), then the certificate of completion, every
 * certificate page footed "Sealed by Safeclose · <package id> · page n of m".
 */
export async function buildSealPdf(input: SealBuildInput) {
  const out = await PDFDocument.create()
  out.registerFontkit(fontkit)
  out.setTitle(`${input.title} (sealed)`)
  out.setProducer('Safeclose')
  out.setCreator('Safeclose')
  const fonts: Fonts = {
    regular: await out.embedFont(StandardFonts.Helvetica),
    bold: await out.embedFont(StandardFonts.HelveticaBold),
    mono: await out.embedFont(StandardFonts.Courier),
    // A subset: only the glyphs used are embedded.
    script: await out.embedFont(fontFile(SCRIPT_FONT_PATH), { subset: true }),
  }
  // Helvetica (Windows-1252) is fast to lay out; Noto Sans is embedded only when some text needs it
  // (a name in Polish, Greek or Cyrillic), as laying text out in it costs about ten times as much.
  if (allText(input).some((text) => !canDraw(text, fonts.regular))) {
    fallbacks.set(fonts.regular, await out.embedFont(fontFile(TEXT_FONT_PATHS.regular), { subset: true }))
    fallbacks.set(fonts.bold, await out.embedFont(fontFile(TEXT_FONT_PATHS.bold), { subset: true }))
  }
  if (input.signatures.some((row) => row.typedText !== null && !canDraw(row.typedText, fonts.script))) {
    fallbacks.set(fonts.script, await out.embedFont(fontFile(TEXT_FONT_PATHS.italic), { subset: true }))
  }
  const signatures = new Map(input.signatures.map((row) => [`${row.signerId}:${row.kind}`, row]))
  for (const document of input.documents) {
    if (document.kind === 'pdf' && document.pdf) {
      const source = await PDFDocument.load(document.pdf, { updateMetadata: false })
      const pages = await out.copyPages(source, source.getPageIndices())
      for (const [index, page] of pages.entries()) {
        out.addPage(page)
        const onPage = input.fields.filter(
          (field) => field.documentId === document.id && field.page === index + 1,
        )
        if (onPage.length > 0) await stampFields(out, page, onPage, signatures, fonts)
      }
    } else {
      renderMarkdown(out, document.title, document.markdown ?? '', fonts)
    }
  }
  const documentPageCount = out.getPageCount()
  const certificatePages = renderCertificate(out, input.certificate, fonts)
  const total = out.getPageCount()
  for (const [index, page] of certificatePages.entries()) {
    const footer = safe(
      `Sealed by Safeclose · ${input.packageId} · page ${documentPageCount + index + 1} of ${total}`,
      fonts.regular,
    )
    page.drawText(footer, { x: PAGE.margin, y: 28, size: 8, font: fonts.regular, color: MUTED })
  }
  return { document: out, documentPageCount, certificatePageCount: certificatePages.length, pageCount: total }
}

/** Adds the signature placeholder, saves, and signs the bytes: CMS detached, ETSI.CAdES.detached. */
export async function signSealPdf(
  document: PDFDocument,
  key: CmsSigningKey,
  details: {
    reason: string
    location: string
    name: string
    signingTime: Date
    /** An RFC 3161 token over the signature value (SEAL_TSA_URL), added as an unsigned attribute. */
    timestamp?: (signatureValue: Buffer) => Promise<Buffer>
  },
): Promise<Buffer> {
  pdflibAddPlaceholder({
    pdfDoc: document,
    reason: details.reason,
    contactInfo: '',
    name: details.name,
    location: details.location,
    signingTime: details.signingTime,
    signatureLength: SIGNATURE_LENGTH,
    subFilter: SUBFILTER_ETSI_CADES_DETACHED,
    appName: 'Safeclose',
  })
  const unsigned = Buffer.from(await document.save({ useObjectStreams: false }))
  class CadesSigner extends Signer {
    override async sign(content: Buffer): Promise<Buffer> {
      const cms = signDetachedCms(content, key)
      if (!details.timestamp) return cms
      return addSignatureTimestamp(cms, await details.timestamp(signatureValueOf(cms)))
    }
  }
  return new SignPdf().sign(unsigned, new CadesSigner(), details.signingTime)
}

/**
 * A field's box as the viewer shows it (pdf.js: the CropBox, turned by /Rotate), mapped to PDF user
 * space. `at(dx, dy)` is the user-space point `dx` right of and `dy` above the box's displayed
 * bottom-left corner; drawing there with `rotate` comes out upright on screen.
 */
type Frame = {
  width: number
  height: number
  rotate: number
  at(dx: number, dy: number): { x: number; y: number }
}

export function fieldFrame(
  crop: { x: number; y: number; width: number; height: number },
  rotation: number,
  field: { x: number; y: number; width: number; height: number },
): Frame {
  const rotate = (((Math.round(rotation / 90) * 90) % 360) + 360) % 360
  const isTurned = rotate === 90 || rotate === 270
  const shownWidth = isTurned ? crop.height : crop.width
  const shownHeight = isTurned ? crop.width : crop.height
  // A displayed point: u to the right of the page's displayed left edge, v down from its top.
  const toUser = (u: number, v: number) => {
    switch (rotate) {
      case 90:
        return { x: crop.x + v, y: crop.y + u }
      case 180:
        return { x: crop.x + crop.width - u, y: crop.y + v }
      case 270:
        return { x: crop.x + crop.width - v, y: crop.y + crop.height - u }
      default:
        return { x: crop.x + u, y: crop.y + crop.height - v }
    }
  }
  const left = field.x * shownWidth
  const bottom = (field.y + field.height) * shownHeight
  return {
    width: field.width * shownWidth,
    height: field.height * shownHeight,
    rotate,
    at: (dx, dy) => toUser(left + dx, bottom - dy),
  }
}

async function stampFields(
  out: PDFDocument,
  page: PDFPage,
  fields: FieldRow[],
  signatures: Map<string, SignatureRow>,
  fonts: Fonts,
) {
  // The original content may leave its graphics state changed: wrap it so our stamps start clean.
  const start = out.context.register(out.context.contentStream([pushGraphicsState()]))
  const end = out.context.register(out.context.contentStream([popGraphicsState()]))
  page.node.wrapContentStreams(start, end)
  const crop = page.getCropBox()
  const rotation = page.getRotation().angle
  for (const field of fields) {
    const frame = fieldFrame(crop, rotation, field)
    const rotate = degrees(frame.rotate)
    if (field.type === 'signature' || field.type === 'initials') {
      const adopted = signatures.get(`${field.signerId}:${field.type}`)
      if (!adopted) continue
      if (adopted.method === 'drawn' && adopted.png) {
        const image = await out.embedPng(adopted.png)
        const scale = Math.min(frame.width / image.width, frame.height / image.height)
        const width = image.width * scale
        const height = image.height * scale
        page.drawImage(image, {
          ...frame.at((frame.width - width) / 2, (frame.height - height) / 2),
          width,
          height,
          rotate,
        })
      } else if (adopted.typedText) {
        const font = fontFor(adopted.typedText, fonts.script)
        drawFitted(page, safe(adopted.typedText, font), font, frame, SIGNATURE_INK, 0.85, 36)
      }
      continue
    }
    if (field.type === 'checkbox') {
      const side = Math.min(frame.width, frame.height)
      page.drawRectangle({
        ...frame.at(0, 0),
        width: side,
        height: side,
        rotate,
        borderColor: INK,
        borderWidth: 0.8,
      })
      if (field.value === true) {
        const tick = [
          frame.at(side * 0.2, side * 0.5),
          frame.at(side * 0.42, side * 0.22),
          frame.at(side * 0.82, side * 0.8),
        ]
        page.drawLine({ start: tick[0] as Point, end: tick[1] as Point, thickness: 1.4, color: INK })
        page.drawLine({ start: tick[1] as Point, end: tick[2] as Point, thickness: 1.4, color: INK })
      }
      continue
    }
    if (typeof field.value === 'string' && field.value !== '') {
      const font = fontFor(field.value, fonts.regular)
      drawFitted(page, safe(field.value, font), font, frame, INK, 0.7, 14)
    }
  }
}

type Point = { x: number; y: number }

/** Draws one line of text as large as fits the box (at most `ratio` of its height, `maxSize` points), left aligned. */
function drawFitted(
  page: PDFPage,
  text: string,
  font: PDFFont,
  frame: Frame,
  color: ReturnType<typeof rgb>,
  ratio: number,
  maxSize: number,
) {
  const widthAtOne = font.widthOfTextAtSize(text, 1) || 1
  const size = Math.max(4, Math.min(frame.height * ratio, (frame.width * 0.98) / widthAtOne, maxSize))
  const descent = Math.abs(
    font.heightAtSize(size, { descender: true }) - font.heightAtSize(size, { descender: false }),
  )
  page.drawText(text, {
    ...frame.at(1, (frame.height - size) / 2 + descent * 0.6),
    size,
    font,
    color,
    rotate: degrees(frame.rotate),
  })
}

// ---------------------------------------------------------------- text pages

type Style = { font: PDFFont; size: number; color: ReturnType<typeof rgb>; gap: number }

class TextPages {
  pages: PDFPage[] = []
  private page: PDFPage | null = null
  private y = 0
  private readonly out: PDFDocument
  private readonly bottom: number
  constructor(out: PDFDocument, bottom = PAGE.margin + 14) {
    this.out = out
    this.bottom = bottom
  }

  private newPage() {
    this.page = this.out.addPage([PAGE.width, PAGE.height])
    this.pages.push(this.page)
    this.y = PAGE.height - PAGE.margin
  }

  space(points: number) {
    this.y -= points
  }

  write(text: string, style: Style, indent = 0) {
    const width = PAGE.width - 2 * PAGE.margin - indent
    const font = fontFor(text, style.font)
    for (const line of wrap(safe(text, font), font, style.size, width)) {
      if (!this.page || this.y - style.size < this.bottom) this.newPage()
      this.y -= style.size
      ;(this.page as PDFPage).drawText(line, {
        x: PAGE.margin + indent,
        y: this.y,
        size: style.size,
        font,
        color: style.color,
      })
      this.y -= style.gap
    }
  }
}

function renderMarkdown(out: PDFDocument, title: string, markdown: string, fonts: Fonts) {
  const pages = new TextPages(out)
  const styles = {
    h1: { font: fonts.bold, size: 18, color: INK, gap: 8 },
    h2: { font: fonts.bold, size: 14, color: INK, gap: 6 },
    body: { font: fonts.regular, size: 11, color: INK, gap: 4 },
    caption: { font: fonts.regular, size: 9, color: MUTED, gap: 10 },
  }
  pages.write(title, styles.caption)
  for (const raw of markdown.replaceAll('\r\n', '\n').split('\n')) {
    const line = raw.trimEnd()
    if (line.trim() === '') {
      pages.space(6)
      continue
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line)
    if (heading) {
      pages.space(4)
      pages.write(inline(heading[2] ?? ''), (heading[1] ?? '#').length === 1 ? styles.h1 : styles.h2)
      continue
    }
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line)
    if (bullet) {
      pages.write(`•  ${inline(bullet[1] ?? '')}`, styles.body, 12)
      continue
    }
    const numbered = /^\s*(\d+)[.)]\s+(.*)$/.exec(line)
    if (numbered) {
      pages.write(`${numbered[1]}.  ${inline(numbered[2] ?? '')}`, styles.body, 12)
      continue
    }
    pages.write(inline(line.replace(/^>\s?/, '')), styles.body)
  }
  if (pages.pages.length === 0) pages.write(' ', styles.body)
}

/** Markdown inline markup to plain text: emphasis and code marks dropped, links as "text (url)". */
function inline(text: string): string {
  return text
    .replaceAll(/!\[([^\]]*)\]\(([^)]*)\)/g, '$1')
    .replaceAll(/\[([^\]]+)\]\(([^)]+)\)/g, '$1 ($2)')
    .replaceAll(/(\*\*|__)(.+?)\1/g, '$2')
    .replaceAll(/(\*|_)(.+?)\1/g, '$2')
    .replaceAll(/`([^`]+)`/g, '$1')
}

function renderCertificate(out: PDFDocument, lines: CertificateLine[], fonts: Fonts): PDFPage[] {
  const pages = new TextPages(out, PAGE.margin + 20)
  const styles: Record<string, Style> = {
    title: { font: fonts.bold, size: 20, color: INK, gap: 8 },
    heading: { font: fonts.bold, size: 13, color: INK, gap: 6 },
    body: { font: fonts.regular, size: 9.5, color: INK, gap: 3 },
    small: { font: fonts.regular, size: 8, color: MUTED, gap: 2.5 },
    mono: { font: fonts.mono, size: 7.5, color: INK, gap: 2.5 },
  }
  for (const line of lines) {
    if ('space' in line) pages.space(line.space)
    else pages.write(line.text, styles[line.style ?? 'body'] as Style, line.indent ?? 0)
  }
  return pages.pages
}

/** Lines of at most `width` points; words longer than a line (hashes, user agents) are cut. */
function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (const word of paragraph.split(' ')) {
      const candidate = line === '' ? word : `${line} ${word}`
      if (font.widthOfTextAtSize(candidate, size) <= width) {
        line = candidate
        continue
      }
      if (line !== '') lines.push(line)
      line = word
      while (font.widthOfTextAtSize(line, size) > width) {
        let cut = line.length - 1
        while (cut > 1 && font.widthOfTextAtSize(line.slice(0, cut), size) > width) cut -= 1
        lines.push(line.slice(0, cut))
        line = line.slice(cut)
      }
    }
    lines.push(line)
  }
  return lines
}

const characterSets = new WeakMap<PDFFont, Set<number>>()
/** Each standard font's Unicode stand-in, when the document needs one. */
const fallbacks = new WeakMap<PDFFont, PDFFont>()

function characterSetOf(font: PDFFont): Set<number> {
  let supported = characterSets.get(font)
  if (!supported) {
    supported = new Set(font.getCharacterSet())
    characterSets.set(font, supported)
  }
  return supported
}

function canDraw(text: string, font: PDFFont): boolean {
  const set = characterSetOf(font)
  for (const character of text) {
    if (
      character !== '\n' &&
      character !== '\t' &&
      character !== '\r' &&
      !set.has(character.codePointAt(0) ?? 0)
    ) {
      return false
    }
  }
  return true
}

/** The font to draw `text` in: `font`, or its Unicode stand-in when `font` lacks a character. */
function fontFor(text: string, font: PDFFont): PDFFont {
  const fallback = fallbacks.get(font)
  return fallback && !canDraw(text, font) ? fallback : font
}

/** Every text the pages will show in the body fonts. */
function allText(input: SealBuildInput): string[] {
  return [
    ...input.certificate.flatMap((line) => ('text' in line ? [line.text] : [])),
    ...input.documents.flatMap((document) => [document.title, document.markdown ?? '']),
    ...input.fields.flatMap((field) => (typeof field.value === 'string' ? [field.value] : [])),
  ]
}

/**
 * Text the font can draw: characters it has no glyph for (CJK in Noto Sans, anything beyond
 * Windows-1252 in Courier) become "?" rather than failing the seal. The database and the audit trail
 * keep the exact text.
 */
function safe(text: string, font: PDFFont): string {
  const set = characterSetOf(font)
  return Array.from(text.replaceAll(/[\t\r]/g, ' '), (character) =>
    character === '\n' || set.has(character.codePointAt(0) ?? 0) ? character : '?',
  ).join('')
}
