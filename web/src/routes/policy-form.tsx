import { type ReactNode, useState } from 'react'
import { useRevalidator } from 'react-router'
import { ApiError } from '../api/client.ts'
import { Notice } from '../components/notice.tsx'

/** What the settings page's loader read for one policy (ADR 0023). */
export type LoadedPolicy<P> = { ok: true; value: P } | { ok: false; message: string }

type Message = { tone: 'success' | 'error'; text: string }

/**
 * A workspace policy edited in a card: the form holds a draft of what the loader read, saves it
 * through `update`, then revalidates the page. `check` may refuse a draft before it is sent.
 */
export function PolicyForm<P>({
  loaded,
  update,
  check,
  savedText,
  submitLabel,
  fields,
}: {
  loaded: LoadedPolicy<P>
  update: (policy: P) => Promise<P>
  check?: (policy: P) => string | null
  savedText: string
  submitLabel: string
  fields: (draft: P, setDraft: (change: (current: P) => P) => void) => ReactNode
}) {
  const [draft, setDraft] = useState<P | null>(loaded.ok ? loaded.value : null)
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<Message | null>(
    loaded.ok ? null : { tone: 'error', text: loaded.message },
  )
  const { revalidate } = useRevalidator()

  async function save(policy: P) {
    const refusal = check?.(policy) ?? null
    if (refusal) {
      setMessage({ tone: 'error', text: refusal })
      return
    }
    setBusy(true)
    setMessage(null)
    try {
      setDraft(await update(policy))
      await revalidate()
      setMessage({ tone: 'success', text: savedText })
    } catch (error) {
      setMessage({ tone: 'error', text: error instanceof ApiError ? error.message : 'Could not save.' })
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      {draft !== null && (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault()
            void save(draft)
          }}
        >
          {fields(draft, (change) => setDraft((current) => (current === null ? current : change(current))))}
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={busy}>
              {submitLabel}
            </button>
          </div>
        </form>
      )}
      {message && (
        <Notice tone={message.tone} live>
          <p>{message.text}</p>
        </Notice>
      )}
    </>
  )
}
