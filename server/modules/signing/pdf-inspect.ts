import type { PDFDocument } from 'pdf-lib'
import { AppError } from '../../errors.ts'

/**
 * Opens an uploaded PDF with pdf-lib and counts its pages. Whatever pdf-lib cannot use is refused
 * here, with a message the uploader can act on: not a PDF, encrypted, unreadable, or without pages.
 */
export async function inspectPdf(bytes: Uint8Array, field = 'file'): Promise<{ pageCount: number }> {
  if (Buffer.from(bytes.subarray(0, 5)).toString('latin1') !== '%PDF-') {
    throw new AppError('VALIDATION_FAILED', `${field} is not a PDF file (it does not start with %PDF-).`, {
      details: { field, rule: 'pdf' },
    })
  }
  // Loaded on first use, like the rest of the PDF stack: a server that handles no PDFs never pays for it.
  const { EncryptedPDFError, PDFDocument } = await import('pdf-lib')
  let document: PDFDocument
  try {
    document = await PDFDocument.load(bytes, { updateMetadata: false, throwOnInvalidObject: true })
  } catch (error) {
    // pdf-lib's errors are compiled to ES5 classes, so `instanceof` may not hold: check the message too.
    if (error instanceof EncryptedPDFError || /is encrypted/.test((error as Error).message)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${field} is an encrypted (password-protected) PDF; upload a copy without encryption.`,
        { details: { field, rule: 'pdf_encrypted' } },
      )
    }
    throw new AppError('VALIDATION_FAILED', `${field} is not a readable PDF file; it may be damaged.`, {
      details: { field, rule: 'pdf_damaged' },
    })
  }
  let pageCount = 0
  try {
    pageCount = document.getPageCount()
  } catch {
    pageCount = 0
  }
  if (pageCount === 0)
    throw new AppError('VALIDATION_FAILED', `${field} is a PDF without pages.`, {
      details: { field, rule: 'pdf_empty' },
    })
  return { pageCount }
}
