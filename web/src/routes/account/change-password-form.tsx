import { useState } from 'react'
import { ApiError } from '../../api/client.ts'
import { passwordApi } from '../../api/members.ts'
import { FieldError } from './auth-card.tsx'

/** Change the password while signed in; every other session of the account ends. */
export function ChangePasswordForm() {
  const [state, setState] = useState<
    | { phase: 'idle' | 'busy' }
    | { phase: 'done'; ended: number }
    | { phase: 'failed'; field: string | null; message: string }
  >({ phase: 'idle' })

  async function submit(form: HTMLFormElement) {
    const data = new FormData(form)
    setState({ phase: 'busy' })
    try {
      const result = await passwordApi.change(
        String(data.get('current_password')),
        String(data.get('new_password')),
      )
      form.reset()
      setState({ phase: 'done', ended: result.ended_sessions })
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      const field = error.status === 401 ? 'current_password' : error.status === 400 ? 'new_password' : null
      setState({ phase: 'failed', field, message: error.message })
    }
  }
  const errorOf = (field: string) =>
    state.phase === 'failed' && state.field === field ? state.message : null

  return (
    <section className="card" aria-labelledby="change-password-title">
      <h2 id="change-password-title" className="card__title">
        Password
      </h2>
      <form
        className="form"
        noValidate
        onSubmit={(event) => {
          event.preventDefault()
          void submit(event.currentTarget)
        }}
      >
        <div className="field">
          <label htmlFor="current-password">Current password</label>
          <input
            id="current-password"
            name="current_password"
            type="password"
            autoComplete="current-password"
            required
            aria-describedby="current-password-error"
          />
          <FieldError id="current-password-error" message={errorOf('current_password')} />
        </div>
        <div className="field">
          <label htmlFor="new-password">New password</label>
          <input
            id="new-password"
            name="new_password"
            type="password"
            autoComplete="new-password"
            required
            aria-describedby="new-password-help new-password-error"
          />
          <p id="new-password-help" className="field__help">
            At least 12 characters; common passwords are refused. Your other sessions will be signed out.
          </p>
          <FieldError id="new-password-error" message={errorOf('new_password')} />
        </div>
        <div className="form-message" aria-live="polite">
          {state.phase === 'done' && (
            <p className="form-message__success">
              Password changed.{' '}
              {state.ended === 1 ? 'One other session was' : `${state.ended} other sessions were`} signed out.
            </p>
          )}
          {state.phase === 'failed' && state.field === null && (
            <p className="form-message__error">{state.message}</p>
          )}
        </div>
        <button type="submit" className="button button--primary" disabled={state.phase === 'busy'}>
          Change password
        </button>
      </form>
    </section>
  )
}
