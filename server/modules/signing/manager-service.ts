import { createHash } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database, Queryable } from '../../../db/client.ts'
import type { ItemStatus, OwnershipReviewDecision, PackageStatus } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import type { AuditService } from '../audit/service.ts'
import type { AuthService, MemberSession, RequestOrigin } from '../auth/service.ts'
import type { Outbox } from '../email/outbox.ts'
import { signingCompletedEmail, signingInvitationEmail } from '../email/templates.ts'
import { type FieldInput, fieldView, MAX_FIELDS_PER_DOCUMENT, validateFields } from './fields.ts'
import { newLinkToken, signingUrl } from './links.ts'
import { payoutPackageView } from './payout-service.ts'
import { inspectPdf } from './pdf-inspect.ts'
import * as repository from './repository.ts'
import {
  canTransition,
  DEFAULT_OWNERSHIP_POLICY,
  isBankStepComplete,
  isOwnershipReviewable,
  type OwnershipPolicy,
} from './rules.ts'
import { type PackageView, packageView, policyView } from './views.ts'

/** Largest document (Markdown text or PDF bytes) a package may hold. */
export const MAX_DOCUMENT_BYTES = 25 * 1024 * 1024
/** Largest document sent as base64 inside a JSON body; larger ones go as multipart/form-data. */
export const MAX_JSON_DOCUMENT_BYTES = 2 * 1024 * 1024

export type DocumentInput =
  | { title: string; kind: 'markdown'; markdown: string }
  | { title: string; kind: 'pdf'; pdf_base64: string }
  | { title: string; kind: 'pdf'; pdf: Uint8Array }

export type OwnershipReviewInput = {
  decision: OwnershipReviewDecision
  note: string
  /** The verification the manager looked at (its `verified_at`); a newer one is not theirs to judge. */
  verified_at?: string
}

const VERDICT_NAMES = { verified: 'verified', needs_review: 'needs review', mismatch: 'mismatch' } as const

export type Invitation = {
  signer_id: string
  email: string
  expires_at: string
  /** True when the invitation went out by e-mail; then the link is not shown to the manager. */
  emailed: boolean
  /** The signing link to hand over yourself; null once it was e-mailed. */
  url: string | null
}

export type SigningDeps = {
  db: Database
  audit: AuditService
  auth: AuthService
  outbox: Outbox
  publicUrl: string
  linkTtlHours: number
  logger: FastifyBaseLogger
  now?: () => Date
  /** Where the sealing job of a completed package is queued. */
  jobs?: JobQueue
  /** The seal's certificate: activation is refused while it is expired (the package could not be sealed). */
  sealCertificates?: {
    describe(workspaceId: string): Promise<{ expired: boolean; not_after: string; source: string }>
  }
}

export function chainKeyOf(packageId: string): string {
  return `signing:${packageId}`
}

export async function ownershipPolicyOf(db: Queryable, workspaceId: string): Promise<OwnershipPolicy> {
  return (await repository.findOwnershipPolicy(db, workspaceId)) ?? DEFAULT_OWNERSHIP_POLICY
}

export type SigningManagerService = ReturnType<typeof createSigningManagerService>

