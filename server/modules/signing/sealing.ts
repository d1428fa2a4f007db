import { createHash, randomBytes } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import { auditEvent, signingChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { MemberSession, SignerSession } from '../auth/service.ts'
import type { AuditTrail, createAuditTrailService } from './audit-trail.ts'
import { timestampRequest, timestampTokenOf, verifyDetachedCms } from './cms.ts'
import type { SigningManagerService } from './manager-service.ts'
import * as repository from './repository.ts'
import type { SealCertificateService } from './seal-certificate.ts'
import type { CertificateLine } from './seal-pdf.ts'
import type { PackageView } from './views.ts'

/**
 * The PDF stack (pdf-lib, fontkit with its fonts, @signpdf) is about 60 MB resident and a good part of
 * the server's start-up (ADRs 0024, 0026): it is loaded when the first package is sealed or its
 * certificate drawn, not when the server starts.
 */
const loadSealPdf = () => import('./seal-pdf.ts')

export type SealingService = ReturnType<typeof createSealingService>

export type SealOutcome = { status: 'sealed' | 'already_sealed' | 'not_complete'; sha256: string | null }

/**
 * Seals completed packages (the `signing-seal` job) and serves and verifies the sealed PDFs.
 *
 * Idempotent by construction: the PDF is built and signed outside any transaction, then stored with
 * its `signing.sealed` event in one transaction that holds the package row lock and inserts the one
 * `signing_seals` row the package may have. A retry after a crash, or a second worker at the same
 * moment, finds the row and stores nothing: one sealed PDF, one event.
 */
export function createSealingService(deps: {
  db: Database
  audit: AuditService
  manager: SigningManagerService
  auditTrail: Pick<ReturnType<typeof createAuditTrailService>, 'trailOf'>
  certificates: SealCertificateService
  /** SEAL_TSA_URL: an RFC 3161 timestamp authority; null = no timestamp. */
  tsaUrl?: string | null
  logger: FastifyBaseLogger
  now?: () => Date
  /** Test hook: runs inside the storing transaction, before it commits (a crash there rolls back). */
  beforeCommit?: (packageId: string) => Promise<void>
}) {
  /** After the seal committed, once per package: tell the signers (e-mail), never failing the job. */
  async function afterSealed(packageId: string, sha256: string) {
    try {
      await deps.manager.sendCompletionLinks(packageId, sha256)
    } catch (error) {
      deps.logger.warn({ signing_id: packageId, err: error }, 'could not send the completion e-mails')
    }
  }

  const { db } = deps
  const now = deps.now ?? (() => new Date())

  async function certificateOf(signing: PackageView) {
    const [trail, workspaceName] = await Promise.all([
      deps.auditTrail.trailOf(signing),
      repository
        .findPackageById(db, signing.id)
        .then((pkg) => (pkg ? repository.findWorkspaceName(db, pkg.workspaceId) : '')),
    ])
    return { trail, workspaceName }
  }

  async function build(signing: PackageView, options: { certificateOnly: boolean }) {
    const [documents, fields, signatures, { trail, workspaceName }] = await Promise.all([
      options.certificateOnly ? [] : repository.listDocumentContents(db, signing.id),
      repository.listPackageFields(db, signing.id),
      repository.listPackageSignatures(db, signing.id),
      certificateOf(signing),
    ])
    const { buildSealPdf } = await loadSealPdf()
    return buildSealPdf({
      packageId: signing.id,
      title: signing.title,
      documents,
      fields,
      signatures,
      certificate: certificateLines(signing, trail, workspaceName, signatures),
    })
  }

  /** Asks the TSA to stamp the signature value; any failure fails this sealing attempt (it is retried). */
  async function timestamp(signatureValue: Buffer): Promise<Buffer> {
    const nonce = randomBytes(8)
    const response = await fetch(deps.tsaUrl as string, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body: new Uint8Array(timestampRequest(signatureValue, nonce)),
      signal: AbortSignal.timeout(10_000),
    })
    if (!response.ok) throw new Error(`the timestamp authority answered ${response.status}`)
    return timestampTokenOf(Buffer.from(await response.arrayBuffer()), signatureValue, nonce).token
  }

  async function seal(packageId: string): Promise<SealOutcome> {
    const pkg = await repository.findPackageById(db, packageId)
    if (pkg?.status !== 'complete') return { status: 'not_complete', sha256: null }
    const existing = await repository.findSeal(db, packageId)
    if (existing) return { status: 'already_sealed', sha256: existing.sha256 }
    const signing = await deps.manager.systemView(packageId)
    if (!signing) return { status: 'not_complete', sha256: null }
    const key = await deps.certificates.signingKey(pkg.workspaceId)
    const sealedAt = now()
    const built = await build(signing, { certificateOnly: false })
    const { signSealPdf } = await loadSealPdf()
    const pdf = await signSealPdf(built.document, key, {
      reason: `Sealed by Safeclose: ${signing.title}`.slice(0, 200),
      location: 'Safeclose',
      name: 'Safeclose',
      signingTime: sealedAt,
      ...(deps.tsaUrl ? { timestamp } : {}),
    })
    const sha256 = createHash('sha256').update(pdf).digest('hex')
    const certificateFingerprint = createHash('sha256').update(key.certificateDer).digest('hex')
    const outcome = await db.transaction(async (tx) => {
      await repository.lockPackage(tx, packageId)
      const raced = await repository.findSeal(tx, packageId)
      if (raced) return { status: 'already_sealed' as const, sha256: raced.sha256 }
      await repository.insertSeal(tx, {
        packageId,
        pdf: new Uint8Array(pdf),
        sha256,
        byteSize: pdf.length,
        pageCount: built.pageCount,
        certificatePageCount: built.certificatePageCount,
        certificateSha256: certificateFingerprint,
        sealedAt,
        details: { document_pages: built.documentPageCount, certificate_source: key.source },
      })
      await deps.audit.record(
        auditEvent('system', 'signing.sealed', {
          chain: signingChain({ id: packageId, workspaceId: pkg.workspaceId }),
          subject: { type: 'signing', id: packageId },
          details: {
            sha256,
            size: pdf.length,
            pages: built.pageCount,
            document_pages: built.documentPageCount,
            certificate_pages: built.certificatePageCount,
            certificate_sha256_fingerprint: certificateFingerprint,
            sub_filter: 'ETSI.CAdES.detached',
            timestamped: Boolean(deps.tsaUrl),
          },
        }),
        tx,
      )
      await deps.beforeCommit?.(packageId)
      deps.logger.info({ signing_id: packageId, sha256, pages: built.pageCount }, 'signing package sealed')
      return { status: 'sealed' as const, sha256 }
    })
    if (outcome.status === 'sealed') await afterSealed(packageId, sha256)
    return outcome
  }

  async function sealedPdfOf(packageId: string) {
    const pdf = await repository.findSealPdf(db, packageId)
    if (!pdf) {
      throw new AppError(
        'CONFLICT',
        'This package is not sealed yet: the sealed PDF is made when the last signer has signed.',
      )
    }
    return pdf
  }

  return {
    seal,

    /** The sealed PDF for a manager of the package's workspace; 409 until it exists. */
    async sealedPdf(session: MemberSession, packageId: string) {
      const signing = await deps.manager.view(session, packageId)
      return { title: `${signing.title} (sealed)`, pdf: await sealedPdfOf(signing.id) }
    },

    /** The sealed PDF for a signer of the package, once it exists. */
    async signerSealedPdf(session: SignerSession) {
      const packageId = await repository.findSignerPackageId(db, session.signer.id)
      const pkg = packageId && (await repository.findPackage(db, session.workspace.id, packageId))
      if (!pkg) throw new AppError('NOT_FOUND', 'This signing package no longer exists.')
      return { title: `${pkg.title} (sealed)`, pdf: await sealedPdfOf(pkg.id) }
    },

    /**
     * The certificate of completion as PDF: the certificate pages of the sealed PDF once sealed
     * (what was signed), otherwise rendered from the current state of the package.
     */
    async certificatePdf(session: MemberSession, packageId: string) {
      const signing = await deps.manager.view(session, packageId)
      const seal = await repository.findSeal(db, signing.id)
      const { PDFDocument } = await import('pdf-lib')
      const out = await PDFDocument.create()
      if (seal) {
        const sealed = await PDFDocument.load(await sealedPdfOf(signing.id), { updateMetadata: false })
        const first = seal.pageCount - seal.certificatePageCount
        const indices = Array.from({ length: seal.certificatePageCount }, (_, index) => first + index)
        for (const page of await out.copyPages(sealed, indices)) out.addPage(page)
      } else {
        const built = await build(signing, { certificateOnly: true })
        for (const page of await out.copyPages(built.document, built.document.getPageIndices()))
          out.addPage(page)
      }
      out.setTitle(`Certificate of completion: ${signing.title}`)
      return { title: `${signing.title} certificate`, pdf: await out.save() }
    },

    /**
     * Is this file a sealed package of ours, unchanged? Valid only when its SHA-256 is a recorded
     * seal's and its embedded signature verifies with the certificate that sealed it.
     */
    async verify(bytes: Buffer) {
      const sha256 = createHash('sha256').update(bytes).digest('hex')
      const seal = await repository.findSealBySha256(db, sha256)
      if (!seal) {
        return {
          valid: false as const,
          reason: 'This file is not a PDF sealed by Safeclose, or it was changed after sealing.',
        }
      }
      const signature = extractSignature(bytes)
      if (!signature) return { valid: false as const, reason: 'The file has no readable PDF signature.' }
      const verification = verifyDetachedCms(signature.cms, signature.signedContent)
      if (!verification.isValid) return { valid: false as const, reason: verification.reason }
      const fingerprint = createHash('sha256').update(verification.certificate.raw).digest('hex')
      if (fingerprint !== seal.certificateSha256) {
        return {
          valid: false as const,
          reason: 'The file was signed with a certificate other than the seal.',
        }
      }
      const signers = await repository.listSigners(db, seal.packageId, now())
      return {
        valid: true as const,
        signing_id: seal.packageId,
        sealed_at: seal.sealedAt.toISOString(),
        sha256,
        signers: signers.map((signer) => ({
          name: signer.legalName,
          signed_at: signer.signedAt ? signer.signedAt.toISOString() : null,
        })),
      }
    },
  }
}

