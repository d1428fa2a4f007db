import {
  type ItemStatus,
  type OwnershipVerdict,
  PACKAGE_STATUS_LABELS,
  type PackageStatus,
  SIGNER_STATUS_LABELS,
  type SignerStatus,
  VERDICT_LABELS,
} from '../../api/signings.ts'
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

export function SignerStatusBadge({ status }: { status: SignerStatus }) {
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
