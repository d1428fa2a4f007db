import type { FastifyReply } from 'fastify'
import { AppError } from '../../errors.ts'

/** Where the signer's documents live; the page policy lets our pages frame this prefix only. */
export const SIGNER_DOCUMENTS_PATH = '/api/signer/signing/documents/'

/** The URL of a signer document's PDF bytes (GET, inline). */
export function signerPdfPath(documentId: string): string {
  return `${SIGNER_DOCUMENTS_PATH}${encodeURIComponent(documentId)}/pdf`
}

/**
 * The policy of a PDF response: nothing may load or run in its document (the browser's own viewer is
 * not subject to it: Chromium's renders under `default-src 'none'`), and only our own pages may
 * frame it. No `sandbox`: browsers that treat a PDF as a plugin refuse to show it in a sandbox.
 */
export const PDF_CONTENT_SECURITY_POLICY =
  "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

/**
 * Sends PDF bytes to be shown in the browser (a frame of the signer page, or a tab), never sniffed,
 * never cached by anything but the signer's own browser for this response.
 */
export function sendInlinePdf(reply: FastifyReply, document: { title: string; pdf: Uint8Array | null }) {
  if (!document.pdf) throw new AppError('NOT_FOUND', 'This document is not a PDF.')
  return (
    reply
      .header('content-disposition', inlineDisposition(document.title))
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .header('content-security-policy', PDF_CONTENT_SECURITY_POLICY)
      // helmet's default, stated here because this is the one API response meant to be framed.
      .header('x-frame-options', 'SAMEORIGIN')
      .type('application/pdf')
      .send(Buffer.from(document.pdf.buffer, document.pdf.byteOffset, document.pdf.byteLength))
  )
}

/**
 * `inline; filename="…"` with an ASCII-only name safe inside the quotes (no quotes, backslashes,
 * control characters or path separators), plus RFC 6266's `filename*` when the title needs UTF-8.
 */
export function inlineDisposition(title: string): string {
  const base = title
    .replaceAll(/[\p{Cc}\p{Cf}/\\]/gu, ' ')
    .replace(/\.pdf\s*$/i, '')
    .replaceAll(/\s+/g, ' ')
    .replace(/^[ .]+/, '')
    .replace(/[ .]+$/, '')
  const ascii = base
    .normalize('NFKD')
    .replaceAll(/\p{M}/gu, '')
    .replaceAll(/[^A-Za-z0-9 ._()+,-]+/g, '_')
    .replace(/^[ ._]+/, '')
    .slice(0, 100)
    .trim()
  const fileName = `${ascii || 'document'}.pdf`
  const utf8Name = `${base.slice(0, 100).trim() || 'document'}.pdf`
  if (utf8Name === fileName) return `inline; filename="${fileName}"`
  return `inline; filename="${fileName}"; filename*=UTF-8''${encodeRfc5987(utf8Name)}`
}

function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replaceAll(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}
