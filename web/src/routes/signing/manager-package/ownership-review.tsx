import { useState } from 'react'
import type {
  ManagedBankVerification,
  OwnershipReview,
  OwnershipReviewDecision,
  OwnershipReviewInput,
} from '../../../api/signings.ts'
import { TextAreaField } from '../../../components/form-field.tsx'
import { formatDateTime } from '../../../format.ts'

/** The manager's decision on the account: who accepted or rejected it, when, and their note. */
export function OwnershipReviewSummary({ review }: { review: OwnershipReview }) {
  const who = review.reviewer?.name ?? 'a deleted user'
  return (
    <p className="ownership-review">
      {review.decision === 'accept' ? 'Accepted' : 'Rejected'} by {who} on{' '}
      {formatDateTime(review.reviewed_at)}: {review.note}
      {review.decision === 'reject' && (
        <span className="muted"> — the signer is asked to link another account.</span>
      )}
    </p>
  )
}

/**
 * Accept or reject an account whose holder's name did not clearly match, with a required note. The
 * review names the verification it judges (`verified_at`), so a newer account is not judged unseen.
 */
export function OwnershipReviewForm({
  signerId,
  signerName,
  bank,
  busy,
  onReview,
}: {
  signerId: string
  signerName: string
  bank: ManagedBankVerification
  busy: boolean
  onReview(input: OwnershipReviewInput): Promise<boolean>
}) {
  const [note, setNote] = useState('')
  const noteId = `ownership-note-${signerId}`

  async function submit(decision: OwnershipReviewDecision) {
    if (await onReview({ decision, note, verified_at: bank.verified_at })) setNote('')
  }

  return (
    <form
      className="form signing-subform"
      aria-label={`Review the account of ${signerName}`}
      onSubmit={(event) => {
        event.preventDefault()
        const submitter = (event.nativeEvent as SubmitEvent).submitter
        void submit(
          submitter instanceof HTMLButtonElement && submitter.value === 'reject' ? 'reject' : 'accept',
        )
      }}
    >
      <p className="muted">
        The account holder's name did not clearly match {signerName}. Accept the account once you have
        confirmed it is theirs, or reject it to ask them to link another one.
      </p>
      <TextAreaField
        id={noteId}
        label="Review note"
        value={note}
        onChange={(e) => {
          setNote(e.target.value)
          e.target.setCustomValidity(
            e.target.value.trim() ? '' : 'Write why you accept or reject this account.',
          )
        }}
        rows={2}
        maxLength={500}
        required
      />
      <div className="form-actions">
        <button type="submit" value="accept" className="button button--secondary" disabled={busy}>
          Accept account
        </button>
        <button type="submit" value="reject" className="button button--danger" disabled={busy}>
          Reject account
        </button>
      </div>
    </form>
  )
}
