import { type PayoutPolicy, payoutPolicyApi } from '../api/payout.ts'
import { Card } from '../components/card.tsx'
import { type LoadedPolicy, PolicyForm } from './policy-form.tsx'

/** Administrators: whether resolving a payout alert needs a second manager's confirmation (four eyes). */
export function PayoutPolicyPanel({ loaded }: { loaded: LoadedPolicy<PayoutPolicy> }) {
  return (
    <Card titleId="payout-policy-title" title="Payout alerts">
      <p className="muted">
        A payout alert is raised when a signer's verified payout account changes or loses its bank connection
        after a package completed. A manager resolves it with a note after calling the signer.
      </p>
      <PolicyForm
        loaded={loaded}
        update={payoutPolicyApi.update}
        savedText="Payout policy saved."
        submitLabel="Save payout policy"
        fields={(draft, setDraft) => (
          <label className="checkbox">
            <input
              type="checkbox"
              checked={draft.require_second_manager}
              onChange={(event) => {
                const isRequired = event.target.checked
                setDraft((current) => ({ ...current, require_second_manager: isRequired }))
              }}
            />{' '}
            Require a second, different manager to confirm each resolution (four eyes)
          </label>
        )}
      />
    </Card>
  )
}
