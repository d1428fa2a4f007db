import type { ReactNode } from 'react'
import type { ManagedBankVerification } from '../../../api/signings.ts'
import { StatusBadge } from '../../../components/status-badge.tsx'
import { formatDateTime } from '../../../format.ts'
import { accountLabel, ItemStatusBadge, VerdictBadge } from '../badges.tsx'

const VERIFICATION_LABELS: Record<ManagedBankVerification['verification'], string> = {
  verified: 'Account verified',
  pending_manual: 'Waiting for the deposit code',
  pending_automatic: 'Deposits being verified',
  failed: 'Deposits not verified',
}

import { OwnershipReviewSummary } from './ownership-review.tsx'

/**
 * The account a signer proved is theirs: the ownership verdict, the Item's live status and the scores,
 * then the manager's review of the verdict, or `children` (the review form) while there is none.
 */
export function BankEvidence({
  bank,
  holderNames,
  signerName,
  children,
}: {
  bank: ManagedBankVerification
  /** The account holders Plaid named for this account, when Safeclose fetched them. */
  holderNames: string[] | null
  signerName: string
  children?: ReactNode
}) {
  return (
    <div className="bank-evidence">
      <p>
        <strong>{accountLabel(bank)}</strong>
      </p>
      <p className="toolbar">
        <VerdictBadge verdict={bank.verdict} />
        {bank.item_status !== null && <ItemStatusBadge status={bank.item_status} />}
        {bank.account_verification_status !== null && (
          <StatusBadge
            tone={
              bank.verification === 'verified'
                ? 'success'
                : bank.verification === 'failed'
                  ? 'danger'
                  : 'warning'
            }
          >
            {VERIFICATION_LABELS[bank.verification]}
          </StatusBadge>
        )}
      </p>
      {bank.verdict_reason && <p>{bank.verdict_reason}</p>}
      {holderNames !== null && (
        <p className="bank-evidence__holders">
          {holderNames.length > 0 ? (
            <>
              Plaid names the account holder{holderNames.length === 1 ? '' : 's'}:{' '}
              <strong>{holderNames.join(', ')}</strong>
              {bank.verdict !== 'verified' && (
                <>
                  {' '}
                  · the signer's legal name: <strong>{signerName}</strong>
                </>
              )}
            </>
          ) : (
            <>Plaid returned no account holder name for this account.</>
          )}
        </p>
      )}
      {bank.account_verification_status !== null && (
        <p className="muted">
          Plaid verification status <code>{bank.account_verification_status}</code>
        </p>
      )}
      <p className="muted">
        Name score {bank.name_score ?? '—'} · e-mail score {bank.email_score ?? '—'} · verified{' '}
        {formatDateTime(bank.verified_at)} · Item <code>{bank.item_id}</code>
      </p>
      {bank.review ? <OwnershipReviewSummary review={bank.review} /> : children}
    </div>
  )
}
