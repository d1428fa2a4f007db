import { type ChangeEvent, useState } from 'react'
import { useRevalidator } from 'react-router'
import { ApiError } from '../api/client.ts'
import { type OwnershipPolicy, ownershipPolicyApi } from '../api/signings.ts'
import { Card } from '../components/card.tsx'
import { InputField } from '../components/form-field.tsx'
import { Notice } from '../components/notice.tsx'

/**
 * Administrators: how a signer's payout account is judged against their legal name. Plaid scores
 * the account holder's name 0–100; at or above the first threshold it is verified, at or above the
 * second it needs a manager's review, below it is a mismatch.
 */
export function OwnershipPolicyPanel({
  loaded,
}: {
  loaded: { ok: true; value: OwnershipPolicy } | { ok: false; message: string }
}) {
  // The page's loader reads the policy (ADR 0023); the form edits a copy and revalidates after a save.
  const [draft, setDraft] = useState<OwnershipPolicy | null>(loaded.ok ? loaded.value : null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(
    loaded.ok ? null : { tone: 'error', text: loaded.message },
  )
  const { revalidate } = useRevalidator()

  async function save(policy: OwnershipPolicy) {
    if (policy.review_name_score > policy.verified_name_score) {
      setMessage({ tone: 'error', text: 'The review threshold cannot be above the verified threshold.' })
      return
    }
    setBusy(true)
    setMessage(null)
    try {
      setDraft(await ownershipPolicyApi.update(policy))
      await revalidate()
      setMessage({ tone: 'success', text: 'Ownership policy saved.' })
    } catch (error) {
      setMessage({ tone: 'error', text: error instanceof ApiError ? error.message : 'Could not save.' })
    } finally {
      setBusy(false)
    }
  }

  const score = (key: 'verified_name_score' | 'review_name_score') => ({
    type: 'number',
    min: 0,
    max: 100,
    step: 1,
    required: true,
    value: draft ? String(draft[key]) : '',
    onChange: (event: ChangeEvent<HTMLInputElement>) =>
      setDraft((current) => (current ? { ...current, [key]: Number(event.target.value) } : current)),
  })

  return (
    <Card titleId="ownership-policy-title" title="Account ownership">
      <p className="muted">
        Plaid scores how well the name on a signer's payout account matches their legal name, from 0 to 100.
        These thresholds turn the score into a verdict; managers review the accounts in between.
      </p>
      {draft && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault()
            void save(draft)
          }}
        >
          <InputField
            id="ownership-verified-score"
            label="Verified from name score"
            {...score('verified_name_score')}
          />
          <InputField
            id="ownership-review-score"
            label="Needs review from name score"
            {...score('review_name_score')}
          />
          <label className="checkbox">
            <input
              type="checkbox"
              checked={draft.match_required}
              onChange={(event) => setDraft({ ...draft, match_required: event.target.checked })}
            />{' '}
            Block signing on a name mismatch until a manager accepts the account
          </label>
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={busy}>
              Save ownership policy
            </button>
          </div>
        </form>
      )}
      {message && (
        <Notice tone={message.tone} live>
          <p>{message.text}</p>
        </Notice>
      )}
    </Card>
  )
}
