import { useState } from 'react'
import { useRevalidator } from 'react-router'
import { ApiError } from '../api/client.ts'
import { type PayoutPolicy, payoutPolicyApi } from '../api/payout.ts'
import { Card } from '../components/card.tsx'
import { Notice } from '../components/notice.tsx'

/** Administrators: whether resolving a payout alert needs a second manager's confirmation (four eyes). */
export function PayoutPolicyPanel({
  loaded,
}: {
  loaded: { ok: true; value: PayoutPolicy } | { ok: false; message: string }
}) {
  const policy = loaded.ok ? loaded.value : null
  const [draft, setDraft] = useState(policy?.require_second_manager ?? false)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(
    loaded.ok ? null : { tone: 'error', text: loaded.message },
  )
  const { revalidate } = useRevalidator()

  async function save() {
    setBusy(true)
    setMessage(null)
    try {
      const saved = await payoutPolicyApi.update({ require_second_manager: draft })
      setDraft(saved.require_second_manager)
      await revalidate()
      setMessage({ tone: 'success', text: 'Payout policy saved.' })
    } catch (error) {
      setMessage({ tone: 'error', text: error instanceof ApiError ? error.message : 'Could not save.' })
    } finally {
      setBusy(false)
    }
  }

  return (
    <Card titleId="payout-policy-title" title="Payout alerts">
      <p className="muted">
        A payout alert is raised when a signer's verified payout account changes or loses its bank connection
        after a package completed. A manager resolves it with a note after calling the signer.
      </p>
      {policy && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault()
            void save()
          }}
        >
          <label className="checkbox">
            <input type="checkbox" checked={draft} onChange={(event) => setDraft(event.target.checked)} />{' '}
            Require a second, different manager to confirm each resolution (four eyes)
          </label>
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={busy}>
              Save payout policy
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
