import { fieldView, signerFieldView } from './fields.ts'
import type * as repository from './repository.ts'
import type { FieldRow, PackageRow, SealSummary, SignerRow } from './repository.ts'
import {
  accountVerificationOf,
  isAcceptanceRequired,
  type OwnershipPolicy,
  type SignerStep,
} from './rules.ts'

/** Why a micro-deposit account is "needs review" without a score (ADR 0018). */
export const MICRO_DEPOSIT_REVIEW_REASON =
  'Verified with micro-deposits: Plaid has no account-holder data for this account, so nothing ties it ' +
  "to the signer's name. A manager must accept it (after checking with the signer) before it is used."

/** API shapes (snake_case JSON) built from repository rows; the only place they are assembled. */

export function documentView(document: repository.DocumentSummary) {
  return {
    id: document.id,
    position: document.position,
    title: document.title,
    kind: document.kind,
    byte_size: document.byteSize,
    sha256: document.sha256,
    page_count: document.kind === 'pdf' ? document.pageCount : null,
  }
}

/** Where managers download a package's sealed PDF and its certificate of completion as PDF. */
export function sealedPdfPath(packageId: string): string {
  return `/api/signings/${encodeURIComponent(packageId)}/sealed.pdf`
}
export const SIGNER_SEALED_PDF_PATH = '/api/signer/signing/sealed.pdf'

function managerPdfPath(packageId: string, documentId: string): string {
  return `/api/signings/${encodeURIComponent(packageId)}/documents/${encodeURIComponent(documentId)}/pdf`
}

function acceptanceInput(bank: repository.BankVerification) {
  return { verificationStatus: bank.accountVerificationStatus, nameScore: bank.nameScore }
}

/** The account and its scores as both sides see them; the review differs (see below). */
function bankBaseView(bank: repository.BankVerification) {
  return {
    item_id: bank.plaidItemId,
    item_status: bank.itemStatus,
    /** Plaid's verification_status of the account (null: instant Auth). */
    account_verification_status: bank.accountVerificationStatus,
    /** verified, pending_manual (Same-Day: confirm the code in Link), pending_automatic, failed. */
    verification: accountVerificationOf(bank.accountVerificationStatus),
    acceptance_required: isAcceptanceRequired(acceptanceInput(bank)),
    verdict_reason: isAcceptanceRequired(acceptanceInput(bank)) ? MICRO_DEPOSIT_REVIEW_REASON : null,
    institution_name: bank.institutionName,
    account_name: bank.accountName,
    account_mask: bank.accountMask,
    verdict: bank.verdict,
    name_score: bank.nameScore,
    email_score: bank.emailScore,
    verified_at: bank.verifiedAt.toISOString(),
  }
}

/** The manager's view: the account, its scores and the review with who, when and the note. */
export function bankView(bank: repository.BankVerification | null) {
  if (!bank) return null
  return { ...bankBaseView(bank), review: reviewView(bank.review) }
}

export function reviewView(review: repository.OwnershipReview | null) {
  if (!review) return null
  return {
    decision: review.decision,
    note: review.note,
    reviewed_at: review.reviewedAt.toISOString(),
    reviewer: review.reviewer
      ? { user_id: review.reviewer.id, name: review.reviewer.name, email: review.reviewer.email }
      : null,
  }
}

/** The signer's view: only the decision; the note and the reviewer are the sender's internal record. */
function signerBankView(bank: repository.BankVerification | null) {
  if (!bank) return null
  return {
    ...bankBaseView(bank),
    review: bank.review
      ? { decision: bank.review.decision, reviewed_at: bank.review.reviewedAt.toISOString() }
      : null,
  }
}

export function policyView(policy: OwnershipPolicy) {
  return {
    verified_name_score: policy.verifiedNameScore,
    review_name_score: policy.reviewNameScore,
    match_required: policy.isMatchRequired,
  }
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null
}

export function managerSignerView(signer: SignerRow) {
  return {
    id: signer.id,
    position: signer.position,
    legal_name: signer.legalName,
    email: signer.email,
    bank_required: signer.isBankRequired,
    status: signer.status,
    opened_at: iso(signer.openedAt),
    signed_at: iso(signer.signedAt),
    signature:
      signer.signedAt && signer.signatureName
        ? {
            typed_name: signer.signatureName,
            ip_address: signer.signatureIpAddress,
            user_agent: signer.signatureUserAgent,
          }
        : null,
    link_expires_at: iso(signer.linkExpiresAt),
    bank: bankView(signer.bank),
  }
}

export function packageView(
  pkg: PackageRow,
  documents: repository.DocumentSummary[],
  signers: SignerRow[],
  policy: OwnershipPolicy,
  fields: FieldRow[] = [],
  seal: SealSummary | null = null,
) {
  return {
    id: pkg.id,
    title: pkg.title,
    note: pkg.note,
    status: pkg.status,
    cancel_reason: pkg.cancelReason,
    created_at: pkg.createdAt.toISOString(),
    activated_at: iso(pkg.activatedAt),
    completed_at: iso(pkg.completedAt),
    cancelled_at: iso(pkg.cancelledAt),
    documents: documents.map((document) => ({
      ...documentView(document),
      pdf_url: document.kind === 'pdf' ? managerPdfPath(pkg.id, document.id) : null,
      fields: fields.filter((field) => field.documentId === document.id).map(fieldView),
    })),
    signers: signers.map(managerSignerView),
    policy: policyView(policy),
    seal: seal
      ? {
          sha256: seal.sha256,
          size: seal.byteSize,
          pages: seal.pageCount,
          sealed_at: seal.sealedAt.toISOString(),
          download_url: sealedPdfPath(pkg.id),
        }
      : null,
    certificate_pdf_url: `/api/signings/${encodeURIComponent(pkg.id)}/certificate.pdf`,
  }
}

export type PackageView = ReturnType<typeof packageView>

export function signerFlowView(input: {
  pkg: PackageRow
  workspaceName: string
  signer: SignerRow
  documents: repository.DocumentSummary[]
  viewed: Set<string>
  policy: OwnershipPolicy
  step: SignerStep
  fields?: FieldRow[]
  seal?: SealSummary | null
}) {
  const { pkg, signer } = input
  return {
    signing: { id: pkg.id, title: pkg.title, note: pkg.note, status: pkg.status },
    workspace_name: input.workspaceName,
    signer: {
      id: signer.id,
      legal_name: signer.legalName,
      email: signer.email,
      status: signer.status,
      bank_required: signer.isBankRequired,
      signed_at: iso(signer.signedAt),
    },
    documents: input.documents.map((document) => ({
      ...documentView(document),
      viewed: input.viewed.has(document.id),
      // Only this signer's fields: another signer's boxes are not theirs to see or fill.
      fields: (input.fields ?? [])
        .filter((field) => field.documentId === document.id && field.signerId === signer.id)
        .map(signerFieldView),
    })),
    bank: signerBankView(signer.bank),
    match_required: input.policy.isMatchRequired,
    step: input.step,
    seal: input.seal
      ? {
          sha256: input.seal.sha256,
          sealed_at: input.seal.sealedAt.toISOString(),
          download_url: SIGNER_SEALED_PDF_PATH,
        }
      : null,
  }
}

export type SignerFlowView = ReturnType<typeof signerFlowView>
