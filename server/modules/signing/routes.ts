import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { AppError } from '../../errors.ts'
import { newCspNonce } from '../../http/content-security-policy.ts'
import { originOf } from '../../http/request-origin.ts'
import { HtmlResponse, NoContent, PdfResponse } from '../../http/responses.ts'
import {
  memberSessionOf,
  requireRole,
  requireSession,
  SESSION_COOKIE,
  signerSessionOf,
} from '../auth/session-guard.ts'
import type { createAuditTrailService } from './audit-trail.ts'
import { type DocumentInput, MAX_DOCUMENT_BYTES, type SigningManagerService } from './manager-service.ts'
import { sendInlinePdf, signerPdfPath } from './pdf-response.ts'
import {
  ActivateResponseSchema,
  AddDocumentBodySchema,
  AddSignerBodySchema,
  AuditQuerySchema,
  AuditTrailSchema,
  CancelBodySchema,
  ChooseAccountBodySchema,
  CreatePackageBodySchema,
  DOCUMENT_BODY_LIMIT_BYTES,
  DocumentParamsSchema,
  FieldsBodySchema,
  FieldsResponseSchema,
  LinkStartedBodySchema,
  OpenLinkBodySchema,
  OpenLinkResponseSchema,
  OwnershipPolicySchema,
  OwnershipReviewBodySchema,
  PackageDetailSchema,
  PackageListSchema,
  PackageParamsSchema,
  PackageSchema,
  PolicyBodySchema,
  ResendResponseSchema,
  SealCertificateUploadBodySchema,
  SealCertificateViewSchema,
  SIGN_BODY_LIMIT_BYTES,
  SignBodySchema,
  SignerDocumentParamsSchema,
  SignerDocumentSchema,
  SignerFlowSchema,
  SignerParamsSchema,
  VerifyResultSchema,
} from './schemas.ts'
import type { SealCertificateService } from './seal-certificate.ts'
import type { SealingService } from './sealing.ts'
import type { SignerFlowService } from './signer-service.ts'

export type SigningRoutesOptions = {
  manager: SigningManagerService
  signerFlow: SignerFlowService
  auditTrail: ReturnType<typeof createAuditTrailService>
  sealing: SealingService
  sealCertificates: SealCertificateService
  isSecureOrigin: boolean
}

/** Uploaded files by request: the body keeps the file name only, so schemas stay about strings. */
const uploads = new WeakMap<FastifyRequest, { bytes: Buffer; filename: string; mimetype: string }>()

const managers = requireRole('admin', 'manager')

