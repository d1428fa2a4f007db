import { type ActionFunctionArgs, Form, Link, useActionData, useNavigation } from 'react-router'
import { ApiError } from '../../api/client.ts'
import { passwordApi } from '../../api/members.ts'
import { SIGN_IN_PATH } from '../../navigation.ts'
import { AuthCard, FieldError } from './auth-card.tsx'

export async function resetPasswordAction({ request, params }: ActionFunctionArgs) {
  const form = await request.formData()
  const password = String(form.get('password') ?? '')
  if (password !== String(form.get('confirm') ?? '')) {
    return { done: false as const, field: 'confirm' as const, message: 'The two passwords differ.' }
  }
  try {
    await passwordApi.confirmReset(params.token ?? '', password)
    return { done: true as const }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return {
      done: false as const,
      field: error.status === 400 ? ('password' as const) : null,
      message: error.message,
    }
  }
}

export function ResetPasswordPage() {
  const result = useActionData<typeof resetPasswordAction>()
  const busy = useNavigation().state !== 'idle'
  if (result?.done) {
    return (
      <AuthCard title="Your password was changed">
        <title>Password changed · Safeclose</title>
        <p role="status">Every session of your account was signed out. Sign in with your new password.</p>
        <p>
          <Link className="button button--primary" to={SIGN_IN_PATH}>
            Sign in
          </Link>
        </p>
      </AuthCard>
    )
  }
  const errorOf = (field: 'password' | 'confirm') =>
    result && !result.done && result.field === field ? result.message : null
  return (
    <AuthCard title="Choose a new password">
      <title>Choose a new password · Safeclose</title>
      <Form method="post" className="form" noValidate>
        <div className="field">
          <label htmlFor="reset-password">New password</label>
          <input
            id="reset-password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={errorOf('password') !== null}
            aria-describedby="reset-password-help reset-password-error"
          />
          <p id="reset-password-help" className="field__help">
            At least 12 characters; common passwords are refused.
          </p>
          <FieldError id="reset-password-error" message={errorOf('password')} />
        </div>
        <div className="field">
          <label htmlFor="reset-confirm">Repeat the new password</label>
          <input
            id="reset-confirm"
            name="confirm"
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={errorOf('confirm') !== null}
            aria-describedby="reset-confirm-error"
          />
          <FieldError id="reset-confirm-error" message={errorOf('confirm')} />
        </div>
        <div className="form-message" aria-live="assertive">
          {result && !result.done && result.field === null && (
            <p className="form-message__error">{result.message}</p>
          )}
        </div>
        <button type="submit" className="button button--primary button--block" disabled={busy}>
          Set the new password
        </button>
      </Form>
    </AuthCard>
  )
}