/** The signature of a signed PDF: its CMS bytes and the byte ranges it covers. */
export function extractSignature(pdf: Buffer): { cms: Buffer; signedContent: Buffer } | null {
  const text = pdf.toString('latin1')
  const matches = [...text.matchAll(/\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g)]
  const last = matches.at(-1)
  if (!last) return null
  const [start, firstLength, secondStart, secondLength] = last.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ]
  if (start !== 0 || secondStart + secondLength !== pdf.length || firstLength >= secondStart) return null
  const hex = text.slice(firstLength, secondStart).replace(/^</, '').replace(/>$/, '')
  if (!/^[0-9a-fA-F]*$/.test(hex)) return null
  return {
    cms: Buffer.from(hex.replace(/(00)+$/, ''), 'hex'),
    signedContent: Buffer.concat([
      pdf.subarray(0, firstLength),
      pdf.subarray(secondStart, secondStart + secondLength),
    ]),
  }
}

const VERDICT_LABELS: Record<string, string> = {
  verified: 'Verified owner',
  needs_review: 'Needs review',
  mismatch: 'Mismatch',
}

/** The facts of the HTML certificate, as lines for the certificate pages. */
export function certificateLines(
  signing: PackageView,
  trail: AuditTrail,
  workspaceName: string,
  signatures: repository.SignatureRow[],
): CertificateLine[] {
  const lines: CertificateLine[] = []
  const or = (value: string | number | null | undefined) =>
    value === null || value === undefined ? '—' : String(value)
  lines.push({ text: 'Certificate of completion', style: 'title' })
  lines.push({ text: `${signing.title} · ${workspaceName}` })
  lines.push({ text: `Package ${signing.id}`, style: 'small' })
  lines.push({
    text: `Status: ${signing.status} · created ${signing.created_at} · activated ${or(signing.activated_at)} · completed ${or(signing.completed_at)}`,
  })
  lines.push(
    trail.verification.is_valid
      ? { text: `Audit trail intact: ${trail.verification.event_count} events, every hash verified.` }
      : {
          text: `Audit trail BROKEN at event ${or(trail.verification.first_broken_sequence)}: the record was altered.`,
        },
  )
  lines.push({ text: `Final hash ${or(trail.verification.last_hash)}`, style: 'mono' })
  lines.push({ space: 10 }, { text: 'Documents', style: 'heading' })
  for (const document of signing.documents) {
    const pages = document.page_count
      ? `, ${document.page_count} page${document.page_count === 1 ? '' : 's'}`
      : ''
    lines.push({
      text: `${document.position}. ${document.title} (${document.kind}${pages}, ${document.byte_size} bytes)`,
    })
    lines.push({ text: `SHA-256 ${document.sha256}`, style: 'mono', indent: 12 })
  }
  lines.push({ space: 10 }, { text: 'Signers', style: 'heading' })
  for (const signer of signing.signers) {
    lines.push({ space: 4 }, { text: `${signer.legal_name} <${signer.email}>` })
    if (signer.signature) {
      lines.push({ text: `Signed ${or(signer.signed_at)} as "${signer.signature.typed_name}"`, indent: 12 })
      lines.push({
        text: `IP ${or(signer.signature.ip_address)} · ${or(signer.signature.user_agent)}`,
        style: 'small',
        indent: 12,
      })
    } else {
      lines.push({ text: `Status: ${signer.status}`, indent: 12 })
    }
    for (const adopted of signatures.filter((row) => row.signerId === signer.id)) {
      const what = adopted.kind === 'signature' ? 'Signature' : 'Initials'
      const how = adopted.method === 'drawn' ? 'drawn image' : `typed "${adopted.typedText ?? ''}"`
      lines.push({ text: `${what}: ${how}, SHA-256 ${adopted.sha256}`, style: 'small', indent: 12 })
    }
    const bank = signer.bank
    if (bank) {
      const mask = bank.account_mask ? ` ••${bank.account_mask}` : ''
      lines.push({
        text: `Payout account: ${bank.institution_name ?? 'Bank'} · ${bank.account_name}${mask}`,
        indent: 12,
      })
      lines.push({
        text: `Ownership: ${VERDICT_LABELS[bank.verdict] ?? bank.verdict} (name score ${or(bank.name_score)}, e-mail score ${or(bank.email_score)}) · Item status ${or(bank.item_status)} · verified ${bank.verified_at}`,
        style: 'small',
        indent: 12,
      })
      const review = bank.review
      if (review) {
        const reviewer = review.reviewer
          ? `${review.reviewer.name} <${review.reviewer.email}>`
          : 'a deleted user'
        lines.push({
          text: `Manager review: ${review.decision === 'accept' ? 'Accepted' : 'Rejected'} by ${reviewer} at ${review.reviewed_at}: "${review.note}"`,
          style: 'small',
          indent: 12,
        })
      }
    } else {
      lines.push({
        text: `Payout account: ${signer.bank_required ? 'not verified' : 'not required'}`,
        style: 'small',
        indent: 12,
      })
    }
  }
  lines.push(...payoutInstructionLines(trail))
  lines.push({ space: 10 }, { text: 'Audit trail', style: 'heading' })
  for (const event of trail.events) {
    const actor = event.actor ? (event.actor.email ?? event.actor.user_id ?? event.actor.signer_id) : 'system'
    lines.push(
      { space: 3 },
      {
        text: `#${event.sequence} ${event.occurred_at} · ${event.action} · ${or(actor)} · IP ${or(event.ip_address)}`,
      },
    )
    lines.push({ text: `hash ${event.hash}`, style: 'mono', indent: 12 })
    const details = JSON.stringify(event.details)
    lines.push({
      text: details.length > 700 ? `${details.slice(0, 700)}…` : details,
      style: 'small',
      indent: 12,
    })
  }
  return lines
}

