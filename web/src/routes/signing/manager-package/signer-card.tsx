import type { ReactNode } from 'react'
import type { ManagedSigner, OwnershipReviewInput, PackageStatus } from '../../../api/signings.ts'
import { formatDateTime } from '../../../format.ts'
import { SignerStatusBadge } from '../badges.tsx'
import { BankEvidence } from './bank-evidence.tsx'
import { RowButton } from './controls.tsx'
import { OwnershipReviewForm } from './ownership-review.tsx'

/**
 * One signer's progress and evidence; removable in a draft, and given a new link while still to sign.
 * While they have not signed, an account whose holder's name did not clearly match can be reviewed.
 */
export function SignerCard({
  signer,
  packageStatus,
  holderNames,
  linkToHandOver,
  busy,
  onRemove,
  onResend,
  onReview,
}: {
  signer: ManagedSigner
  packageStatus: PackageStatus
  holderNames: string[] | null
  /** A link issued on this page that was not e-mailed: the manager still has to send it. */
  linkToHandOver: boolean
  busy: boolean
  onRemove(): void
  onResend(): void
  onReview(input: OwnershipReviewInput): Promise<boolean>
}) {
  const awaitingSignature = packageStatus === 'active' && signer.status !== 'signed'
  const isReviewable =
    awaitingSignature &&
    signer.bank !== null &&
    signer.bank.review === null &&
    signer.bank.verdict !== 'verified'
  return (
    <li className="signer-card" aria-label={`Signer ${signer.legal_name}`}>
      <div className="card__title-row">
        <span>
          <strong>{signer.legal_name}</strong> <span className="muted">{signer.email}</span>
        </span>
        <SignerStatusBadge signer={signer} linkToHandOver={linkToHandOver} />
      </div>
      <dl className="details">
        <Detail term="Bank step">{signer.bank_required ? 'Required' : 'Not required'}</Detail>
        <Detail term="Opened">{dateOr(signer.opened_at, '—')}</Detail>
        <Detail term="Signed">{dateOr(signer.signed_at, '—')}</Detail>
        {awaitingSignature && (
          <Detail term="Link valid until">{dateOr(signer.link_expires_at, 'No live link')}</Detail>
        )}
      </dl>
      {signer.bank && (
        <BankEvidence bank={signer.bank} holderNames={holderNames} signerName={signer.legal_name}>
          {isReviewable && (
            <OwnershipReviewForm
              signerId={signer.id}
              signerName={signer.legal_name}
              bank={signer.bank}
              busy={busy}
              onReview={onReview}
            />
          )}
        </BankEvidence>
      )}
      {signer.signature && (
        <p className="muted">
          Signed as “{signer.signature.typed_name}” from {signer.signature.ip_address ?? 'unknown IP'}
        </p>
      )}
      <div className="toolbar">
        {packageStatus === 'draft' && (
          <RowButton tone="ghost" busy={busy} onClick={onRemove}>
            Remove
          </RowButton>
        )}
        {awaitingSignature && (
          <RowButton tone="secondary" busy={busy} onClick={onResend}>
            Resend link
          </RowButton>
        )}
      </div>
    </li>
  )
}

function Detail({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  )
}

function dateOr(iso: string | null, missing: string): string {
  return iso ? formatDateTime(iso) : missing
}