/** What managers and administrators do with packages of their workspace. */
export function createSigningManagerService(deps: SigningDeps) {
  const { db, audit } = deps
  const now = deps.now ?? (() => new Date())

  function event(
    session: MemberSession,
    origin: RequestOrigin,
    packageId: string,
    action: string,
    details: Record<string, unknown> = {},
    subject: { type: string; id: string } = { type: 'signing', id: packageId },
  ) {
    return {
      chainKey: chainKeyOf(packageId),
      workspaceId: session.workspace.id,
      actorUserId: session.user.id,
      action,
      subjectType: subject.type,
      subjectId: subject.id,
      details,
      ipAddress: origin.ipAddress,
      userAgent: origin.userAgent,
    }
  }

  async function requirePackage(session: MemberSession, packageId: string) {
    const pkg = await repository.findPackage(db, session.workspace.id, packageId)
    if (!pkg) throw new AppError('NOT_FOUND', 'No such signing package in this workspace.')
    return pkg
  }

  /** Locks the package for a change that is only allowed in `allowed` states (`refusal` says why). */
  async function lockInState(
    tx: Queryable,
    session: MemberSession,
    packageId: string,
    allowed: PackageStatus[],
    refusal = 'that change is not possible now.',
  ) {
    const pkg = await repository.lockPackage(tx, packageId)
    if (!pkg || pkg.workspaceId !== session.workspace.id) {
      throw new AppError('NOT_FOUND', 'No such signing package in this workspace.')
    }
    if (!allowed.includes(pkg.status)) {
      throw new AppError('CONFLICT', `This package is ${pkg.status}; ${refusal}`, {
        details: { status: pkg.status },
      })
    }
    return pkg
  }

  /**
   * An expired sealing certificate would leave every completed package unsealed: refuse to activate.
   * A certificate that cannot be read yet (no encryption key) does not block here; sealing reports it.
   */
  async function requireUsableSealCertificate(workspaceId: string) {
    if (!deps.sealCertificates) return
    let certificate: { expired: boolean; not_after: string; source: string }
    try {
      certificate = await deps.sealCertificates.describe(workspaceId)
    } catch (error) {
      if (error instanceof AppError && error.code === 'ENCRYPTION_KEY_MISSING') return
      throw error
    }
    if (certificate.expired) {
      throw new AppError(
        'CONFLICT',
        `The sealing certificate expired on ${certificate.not_after.slice(0, 10)}, so completed packages could not be sealed. An administrator must configure a valid one${certificate.source === 'configured' ? ' (SEAL_P12_PATH)' : ''} before packages can be activated.`,
        { details: { seal_certificate_not_after: certificate.not_after } },
      )
    }
  }

  async function view(session: MemberSession, packageId: string) {
    return viewOf(await requirePackage(session, packageId))
  }

  /** The package as managers see it, with its payout instructions and alerts. */
  async function viewOf(
    pkg: repository.PackageRow,
  ): Promise<PackageView & Awaited<ReturnType<typeof payoutPackageView>>> {
    const [documents, signers, policy, fields, seal] = await Promise.all([
      repository.listDocuments(db, pkg.id),
      repository.listSigners(db, pkg.id, now()),
      ownershipPolicyOf(db, pkg.workspaceId),
      repository.listPackageFields(db, pkg.id),
      repository.findSeal(db, pkg.id),
    ])
    return {
      ...packageView(pkg, documents, signers, policy, fields, seal),
      ...(await payoutPackageView(
        db,
        pkg,
        signers.map((signer) => signer.id),
      )),
    }
  }

  /** Issues a fresh link for each signer (revoking older ones) inside `tx`; returns tokens to deliver. */
  async function issueLinks(tx: Queryable, signers: Array<{ id: string }>) {
    const revoked = await repository.revokeLinks(
      tx,
      signers.map((signer) => signer.id),
      now(),
    )
    await deps.auth.endSigningLinkSessions(revoked, tx)
    const expiresAt = new Date(now().getTime() + deps.linkTtlHours * 3_600_000)
    const issued: Array<{ signerId: string; token: string; expiresAt: Date }> = []
    for (const signer of signers) {
      const { token, tokenHash } = newLinkToken()
      await repository.insertLink(tx, { signerId: signer.id, tokenHash, expiresAt })
      issued.push({ signerId: signer.id, token, expiresAt })
    }
    return issued
  }

  /** Delivers links after the commit (SMTP is slow and may fail; the links already exist). */
  async function deliver(
    session: MemberSession,
    origin: RequestOrigin,
    pkg: repository.PackageRow,
    issued: Array<{ signerId: string; token: string; expiresAt: Date }>,
    resent: boolean,
  ): Promise<Invitation[]> {
    const signers = await repository.listSigners(db, pkg.id, now())
    // All messages at once: a slow or silent SMTP server then costs the manager one timeout, not
    // one per signer. The audit events follow in the signers' order, one after another (a chain).
    const deliveries = await Promise.all(
      issued.map(async (link) => {
        const signer = signers.find((candidate) => candidate.id === link.signerId)
        if (!signer) return null
        const url = signingUrl(deps.publicUrl, link.token)
        const emailed = await deps.outbox.send(
          {
            ...signingInvitationEmail({
              to: signer.email,
              signerName: signer.legalName,
              packageTitle: pkg.title,
              senderWorkspace: session.workspace.name,
              signingUrl: url,
              expiresAt: link.expiresAt,
            }),
            kind: 'signer_invitation',
            workspaceIds: [pkg.workspaceId],
          },
          { signing_id: pkg.id, signer_id: signer.id },
        )
        return { link, signer, url, emailed }
      }),
    )
    const invitations: Invitation[] = []
    for (const delivery of deliveries) {
      if (!delivery) continue
      const { link, signer, url, emailed } = delivery
      await audit.record(
        event(
          session,
          origin,
          pkg.id,
          // Without an e-mail the manager hands the link over: the trail says a link was issued.
          emailed
            ? resent
              ? 'signer.invitation_resent'
              : 'signer.invitation_sent'
            : resent
              ? 'signer.link_reissued'
              : 'signer.link_issued',
          {
            email: signer.email,
            delivery: emailed ? 'email' : 'manual',
            expires_at: link.expiresAt.toISOString(),
          },
          { type: 'signer', id: signer.id },
        ),
      )
      invitations.push({
        signer_id: signer.id,
        email: signer.email,
        expires_at: link.expiresAt.toISOString(),
        emailed,
        url: emailed ? null : url,
      })
    }
    return invitations
  }

  return {
    view,

    /** A package's view for system work (the sealing job): no session, so no workspace check. */
    async systemView(packageId: string): Promise<PackageView | null> {
      const pkg = await repository.findPackageById(db, packageId)
      return pkg ? viewOf(pkg) : null
    },

    async list(session: MemberSession) {
      const rows = await repository.listPackages(db, session.workspace.id)
      return {
        signings: rows.map((row) => ({
          id: row.id,
          title: row.title,
          status: row.status,
          created_at: row.createdAt.toISOString(),
          signer_count: row.signerCount,
          signed_count: row.signedCount,
        })),
      }
    },

    async create(
      session: MemberSession,
      input: { title: string; note?: string | null },
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const pkg = await db.transaction(async (tx) => {
        const created = await repository.insertPackage(tx, {
          workspaceId: session.workspace.id,
          title: input.title.trim(),
          note: input.note?.trim() || null,
          createdBy: session.user.id,
        })
        await audit.record(
          event(session, origin, created.id, 'signing.created', { title: created.title }),
          tx,
        )
        return created
      })
      return view(session, pkg.id)
    },

    async addDocument(
      session: MemberSession,
      packageId: string,
      input: DocumentInput,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const content = await documentContent(input)
      await db.transaction(async (tx) => {
        await lockInState(tx, session, packageId, ['draft'])
        await repository.insertDocument(tx, { packageId, title: input.title.trim(), ...content })
        await audit.record(
          event(session, origin, packageId, 'signing.document_added', {
            title: input.title.trim(),
            kind: content.kind,
            byte_size: content.byteSize,
            sha256: content.sha256,
          }),
          tx,
        )
      })
      return view(session, packageId)
    },

    /** The PDF bytes of a document of this workspace's package (any state), for the manager's preview. */
    async documentPdf(session: MemberSession, packageId: string, documentId: string) {
      const pkg = await requirePackage(session, packageId)
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
        await lockInState(tx, session, packageId, ['draft'], 'fields can be placed only on a draft.')
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
          event(session, origin, packageId, 'signing.fields_set', {
            document_id: documentId,
            field_count: saved.length,
            types: [...new Set(saved.map((field) => field.type))].sort(),
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
        await lockInState(tx, session, packageId, ['draft'])
        if (!(await repository.deleteDocument(tx, packageId, documentId))) {
          throw new AppError('NOT_FOUND', 'No such document in this package.')
        }
        await audit.record(
          event(session, origin, packageId, 'signing.document_removed', { document_id: documentId }),
          tx,
        )
      })
      return view(session, packageId)
    },

    async addSigner(
      session: MemberSession,
      packageId: string,
      input: { legal_name: string; email: string; bank_required?: boolean },
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const email = input.email.trim()
      await db.transaction(async (tx) => {
        await lockInState(tx, session, packageId, ['draft'])
        if (await repository.isSignerEmailTaken(tx, packageId, email)) {
          throw new AppError('CONFLICT', 'This package already has a signer with that e-mail address.')
        }
        const signer = await repository.insertSigner(tx, {
          packageId,
          legalName: input.legal_name.trim().replace(/\s+/g, ' '),
          email,
          isBankRequired: input.bank_required ?? true,
        })
        await audit.record(
          event(
            session,
            origin,
            packageId,
            'signing.signer_added',
            { legal_name: input.legal_name.trim(), email, bank_required: input.bank_required ?? true },
            { type: 'signer', id: signer.id },
          ),
          tx,
        )
      })
      return view(session, packageId)
    },

    async removeSigner(
      session: MemberSession,
      packageId: string,
      signerId: string,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      await db.transaction(async (tx) => {
        await lockInState(tx, session, packageId, ['draft'])
        if (!(await repository.deleteSigner(tx, packageId, signerId))) {
          throw new AppError('NOT_FOUND', 'No such signer in this package.')
        }
        await audit.record(
          event(session, origin, packageId, 'signing.signer_removed', {}, { type: 'signer', id: signerId }),
          tx,
        )
      })
      return view(session, packageId)
    },

    async activate(
      session: MemberSession,
      packageId: string,
      origin: RequestOrigin,
    ): Promise<{ signing: PackageView; invitations: Invitation[] }> {
      await requireUsableSealCertificate(session.workspace.id)
      const { pkg, issued } = await db.transaction(async (tx) => {
        const locked = await lockInState(tx, session, packageId, ['draft'])
        const [documentCount, signers] = await Promise.all([
          repository.countDocuments(tx, packageId),
          repository.listSigners(tx, packageId, now()),
        ])
        if (documentCount === 0 || signers.length === 0) {
          throw new AppError('CONFLICT', 'Add at least one document and one signer before activating.')
        }
        await repository.updatePackage(tx, packageId, { status: 'active', activatedAt: now() })
        await audit.record(
          event(session, origin, packageId, 'signing.activated', {
            document_count: documentCount,
            signer_count: signers.length,
          }),
          tx,
        )
        return { pkg: locked, issued: await issueLinks(tx, signers) }
      })
      const invitations = await deliver(session, origin, pkg, issued, false)
      return { signing: await view(session, packageId), invitations }
    },

    /** Replaces a signer's link with a new one (the old one stops working) and delivers it again. */
    async resend(
      session: MemberSession,
      packageId: string,
      signerId: string,
      origin: RequestOrigin,
    ): Promise<{ invitation: Invitation }> {
      const { pkg, issued } = await db.transaction(async (tx) => {
        const locked = await lockInState(tx, session, packageId, ['active'])
        const signer = (await repository.listSigners(tx, packageId, now())).find((row) => row.id === signerId)
        if (!signer) throw new AppError('NOT_FOUND', 'No such signer in this package.')
        if (signer.status === 'signed') throw new AppError('CONFLICT', 'This signer has already signed.')
        return { pkg: locked, issued: await issueLinks(tx, [signer]) }
      })
      const [invitation] = await deliver(session, origin, pkg, issued, true)
      if (!invitation) throw new AppError('INTERNAL', 'The new signing link could not be read back.')
      return { invitation }
    },

    /**
     * A manager's decision on a signer's needs-review or mismatch verdict, stored next to the scores
     * (which stay as they were) and appended to the package's chain. Accepting completes the bank
     * step even where the workspace requires a match; rejecting sends the signer to link another
     * account. One decision per verification, while the package is active and the signer has not signed.
     */
    async reviewOwnership(
      session: MemberSession,
      packageId: string,
      signerId: string,
      input: OwnershipReviewInput,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const note = input.note.trim()
      await db.transaction(async (tx) => {
        await lockInState(
          tx,
          session,
          packageId,
          ['active'],
          'ownership can be reviewed only while it is active.',
        )
        await repository.lockBankVerification(tx, signerId)
        const signer = (await repository.listSigners(tx, packageId, now())).find((row) => row.id === signerId)
        if (!signer) throw new AppError('NOT_FOUND', 'No such signer in this package.')
        if (signer.status === 'signed') {
          throw new AppError(
            'CONFLICT',
            'This signer has already signed; their account can no longer be reviewed.',
          )
        }
        const bank = signer.bank
        if (!bank) {
          throw new AppError(
            'CONFLICT',
            'This signer has not chosen a payout account yet; there is nothing to review.',
          )
        }
        if (!isOwnershipReviewable(bank.verdict)) {
          throw new AppError(
            'CONFLICT',
            `The ownership verdict is ${VERDICT_NAMES[bank.verdict]}; only "needs review" and "mismatch" verdicts are reviewed.`,
            { details: { verdict: bank.verdict } },
          )
        }
        if (bank.review) {
          throw new AppError(
            'CONFLICT',
            `This account was already ${bank.review.decision === 'accept' ? 'accepted' : 'rejected'}; a new review needs a new account from the signer.`,
            { details: { decision: bank.review.decision } },
          )
        }
        if (input.verified_at !== undefined && Date.parse(input.verified_at) !== bank.verifiedAt.getTime()) {
          throw new AppError(
            'CONFLICT',
            'The signer chose another payout account after this page was loaded. Refresh and review the new one.',
          )
        }
        const reviewedAt = now()
        await repository.saveOwnershipReview(tx, signerId, {
          decision: input.decision,
          note,
          reviewedBy: session.user.id,
          reviewedAt,
        })
        if (signer.isBankRequired) {
          // The review decides the bank step whatever the workspace policy (see isBankStepComplete).
          const isComplete = isBankStepComplete({
            bank: {
              itemStatus: bank.itemStatus,
              verdict: bank.verdict,
              review: input.decision,
              verificationStatus: bank.accountVerificationStatus,
              nameScore: bank.nameScore,
            },
            isMatchRequired: true,
          })
          await repository.setBankStepStatus(tx, signerId, isComplete)
        }
        await audit.record(
          event(
            session,
            origin,
            packageId,
            'bank.ownership_reviewed',
            {
              item_id: bank.plaidItemId,
              account_mask: bank.accountMask,
              verdict: bank.verdict,
              name_score: bank.nameScore,
              decision: input.decision,
              note,
            },
            { type: 'signer', id: signerId },
          ),
          tx,
        )
      })
      return view(session, packageId)
    },

    async cancel(
      session: MemberSession,
      packageId: string,
      reason: string,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      await db.transaction(async (tx) => {
        const pkg = await lockInState(tx, session, packageId, ['draft', 'active'])
        if (!canTransition(pkg.status, 'cancelled'))
          throw new AppError('CONFLICT', 'This package cannot be cancelled.')
        const signers = await repository.listSigners(tx, packageId, now())
        const revoked = await repository.revokeLinks(
          tx,
          signers.map((signer) => signer.id),
          now(),
        )
        await deps.auth.endSigningLinkSessions(revoked, tx)
        await repository.updatePackage(tx, packageId, {
          status: 'cancelled',
          cancelReason: reason.trim(),
          cancelledAt: now(),
        })
        await audit.record(
          event(session, origin, packageId, 'signing.cancelled', { reason: reason.trim() }),
          tx,
        )
      })
      return view(session, packageId)
    },

    async getPolicy(session: MemberSession) {
      return policyView(await ownershipPolicyOf(db, session.workspace.id))
    },

    async updatePolicy(
      session: MemberSession,
      input: { verified_name_score: number; review_name_score: number; match_required: boolean },
      origin: RequestOrigin,
    ) {
      if (input.review_name_score > input.verified_name_score) {
        throw new AppError('VALIDATION_FAILED', 'review_name_score must not exceed verified_name_score')
      }
      const policy = {
        verifiedNameScore: input.verified_name_score,
        reviewNameScore: input.review_name_score,
        isMatchRequired: input.match_required,
      }
      await db.transaction(async (tx) => {
        await repository.saveOwnershipPolicy(tx, session.workspace.id, policy)
        await audit.record(
          {
            chainKey: `workspace:${session.workspace.id}`,
            workspaceId: session.workspace.id,
            actorUserId: session.user.id,
            action: 'workspace.signing_policy_updated',
            subjectType: 'workspace',
            subjectId: session.workspace.id,
            details: { ...input },
            ipAddress: origin.ipAddress,
            userAgent: origin.userAgent,
          },
          tx,
        )
      })
      return policyView(policy)
    },

    /**
     * After sealing: sends each signer a fresh personal link to the signed PDF, through the outbox (so
     * without SMTP an admin can hand it over). Their older links stay valid (revoking them would end
     * the sessions of signers waiting on the done page). Each message joins the chain as
     * `signer.completion_sent`. Failures are logged, not thrown.
     */
    async sendCompletionLinks(packageId: string, sealSha256: string) {
      const pkg = await repository.findPackageById(db, packageId)
      if (!pkg) return { sent: 0 }
      const [signers, workspaceName] = await Promise.all([
        repository.listSigners(db, packageId, now()),
        repository.findWorkspaceName(db, pkg.workspaceId),
      ])
      const expiresAt = new Date(now().getTime() + deps.linkTtlHours * 3_600_000)
      const issued = await db.transaction(async (tx) => {
        const links: Array<{ signer: repository.SignerRow; token: string }> = []
        for (const signer of signers) {
          const { token, tokenHash } = newLinkToken()
          await repository.insertLink(tx, { signerId: signer.id, tokenHash, expiresAt })
          links.push({ signer, token })
        }
        return links
      })
      const deliveries = await Promise.all(
        issued.map(async ({ signer, token }) => ({
          signer,
          emailed: await deps.outbox.send(
            {
              ...signingCompletedEmail({
                to: signer.email,
                signerName: signer.legalName,
                packageTitle: pkg.title,
                senderWorkspace: workspaceName,
                signingUrl: signingUrl(deps.publicUrl, token),
                expiresAt,
                sha256: sealSha256,
              }),
              kind: 'notification',
              workspaceIds: [pkg.workspaceId],
            },
            { signing_id: packageId, signer_id: signer.id },
          ),
        })),
      )
      for (const { signer, emailed } of deliveries) {
        await audit.record({
          chainKey: chainKeyOf(packageId),
          workspaceId: pkg.workspaceId,
          actorUserId: null,
          action: 'signer.completion_sent',
          subjectType: 'signer',
          subjectId: signer.id,
          details: { email: signer.email, delivered: emailed, expires_at: expiresAt.toISOString() },
        })
      }
      return { sent: deliveries.filter((delivery) => delivery.emailed).length }
    },

    /**
     * For webhook processing: appends an Item status change to the audit chain of every active
     * package whose signer chose a payout account on this Item. Call it after the new status is
     * stored (the package page reads the live status from plaid_items). `plaidItemId` is Plaid's
     * `item_id`; the actor is Plaid, so there is no user, IP or user agent.
     */
    /**
     * The package trails' side of the `plaid-item-status-changed` job: one `bank.item_status_changed`
     * per signer relying on the Item, appended once per change (`changeKey`) however often it runs.
     */
    async recordItemStatusChange(input: {
      plaidItemId: string
      status: ItemStatus
      webhookCode: string | null
      changeKey: string
    }) {
      const affected = await repository.findActiveSignersByPlaidItem(db, input.plaidItemId)
      const recorded = await db.transaction(async (tx) => {
        let count = 0
        for (const signer of affected) {
          const chainKey = chainKeyOf(signer.packageId)
          if (await audit.hasChangeEvent(chainKey, signer.signerId, input.changeKey, tx)) continue
          count += 1
          await audit.record(
            {
              chainKey,
              workspaceId: signer.workspaceId,
              actorUserId: null,
              action: 'bank.item_status_changed',
              subjectType: 'signer',
              subjectId: signer.signerId,
              details: {
                item_id: input.plaidItemId,
                status: input.status,
                webhook_code: input.webhookCode,
                change_key: input.changeKey,
              },
            },
            tx,
          )
        }
        return count
      })
      return { recorded }
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
