import type { ReactNode } from 'react'

/** A form inside a package card: submitting hands the form to `onSubmit` (to reset it) instead of navigating. */
export function Subform({
  label,
  submitLabel,
  submitTone,
  busy,
  onSubmit,
  children,
}: {
  label: string
  submitLabel: string
  submitTone: 'secondary' | 'danger'
  busy: boolean
  onSubmit(form: HTMLFormElement): void | Promise<void>
  children: ReactNode
}) {
  return (
    <form
      className="form signing-subform"
      aria-label={label}
      onSubmit={(event) => {
        event.preventDefault()
        void onSubmit(event.currentTarget)
      }}
    >
      {children}
      <div className="form-actions">
        <button type="submit" className={`button button--${submitTone}`} disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  )
}

/** A small button acting on one row (a document, a signer); disabled while another change runs. */
export function RowButton({
  tone,
  busy,
  onClick,
  children,
}: {
  tone: 'ghost' | 'secondary'
  busy: boolean
  onClick(): void
  children: ReactNode
}) {
  return (
    <button
      type="button"
      className={`button button--${tone} button--small`}
      disabled={busy}
      onClick={onClick}
    >
      {children}
    </button>
  )
}
