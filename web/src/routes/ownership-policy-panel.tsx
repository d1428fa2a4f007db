import { type OwnershipPolicy, ownershipPolicyApi } from '../api/signings.ts'
import { Card } from '../components/card.tsx'
import { InputField } from '../components/form-field.tsx'
import { type LoadedPolicy, PolicyForm } from './policy-form.tsx'

type Threshold = 'verified_name_score' | 'review_name_score'

/**
 * Administrators: how a signer's payout account is judged against their legal name. Plaid scores
 * the account holder's name 0–100; at or above the first threshold it is verified, at or above the
 * second it needs a manager's review, below it is a mismatch.
 */
export function OwnershipPolicyPanel({ loaded }: { loaded: LoadedPolicy<OwnershipPolicy> }) {
  return (
    <Card titleId="ownership-policy-title" title="Account ownership">
      <p className="muted">
        Plaid scores how well the name on a signer's payout account matches their legal name, from 0 to 100.
        These thresholds turn the score into a verdict; managers review the accounts in between.
      </p>
      <PolicyForm
        loaded={loaded}
        update={ownershipPolicyApi.update}
        check={(policy) =>
          policy.review_name_score > policy.verified_name_score
            ? 'The review threshold cannot be above the verified threshold.'
            : null
        }
        savedText="Ownership policy saved."
        submitLabel="Save ownership policy"
        fields={(draft, setDraft) => {
          const score = (key: Threshold) => ({
            type: 'number',
            min: 0,
            max: 100,
            step: 1,
            required: true,
            value: String(draft[key]),
            onChange: (event: { target: { value: string } }) => {
              const value = Number(event.target.value)
              setDraft((current) => ({ ...current, [key]: value }))
            },
          })
          return (
            <>
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
                  onChange={(event) => {
                    const isRequired = event.target.checked
                    setDraft((current) => ({ ...current, match_required: isRequired }))
                  }}
                />{' '}
                Block signing on a name mismatch until a manager accepts the account
              </label>
            </>
          )
        }}
      />
    </Card>
  )
}