/** Managers' package API under /api/signings, the signer flow under /api/signer, link opening. */
export const signingRoutes: FastifyPluginAsyncTypebox<SigningRoutesOptions> = async (app, options) => {
  const { manager, signerFlow, auditTrail, sealing, sealCertificates } = options

  // ---------------------------------------------------------------- manager side

  app.get(
    '/api/signings',
    { onRequest: managers, schema: { response: { 200: PackageListSchema } } },
    async (request) => manager.list(memberSessionOf(request)),
  )

  app.post(
    '/api/signings',
    { onRequest: managers, schema: { body: CreatePackageBodySchema, response: { 201: PackageSchema } } },
    async (request, reply) =>
      reply.status(201).send(await manager.create(memberSessionOf(request), request.body, originOf(request))),
  )

  app.get(
    '/api/signings/:id',
    { onRequest: managers, schema: { params: PackageParamsSchema, response: { 200: PackageDetailSchema } } },
    async (request) => manager.view(memberSessionOf(request), request.params.id),
  )

  // multipart/form-data uploads (fields `title` and `file`) on this route only, in a scope of its
  // own: no other route parses multipart bodies (a public one would buffer 25 MB for nothing). The
  // file is read into memory up to the document limit, and the body becomes { title, file: <name> }.
  await app.register(async (uploadScope) => {
    await uploadScope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: MAX_DOCUMENT_BYTES, files: 1, fields: 4, parts: 5, fieldSize: 64 * 1024 },
      async onFile(part) {
        const bytes = await part.toBuffer()
        uploads.set(this, { bytes, filename: part.filename, mimetype: part.mimetype })
        ;(part as unknown as { value: string }).value = part.filename || 'upload'
      },
    })
    uploadScope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/signings/:id/documents',
      {
        onRequest: managers,
        bodyLimit: DOCUMENT_BODY_LIMIT_BYTES,
        schema: {
          params: PackageParamsSchema,
          body: AddDocumentBodySchema,
          response: { 200: PackageSchema },
        },
      },
      async (request) =>
        manager.addDocument(
          memberSessionOf(request),
          request.params.id,
          documentInputOf(request, request.body),
          originOf(request),
        ),
    )
  })

  app.delete(
    '/api/signings/:id/documents/:documentId',
    { onRequest: managers, schema: { params: DocumentParamsSchema, response: { 200: PackageSchema } } },
    async (request) =>
      manager.removeDocument(
        memberSessionOf(request),
        request.params.id,
        request.params.documentId,
        originOf(request),
      ),
  )

  app.put(
    '/api/signings/:id/documents/:documentId/fields',
    {
      onRequest: managers,
      schema: {
        params: DocumentParamsSchema,
        body: FieldsBodySchema,
        response: { 200: FieldsResponseSchema },
      },
    },
    async (request) =>
      manager.setFields(
        memberSessionOf(request),
        request.params.id,
        request.params.documentId,
        request.body.fields,
        originOf(request),
      ),
  )

  app.get(
    '/api/signings/:id/documents/:documentId/pdf',
    { onRequest: managers, schema: { params: DocumentParamsSchema, response: { 200: PdfResponse } } },
    async (request, reply) =>
      sendInlinePdf(
        reply,
        await manager.documentPdf(memberSessionOf(request), request.params.id, request.params.documentId),
      ),
  )

  app.post(
    '/api/signings/:id/signers',
    {
      onRequest: managers,
      schema: { params: PackageParamsSchema, body: AddSignerBodySchema, response: { 200: PackageSchema } },
    },
    async (request) =>
      manager.addSigner(memberSessionOf(request), request.params.id, request.body, originOf(request)),
  )

  app.delete(
    '/api/signings/:id/signers/:signerId',
    { onRequest: managers, schema: { params: SignerParamsSchema, response: { 200: PackageSchema } } },
    async (request) =>
      manager.removeSigner(
        memberSessionOf(request),
        request.params.id,
        request.params.signerId,
        originOf(request),
      ),
  )

  app.post(
    '/api/signings/:id/activate',
    {
      onRequest: managers,
      schema: { params: PackageParamsSchema, response: { 200: ActivateResponseSchema } },
    },
    async (request) => manager.activate(memberSessionOf(request), request.params.id, originOf(request)),
  )

  app.post(
    '/api/signings/:id/signers/:signerId/resend',
    { onRequest: managers, schema: { params: SignerParamsSchema, response: { 200: ResendResponseSchema } } },
    async (request) =>
      manager.resend(memberSessionOf(request), request.params.id, request.params.signerId, originOf(request)),
  )

  app.post(
    '/api/signings/:id/signers/:signerId/ownership-review',
    {
      onRequest: managers,
      schema: {
        params: SignerParamsSchema,
        body: OwnershipReviewBodySchema,
        response: { 200: PackageSchema },
      },
    },
    async (request) =>
      manager.reviewOwnership(
        memberSessionOf(request),
        request.params.id,
        request.params.signerId,
        request.body,
        originOf(request),
      ),
  )

  app.post(
    '/api/signings/:id/cancel',
    {
      onRequest: managers,
      schema: { params: PackageParamsSchema, body: CancelBodySchema, response: { 200: PackageSchema } },
    },
    async (request) =>
      manager.cancel(memberSessionOf(request), request.params.id, request.body.reason, originOf(request)),
  )

  app.get(
    '/api/signings/:id/audit',
    {
      onRequest: managers,
      schema: {
        params: PackageParamsSchema,
        querystring: AuditQuerySchema,
        response: { 200: AuditTrailSchema },
      },
    },
    async (request, reply) => {
      const trail = await auditTrail.trail(memberSessionOf(request), request.params.id)
      if (request.query.download === '1') {
        reply.header('content-disposition', `attachment; filename="signing-${trail.signing_id}-audit.json"`)
      }
      return trail
    },
  )

  app.get(
    '/api/signings/:id/certificate',
    { onRequest: managers, schema: { params: PackageParamsSchema, response: { 200: HtmlResponse } } },
    async (request, reply) => {
      const nonce = newCspNonce()
      const html = await auditTrail.certificate(memberSessionOf(request), request.params.id, nonce)
      return reply
        .header(
          'content-security-policy',
          `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
        )
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(html)
    },
  )

  app.get(
    '/api/signings/:id/sealed.pdf',
    { onRequest: managers, schema: { params: PackageParamsSchema, response: { 200: PdfResponse } } },
    async (request, reply) =>
      sendInlinePdf(reply, await sealing.sealedPdf(memberSessionOf(request), request.params.id)),
  )

  app.get(
    '/api/signings/:id/certificate.pdf',
    { onRequest: managers, schema: { params: PackageParamsSchema, response: { 200: PdfResponse } } },
    async (request, reply) =>
      sendInlinePdf(reply, await sealing.certificatePdf(memberSessionOf(request), request.params.id)),
  )

  app.get(
    '/api/admin/seal-certificate',
    { onRequest: requireRole('admin'), schema: { response: { 200: SealCertificateViewSchema } } },
    async (request) => sealCertificates.describe(memberSessionOf(request).workspace.id),
  )

  app.put(
    '/api/admin/seal-certificate',
    {
      onRequest: requireRole('admin'),
      schema: { body: SealCertificateUploadBodySchema, response: { 200: SealCertificateViewSchema } },
    },
    async (request) =>
      sealCertificates.upload(
        memberSessionOf(request),
        Buffer.from(request.body.p12_base64, 'base64'),
        request.body.password,
        originOf(request),
      ),
  )

  app.delete(
    '/api/admin/seal-certificate',
    { onRequest: requireRole('admin'), schema: { response: { 200: SealCertificateViewSchema } } },
    async (request) => sealCertificates.remove(memberSessionOf(request), originOf(request)),
  )

  app.get(
    '/api/signing-settings',
    { onRequest: managers, schema: { response: { 200: OwnershipPolicySchema } } },
    async (request) => manager.getPolicy(memberSessionOf(request)),
  )

  app.put(
    '/api/signing-settings',
    {
      onRequest: requireRole('admin'),
      schema: { body: PolicyBodySchema, response: { 200: OwnershipPolicySchema } },
    },
    async (request) => manager.updatePolicy(memberSessionOf(request), request.body, originOf(request)),
  )

  // ---------------------------------------------------------------- signer side

  app.post(
    '/api/signing-links/open',
    { schema: { body: OpenLinkBodySchema, response: { 200: OpenLinkResponseSchema } } },
    async (request, reply) => {
      const opened = await signerFlow.openLink(request.body.token, originOf(request))
      reply.setCookie(SESSION_COOKIE, opened.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: options.isSecureOrigin,
        expires: opened.expiresAt,
      })
      return { signing_id: opened.signingId }
    },
  )

  app.get(
    '/api/signer/signing',
    { onRequest: requireSession, schema: { response: { 200: SignerFlowSchema } } },
    async (request) => signerFlow.flow(signerSessionOf(request)),
  )

  app.get(
    '/api/signer/signing/documents/:documentId',
    {
      onRequest: requireSession,
      schema: { params: SignerDocumentParamsSchema, response: { 200: SignerDocumentSchema } },
    },
    async (request) => {
      const document = await signerFlow.document(signerSessionOf(request), request.params.documentId)
      return {
        id: document.id,
        position: document.position,
        title: document.title,
        kind: document.kind,
        sha256: document.sha256,
        markdown: document.markdown,
        // The bytes are served by the route below, shown in a frame: no base64 in JSON.
        pdf_url: document.kind === 'pdf' ? signerPdfPath(document.id) : null,
      }
    },
  )

  app.get(
    '/api/signer/signing/documents/:documentId/pdf',
    {
      onRequest: requireSession,
      schema: { params: SignerDocumentParamsSchema, response: { 200: PdfResponse } },
      // No viewer needs a HEAD; the route answers the bytes or nothing.
      exposeHeadRoute: false,
    },
    async (request, reply) => {
      const document = await signerFlow.document(signerSessionOf(request), request.params.documentId, {
        requirePdf: true,
      })
      return sendInlinePdf(reply, document)
    },
  )

  // Loading a document records nothing; the signer's "I have read this document" does.
  app.post(
    '/api/signer/signing/documents/:documentId/reviewed',
    {
      onRequest: requireSession,
      schema: { params: SignerDocumentParamsSchema, response: { 200: SignerFlowSchema } },
    },
    async (request) =>
      signerFlow.confirmReviewed(signerSessionOf(request), request.params.documentId, originOf(request)),
  )

  app.get(
    '/api/signer/signing/sealed.pdf',
    { onRequest: requireSession, schema: { response: { 200: PdfResponse } } },
    async (request, reply) => sendInlinePdf(reply, await sealing.signerSealedPdf(signerSessionOf(request))),
  )

  app.post(
    '/api/signer/signing/bank/link-started',
    { onRequest: requireSession, schema: { body: LinkStartedBodySchema, response: { 204: NoContent } } },
    async (request, reply) => {
      await signerFlow.recordBankLinkStarted(
        signerSessionOf(request),
        request.body.link_session_id,
        originOf(request),
      )
      return reply.status(204).send()
    },
  )

  app.post(
    '/api/signer/signing/bank/account',
    {
      onRequest: requireSession,
      schema: { body: ChooseAccountBodySchema, response: { 200: SignerFlowSchema } },
    },
    async (request) =>
      signerFlow.choosePayoutAccount(signerSessionOf(request), request.body, originOf(request)),
  )

  app.post(
    '/api/signer/signing/sign',
    {
      onRequest: requireSession,
      bodyLimit: SIGN_BODY_LIMIT_BYTES,
      schema: { body: SignBodySchema, response: { 200: SignerFlowSchema } },
    },
    async (request) => signerFlow.sign(signerSessionOf(request), request.body, originOf(request)),
  )
}

/** The JSON body as it is, or the multipart upload as a PDF or Markdown document. */
function documentInputOf(
  request: FastifyRequest,
  body: { title: string } & (
    | { kind: 'markdown'; markdown: string }
    | { kind: 'pdf'; pdf_base64: string }
    | { file: string }
  ),
): DocumentInput {
  if (!('file' in body)) return body
  const upload = uploads.get(request)
  if (!upload) {
    throw new AppError('VALIDATION_FAILED', 'body.file must be a file part of the form.', {
      details: { field: 'body.file', rule: 'required' },
    })
  }
  if (upload.bytes.subarray(0, 5).toString('latin1') === '%PDF-') {
    return { title: body.title, kind: 'pdf', pdf: new Uint8Array(upload.bytes) }
  }
  const isMarkdown = /\.(md|markdown)$/i.test(upload.filename) || upload.mimetype === 'text/markdown'
  if (isMarkdown) {
    const markdown = upload.bytes.toString('utf8')
    if (
      !markdown.isWellFormed() ||
      markdown.includes('\u0000') ||
      markdown.includes('\uFFFD') ||
      markdown.trim() === ''
    ) {
      throw new AppError('VALIDATION_FAILED', 'body.file is not a UTF-8 Markdown text.', {
        details: { field: 'body.file', rule: 'markdown' },
      })
    }
    return { title: body.title, kind: 'markdown', markdown }
  }
  throw new AppError(
    'VALIDATION_FAILED',
    'body.file is neither a PDF (starting with %PDF-) nor a Markdown file (.md).',
    { details: { field: 'body.file', rule: 'pdf' } },
  )
}

export type VerifyRoutesOptions = { sealing: SealingService }

/** Largest file POST /api/verify accepts: the largest sealed package we could have made. */
export const VERIFY_BODY_LIMIT_BYTES = 25 * 1024 * 1024

/**
 * POST /api/verify, public and rate limited, with its own parser for `application/pdf` (kept as
 * bytes: the check is on exactly what was sent). Its own plugin so no other route accepts raw PDFs.
 */
export const verifyRoutes: FastifyPluginAsyncTypebox<VerifyRoutesOptions> = async (app, { sealing }) => {
  app.addContentTypeParser(
    'application/pdf',
    { parseAs: 'buffer', bodyLimit: VERIFY_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  )
  app.post(
    '/api/verify',
    {
      bodyLimit: VERIFY_BODY_LIMIT_BYTES,
      schema: { response: { 200: VerifyResultSchema } },
      config: {
        rateLimit: { max: 20, timeWindow: 60_000, keyGenerator: (request) => `verify:${request.ip}` },
      },
    },
    async (request) => {
      if (!Buffer.isBuffer(request.body)) {
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send the PDF itself with Content-Type: application/pdf.',
        )
      }
      return sealing.verify(request.body)
    },
  )
}
