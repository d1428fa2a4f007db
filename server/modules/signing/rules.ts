import type {
  ItemStatus,
  OwnershipReviewDecision,
  OwnershipVerdict,
  PackageStatus,
  SignerStatus,
} from '../../../db/schema.ts'

/**
 * The signing rules as pure functions: which package transitions exist, which step a signer is on,
 * and how an identity-match score becomes a verdict. Services ask these; they never re-derive them.
 */

export type OwnershipPolicy = {
  /** Name score at or above this: verified. */
  verifiedNameScore: number
  /** Name score at or above this (and below verified): needs review; below: mismatch. */
  reviewNameScore: number
  /** When true, a mismatch blocks signing (unless a manager accepts the account); otherwise the manager only sees it. */
  isMatchRequired: boolean
}

export const DEFAULT_OWNERSHIP_POLICY: OwnershipPolicy = {
  verifiedNameScore: 85,
  reviewNameScore: 70,
  isMatchRequired: false,
}

/**
 * `isMicroDeposit`: the account came through Plaid's micro-deposit flows (ADR 0018). Plaid has no
 * identity data for such an account, so a missing score means "a person must look", not "wrong owner".
 */
export function ownershipVerdict(
  nameScore: number | null,
  policy: OwnershipPolicy,
  options: { isMicroDeposit?: boolean } = {},
): OwnershipVerdict {
  if (nameScore === null) return options.isMicroDeposit ? 'needs_review' : 'mismatch'
  if (nameScore >= policy.verifiedNameScore) return 'verified'
  if (nameScore >= policy.reviewNameScore) return 'needs_review'
  return 'mismatch'
}

const PACKAGE_TRANSITIONS: Record<PackageStatus, readonly PackageStatus[]> = {
  draft: ['active', 'cancelled'],
  active: ['complete', 'cancelled'],
  complete: [],
  cancelled: [],
}

export function canTransition(from: PackageStatus, to: PackageStatus): boolean {
  return PACKAGE_TRANSITIONS[from].includes(to)
}

/**
 * Item states in which the bank connection no longer proves anything until the signer reconnects:
 * login_required is repaired in Link's update mode, revoked and removed need a new link.
 */
const UNUSABLE_ITEM_STATUSES: ReadonlySet<ItemStatus> = new Set(['login_required', 'revoked', 'removed'])

export function isItemUsable(status: ItemStatus | null): boolean {
  return status !== null && !UNUSABLE_ITEM_STATUSES.has(status)
}

/** Plaid's verification_status values of the micro-deposit flows (Auth coverage docs). */
const MICRO_DEPOSIT_STATUSES: ReadonlySet<string> = new Set([
  'pending_manual_verification',
  'pending_automatic_verification',
  'manually_verified',
  'automatically_verified',
  'verification_failed',
  'verification_expired',
])

export function isMicroDepositStatus(verificationStatus: string | null | undefined): boolean {
  return typeof verificationStatus === 'string' && MICRO_DEPOSIT_STATUSES.has(verificationStatus)
}

/**
 * Where an account's verification stands: `verified` (instant Auth or a confirmed micro-deposit),
 * `pending_manual` (Same-Day: the signer confirms the deposit code in Link), `pending_automatic`
 * (Automated: Plaid confirms it, AUTOMATICALLY_VERIFIED), `failed` (wrong code three times, or expired).
 */
export type AccountVerification = 'verified' | 'pending_manual' | 'pending_automatic' | 'failed'

export function accountVerificationOf(verificationStatus: string | null | undefined): AccountVerification {
  switch (verificationStatus) {
    case 'pending_manual_verification':
      return 'pending_manual'
    case 'pending_automatic_verification':
      return 'pending_automatic'
    case 'verification_failed':
    case 'verification_expired':
      return 'failed'
    default:
      return 'verified'
  }
}

export type SignerStep = 'review' | 'bank' | 'sign' | 'done' | 'closed'

export type StepInput = {
  packageStatus: PackageStatus
  signerStatus: SignerStatus
  documentCount: number
  viewedDocumentCount: number
  isBankRequired: boolean
  /** Null when the signer has not chosen a payout account yet. `review`: a manager's decision, if any. */
  bank: null | {
    itemStatus: ItemStatus | null
    verdict: OwnershipVerdict
    review: OwnershipReviewDecision | null
    /** The account's Plaid verification_status (ADR 0018); absent or null: instant Auth. */
    verificationStatus?: string | null
    /** Null: Plaid had no identity data (micro-deposits), so a manager must accept the account. */
    nameScore?: number | null
  }
  isMatchRequired: boolean
}

/** Where the signer is: the first step whose condition is not met yet. Derived, so it always resumes right. */
export function currentStep(input: StepInput): SignerStep {
  if (input.signerStatus === 'signed') return 'done'
  if (input.packageStatus !== 'active') return 'closed'
  if (input.viewedDocumentCount < input.documentCount) return 'review'
  if (input.isBankRequired && !isBankStepComplete(input)) return 'bank'
  return 'sign'
}

/**
 * The payout account counts when its connection is usable and its ownership is acceptable: a manager
 * who rejected it sends the signer to link another one whatever the policy; a manager who accepted it
 * overrides "require match"; without a review, a mismatch blocks only when the workspace requires a match.
 */
export function isBankStepComplete(input: Pick<StepInput, 'bank' | 'isMatchRequired'>): boolean {
  if (!input.bank || !isItemUsable(input.bank.itemStatus)) return false
  // A micro-deposit still pending (or failed) proves nothing yet, whatever a manager decided.
  if (accountVerificationOf(input.bank.verificationStatus) !== 'verified') return false
  if (input.bank.review === 'reject') return false
  if (input.bank.review === 'accept') return true
  if (isAcceptanceRequired(input.bank)) return false
  return !(input.isMatchRequired && input.bank.verdict === 'mismatch')
}

/**
 * A micro-deposit account with no identity data: nothing ties it to the signer's name, so only a
 * manager's acceptance completes the bank step (ADR 0018).
 */
export function isAcceptanceRequired(bank: {
  verificationStatus?: string | null
  nameScore?: number | null
}): boolean {
  return isMicroDepositStatus(bank.verificationStatus) && bank.nameScore === null
}

/** Only a verdict short of "verified" is a manager's to review, once per verification. */
export function isOwnershipReviewable(verdict: OwnershipVerdict): boolean {
  return verdict === 'needs_review' || verdict === 'mismatch'
}

/** Typed signatures are compared without regard to case, accents' composition or extra spaces. */
export function isSameName(typed: string, legalName: string): boolean {
  const normalize = (name: string) => name.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase()
  return normalize(typed) === normalize(legalName)
}
