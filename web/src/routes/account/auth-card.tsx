import type { ReactNode } from 'react'

/** The centred card of the pages a visitor sees before signing in. */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card">
        <div className="brand brand--large">
          <span className="brand__mark" aria-hidden="true" />
          Safeclose
        </div>
        <h1 className="auth-card__title">{title}</h1>
        {children}
      </div>
    </div>
  )
}

/** A field's error, announced and tied to its input through `aria-describedby`. */
export function FieldError({ id, message }: { id: string; message: string | null | undefined }) {
  return (
    <p id={id} className="field__error" aria-live="polite">
      {message ?? ''}
    </p>
  )
}
