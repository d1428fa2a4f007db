import { type ActionFunctionArgs, Form, Link, useActionData, useNavigation } from 'react-router'
import { ApiError } from '../../api/client.ts'
import { passwordApi } from '../../api/members.ts'
import { SIGN_IN_PATH } from '../../navigation.ts'
import { AuthCard, FieldError } from './auth-card.tsx'

export async function forgotPasswordAction({ request }: ActionFunctionArgs) {
  const form = await request.formData()
  try {
    return {
      sent: true as const,
      message: (await passwordApi.requestReset(String(form.get('email') ?? ''))).message,
    }
  } catch (error) {
    if (error instanceof ApiError) return { sent: false as const, message: error.message }
    throw error
  }
}

export function ForgotPasswordPage() {
  const result = useActionData<typeof forgotPasswordAction>()
  const busy = useNavigation().state !== 'idle'
  return (
    <AuthCard title="Reset your password">
      <title>Reset your password · Safeclose</title>
      {result?.sent ? (
        <p role="status">{result.message}</p>
      ) : (
        <Form method="post" className="form" noValidate>
          <div className="field">
            <label htmlFor="forgot-email">Email</label>
            <input
              id="forgot-email"
              name="email"
              type="email"
              autoComplete="username"
              required
              aria-describedby="forgot-email-error"
            />
            <FieldError id="forgot-email-error" message={result?.sent === false ? result.message : null} />
          </div>
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            Send a reset link
          </button>
        </Form>
      )}
      <p>
        <Link to={SIGN_IN_PATH}>Back to sign in</Link>
      </p>
    </AuthCard>
  )
}
