import {
  type ItemStatus,
  type OwnershipVerdict,
  PACKAGE_STATUS_LABELS,
  type PackageStatus,
  SIGNER_STATUS_LABELS,
  type SignerStatus,
  VERDICT_LABELS,
} from '../../api/signings.ts'
import { Notice } from '../../components/notice.tsx'
import { type BadgeTone, StatusBadge } from '../../components/status-badge.tsx'

const PACKAGE_TONES: Record<PackageStatus, BadgeTone> = {
  draft: 'neutral',
  active: 'accent',
  complete: 'success',
  cancelled: 'danger',
}

const SIGNER_TONES: Record<SignerStatus, BadgeTone> = {
  invited: 'neutral',
  opened: 'accent',
  bank_verified: 'accent',
  signed: 'success',
}

const VERDICT_TONES: Record<OwnershipVerdict, BadgeTone> = {
  verified: 'success',
  needs_review: 'warning',
  mismatch: 'danger',
}

export function PackageStatusBadge({ status }: { status: PackageStatus }) {
  return <StatusBadge tone={PACKAGE_TONES[status]}>{PACKAGE_STATUS_LABELS[status]}</StatusBadge>
}

/**
 * A signer's progress as the manager reads it. "Invited" would claim an e-mail that may never have
 * been sent (no SMTP: the manager hands links over), and "Bank verified" would hide a verdict that
 * still needs the manager's review.
 */
export function SignerStatusBadge({
  signer,
  linkToHandOver = false,
}: {
  signer: {
    status: SignerStatus
    bank: { verdict: OwnershipVerdict; review: { decision: 'accept' | 'reject' } | null } | null
  }
  linkToHandOver?: boolean
}) {
  const { status, bank } = signer
  if (status === 'invited') {
    return (
      <StatusBadge tone="neutral">
        {linkToHandOver ? 'Link ready — copy and send' : 'Link issued — not opened yet'}
      </StatusBadge>
    )
  }
  if (status === 'bank_verified' && bank && bank.verdict !== 'verified') {
    if (bank.review?.decision === 'accept')
      return <StatusBadge tone="accent">Bank account accepted</StatusBadge>
    if (bank.review?.decision === 'reject')
      return <StatusBadge tone="danger">Bank account rejected</StatusBadge>
    return bank.verdict === 'mismatch' ? (
      <StatusBadge tone="danger">Bank: name mismatch</StatusBadge>
    ) : (
      <StatusBadge tone="warning">Bank: needs review</StatusBadge>
    )
  }
  return <StatusBadge tone={SIGNER_TONES[status]}>{SIGNER_STATUS_LABELS[status]}</StatusBadge>
}

export function VerdictBadge({ verdict }: { verdict: OwnershipVerdict }) {
  return <StatusBadge tone={VERDICT_TONES[verdict]}>{VERDICT_LABELS[verdict]}</StatusBadge>
}

export function ItemStatusBadge({ status }: { status: ItemStatus }) {
  const tone: BadgeTone =
    status === 'good' ? 'success' : status === 'pending_expiration' ? 'warning' : 'danger'
  return <StatusBadge tone={tone}>Connection: {status.replaceAll('_', ' ')}</StatusBadge>
}

export function accountLabel(bank: {
  institution_name: string | null
  account_name: string
  account_mask: string | null
}) {
  return `${bank.institution_name ?? 'Bank'} · ${bank.account_name}${bank.account_mask ? ` ••${bank.account_mask}` : ''}`
}

/**
 * What a verdict other than "verified" means for the signer, and what they can do next. The sender's
 * review note stays internal; the signer learns only the decision.
 */
export function OwnershipNotice({
  bank,
  legalName,
}: {
  bank: {
    verdict: OwnershipVerdict
    review: { decision: 'accept' | 'reject' } | null
    institution_name: string | null
    account_name: string
    account_mask: string | null
  }
  legalName: string
}) {
  if (bank.verdict === 'verified') return null
  if (bank.review?.decision === 'accept') {
    return (
      <Notice tone="success" title="The sender accepted this account">
        <p>The sender checked {accountLabel(bank)} and accepted it as your payout account.</p>
      </Notice>
    )
  }
  const isMismatch = bank.verdict === 'mismatch'
  return (
    <Notice
      tone={isMismatch ? 'warning' : 'info'}
      title={
        isMismatch
          ? 'The name on this account does not match yours'
          : 'The name on this account did not clearly match yours'
      }
    >
      <p>
        Your bank reported a different account holder for {accountLabel(bank)} than {legalName}. This happens
        with joint or business accounts, nicknames and married names.
      </p>
      <p>
        You can still sign: the sender reviews the account before any money is paid out, and may contact you.
        If this account is not held in your name, tell the sender before you sign; once they reject it, this
        page asks you to connect an account that is.
      </p>
    </Notice>
  )
}