/**
 * "Verified payout instructions": each signer's payout instruction as frozen in the chain when the
 * package completed (`payout.instruction_locked`): what the closing team may rely on when it sends
 * funds, and the reference a payout alert is measured against. Masks only, never a number.
 */
export function payoutInstructionLines(trail: AuditTrail): CertificateLine[] {
  const locked = trail.events.filter((event) => event.action === 'payout.instruction_locked')
  if (locked.length === 0) return []
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : '—')
  const lines: CertificateLine[] = [{ space: 10 }, { text: 'Verified payout instructions', style: 'heading' }]
  lines.push({
    text: 'Frozen when the package completed. Any later change to these accounts raises a payout alert on the package.',
    style: 'small',
  })
  for (const event of locked) {
    const details = event.details as Record<string, unknown>
    const holders = Array.isArray(details.holder_names)
      ? (details.holder_names as unknown[]).map(text).join(', ')
      : ''
    const account = `${text(details.institution_name)} · ${text(details.account_name)} ••${text(details.account_mask)}`
    const routing = details.routing_mask ? ` · routing ••${text(details.routing_mask)}` : ''
    lines.push({ space: 4 }, { text: `${text(details.signer_name)}: ${account}${routing}` })
    lines.push({
      text: `Holders: ${holders || '—'} · verified ${text(details.verified_at)} by ${text(details.verification_method)} · ownership ${VERDICT_LABELS[String(details.verdict)] ?? text(details.verdict)}`,
      style: 'small',
      indent: 12,
    })
    const review = details.review as
      | { decision?: string; note?: string; reviewed_at?: string }
      | null
      | undefined
    if (review?.decision) {
      lines.push({
        text: `Manager review: ${review.decision === 'accept' ? 'Accepted' : 'Rejected'} at ${text(review.reviewed_at)}: "${text(review.note)}"`,
        style: 'small',
        indent: 12,
      })
    }
  }
  return lines
}
