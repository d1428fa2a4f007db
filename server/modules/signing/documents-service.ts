import { createHash } from 'node:crypto'
import { AppError } from '../../errors.ts'
import { auditEvent, requestActor, signingChain } from '../audit/events.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import { type FieldInput, fieldView, MAX_FIELDS_PER_DOCUMENT, validateFields } from './fields.ts'
import type { SigningDeps } from './manager-service.ts'
import type { PackageAccess } from './package-access.ts'
import { inspectPdf } from './pdf-inspect.ts'
import * as repository from './repository.ts'
import type { PackageView } from './views.ts'

/** Largest document (Markdown text or PDF bytes) a package may hold. */
export const MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
/** Largest document sent as base64 inside a JSON body; larger ones go as multipart/form-data. */
export const MAX_JSON_DOCUMENT_BYTES = 2 * 1024 * 1024

export type DocumentInput =
  | { title: string; kind: 'markdown'; markdown: string }
  | { title: string; kind: 'pdf'; pdf_base64: string }
  | { title: string; kind: 'pdf'; pdf: Uint8Array }

/** A draft's documents and the fields placed on its PDFs, and the PDF preview of any package. */
export function createDocumentsService(
  deps: Pick<SigningDeps, 'db' | 'audit' | 'now'>,
  access: PackageAccess,
) {
  const { db, audit } = deps
  const now = deps.now ?? (() => new Date())

  return {
    async addDocument(
      session: MemberSession,
      packageId: string,
      input: DocumentInput,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const content = await documentContent(input)
      await db.transaction(async (tx) => {
        const pkg = await access.lockInState(tx, session, packageId, ['draft'])
        await repository.insertDocument(tx, { packageId, title: input.title.trim(), ...content })
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.document_added', {
            chain: signingChain(pkg),
            subject: { type: 'signing', id: packageId },
            details: {
              title: input.title.trim(),
              kind: content.kind,
              byte_size: content.byteSize,
              sha256: content.sha256,
            },
          }),
          tx,
        )
      })
      return access.view(session, packageId)
    },

    /** The PDF bytes of a document of this workspace's package (any state), for the manager's preview. */
    async documentPdf(session: MemberSession, packageId: string, documentId: string) {
      const pkg = await access.requirePackage(session, packageId)
      const document = await repository.findDocument(db, pkg.id, documentId, { withPdfBytes: true })
      if (!document) throw new AppError('NOT_FOUND', 'No such document in this package.')
      if (document.kind !== 'pdf') throw new AppError('NOT_FOUND', 'This document is not a PDF.')
      return document
    },

    /**
     * Replaces the fields of a PDF document while the package is a draft. Each field belongs to a
     * signer of the package and lies inside a page of the document (pages counted with pdf-lib).
     */
    async setFields(
      session: MemberSession,
      packageId: string,
      documentId: string,
      fields: FieldInput[],
      origin: RequestOrigin,
    ) {
      if (fields.length > MAX_FIELDS_PER_DOCUMENT) {
        throw new AppError(
          'VALIDATION_FAILED',
          `A document may have at most ${MAX_FIELDS_PER_DOCUMENT} fields.`,
        )
      }
      const stored = await db.transaction(async (tx) => {
        const pkg = await access.lockInState(
          tx,
          session,
          packageId,
          ['draft'],
          'fields can be placed only on a draft.',
        )
        const document = await repository.findDocument(tx, packageId, documentId, { withPdfBytes: false })
        if (!document) throw new AppError('NOT_FOUND', 'No such document in this package.')
        if (document.kind !== 'pdf') {
          throw new AppError('VALIDATION_FAILED', 'Fields can be placed on PDF documents only.')
        }
        let pageCount = document.pageCount
        if (pageCount === null) {
          // A PDF stored before page counts were recorded: count once, keep the count.
          const withBytes = await repository.findDocument(tx, packageId, documentId, { withPdfBytes: true })
          pageCount = (await inspectPdf(withBytes?.pdf ?? new Uint8Array(), 'the document')).pageCount
          await repository.setDocumentPageCount(tx, documentId, pageCount)
        }
        const signers = await repository.listSigners(tx, packageId, now())
        const rows = validateFields(fields, {
          pageCount,
          signerIds: new Set(signers.map((signer) => signer.id)),
        })
        const saved = await repository.replaceFields(tx, documentId, rows)
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.fields_set', {
            chain: signingChain(pkg),
            subject: { type: 'signing', id: packageId },
            details: {
              document_id: documentId,
              field_count: saved.length,
              types: [...new Set(saved.map((field) => field.type))].sort(),
            },
          }),
          tx,
        )
        return saved
      })
      return { fields: stored.map(fieldView) }
    },

    async removeDocument(
      session: MemberSession,
      packageId: string,
      documentId: string,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      await db.transaction(async (tx) => {
        const pkg = await access.lockInState(tx, session, packageId, ['draft'])
        if (!(await repository.deleteDocument(tx, packageId, documentId))) {
          throw new AppError('NOT_FOUND', 'No such document in this package.')
        }
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.document_removed', {
            chain: signingChain(pkg),
            subject: { type: 'signing', id: packageId },
            details: { document_id: documentId },
          }),
          tx,
        )
      })
      return access.view(session, packageId)
    },
  }
}

/**
 * The stored form of a new document. A PDF must open in pdf-lib (not encrypted, with pages): the
 * sealing job flattens fields onto it later, so a file it cannot read is refused now, not then.
 */
async function documentContent(input: DocumentInput) {
  if (input.kind === 'markdown') {
    const bytes = Buffer.from(input.markdown, 'utf8')
    if (bytes.length > MAX_JSON_DOCUMENT_BYTES) throw documentTooLarge(MAX_JSON_DOCUMENT_BYTES)
    return {
      kind: 'markdown' as const,
      markdown: input.markdown,
      pdf: null,
      byteSize: bytes.length,
      sha256: sha256Hex(bytes),
      pageCount: null,
    }
  }
  const isJson = 'pdf_base64' in input
  const bytes = isJson ? new Uint8Array(Buffer.from(input.pdf_base64, 'base64')) : input.pdf
  const limit = isJson ? MAX_JSON_DOCUMENT_BYTES : MAX_DOCUMENT_BYTES
  if (bytes.length > limit) throw documentTooLarge(limit)
  const { pageCount } = await inspectPdf(bytes, isJson ? 'body.pdf_base64' : 'file')
  return {
    kind: 'pdf' as const,
    markdown: null,
    pdf: bytes,
    byteSize: bytes.length,
    sha256: sha256Hex(bytes),
    pageCount,
  }
}

function documentTooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `A document may be at most ${limit / (1024 * 1024)} MiB here.`)
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
