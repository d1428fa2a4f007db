import { useEffect, useRef, useState } from 'react'
import {
  type ActionFunctionArgs,
  Form,
  Link,
  type LoaderFunctionArgs,
  redirect,
  redirectDocument,
  useActionData,
  useNavigation,
} from 'react-router'
import { ApiError } from '../api/client.ts'
import { fetchSession, signIn } from '../api/session.ts'
import { completeTwoFactorSignIn } from '../api/two-factor.ts'
import { safeNextPath } from '../navigation.ts'

const DEMO_ACCOUNTS = ['admin@safeclose.test', 'manager@safeclose.test', 'signer@safeclose.test']
const DEMO_PASSWORD = 'safeclose-demo'

function nextPathOf(request: Request): string {
  const url = new URL(request.url)
  return safeNextPath(url.searchParams.get('next'), url.origin)
}

/** A member who is already signed in has nothing to do here; a signer may sign in as a member. */
export async function signInLoader({ request }: LoaderFunctionArgs) {
  const session = await fetchSession(request.signal)
  return session?.principal === 'member' ? redirect(nextPathOf(request)) : null
}

type SignInResult =
  | { step: 'password'; error: string }
  /** The password was right; the user has two-factor sign-in. `field` names the input an error is about. */
  | { step: 'two-factor'; field: 'code' | 'recovery_code' | null; error: string | null }

export async function signInAction({ request }: ActionFunctionArgs): Promise<SignInResult | Response> {
  const form = await request.formData()
  const intent = String(form.get('intent') ?? 'password')
  if (intent === 'code' || intent === 'recovery_code') {
    const value = String(form.get(intent) ?? '').trim()
    try {
      await completeTwoFactorSignIn(intent === 'code' ? { code: value } : { recovery_code: value })
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      // Expired, or too many wrong codes: the pending sign-in is gone, the password is asked again.
      if (error.code === 'TWO_FACTOR_SIGN_IN_EXPIRED') return { step: 'password', error: error.message }
      const message =
        error.code === 'VALIDATION_FAILED'
          ? intent === 'code'
            ? 'Enter the 6-digit code from your authenticator app.'
            : 'Enter one of your recovery codes, like abcde-12345.'
          : error.message
      return { step: 'two-factor', field: intent, error: message }
    }
    return redirectDocument(nextPathOf(request))
  }
  try {
    const answer = await signIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''))
    if ('two_factor_required' in answer) return { step: 'two-factor', field: null, error: null }
  } catch (error) {
    if (error instanceof ApiError) return { step: 'password', error: error.message }
    throw error
  }
  // A full document load: the server serves each signed-in user's pages with their workspace's Plaid
  // script and Content-Security-Policy, which this page (served before sign-in) does not have.
  return redirectDocument(nextPathOf(request))
}

export function SignInPage() {
  const result = useActionData<SignInResult>()
  const navigation = useNavigation()
  const busy = navigation.state !== 'idle' && navigation.formAction?.startsWith('/signin') === true
  if (result?.step === 'two-factor') return <TwoFactorStep result={result} busy={busy} />

  return (
    <div className="auth-page">
      <title>Sign in · Safeclose</title>
      <div className="auth-card">
        <div className="brand brand--large">
          <span className="brand__mark" aria-hidden="true" />
          Safeclose
        </div>
        <h1 className="auth-card__title">Sign in to your workspace</h1>
        <Form method="post" className="form" aria-describedby="sign-in-error">
          <input type="hidden" name="intent" value="password" />
          <div className="field">
            <label htmlFor="email">Email</label>
            <input id="email" name="email" type="email" autoComplete="username" required />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required />
          </div>
          <div id="sign-in-error" className="form-message" aria-live="assertive" aria-atomic="true">
            {result?.error && <p className="form-message__error">{result.error}</p>}
          </div>
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </Form>
        <p className="auth-card__footer">
          <Link to="/forgot-password">Forgot your password?</Link>
        </p>
      </div>
      <aside className="demo-hint" aria-labelledby="demo-hint-title">
        <p id="demo-hint-title" className="demo-hint__title">
          Demo accounts
        </p>
        <ul>
          {DEMO_ACCOUNTS.map((email) => (
            <li key={email}>
              <code>{email}</code>
            </li>
          ))}
        </ul>
        <p>
          Password <code>{DEMO_PASSWORD}</code>
        </p>
      </aside>
    </div>
  )
}

/**
 * The second step for a user with two-factor sign-in: a code from the authenticator app, or one of
 * the recovery codes. Each mode is its own form with its error next to its field.
 */
function TwoFactorStep({
  result,
  busy,
}: {
  result: Extract<SignInResult, { step: 'two-factor' }>
  busy: boolean
}) {
  const [mode, setMode] = useState<'code' | 'recovery_code'>(result.field ?? 'code')
  const isCode = mode === 'code'
  const error = result.field === mode ? result.error : null
  const errorId = `${mode}-error`
  const inputRef = useRef<HTMLInputElement>(null)
  // The step replaces the password form: put the keyboard where the code goes (again after an error).
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-focus on every new answer and mode
  useEffect(() => inputRef.current?.focus(), [mode, result])
  return (
    <div className="auth-page">
      <title>Two-factor sign-in · Safeclose</title>
      <div className="auth-card">
        <div className="brand brand--large">
          <span className="brand__mark" aria-hidden="true" />
          Safeclose
        </div>
        <h1 className="auth-card__title">Two-factor sign-in</h1>
        <p className="muted">
          {isCode
            ? 'Enter the 6-digit code your authenticator app shows for Safeclose.'
            : 'Enter one of the recovery codes you saved when you set up two-factor sign-in. Each works once.'}
        </p>
        <Form method="post" className="form" key={mode}>
          <input type="hidden" name="intent" value={mode} />
          <div className="field">
            <label htmlFor={mode}>{isCode ? 'Authentication code' : 'Recovery code'}</label>
            <input
              id={mode}
              name={mode}
              ref={inputRef}
              required
              spellCheck={false}
              autoComplete={isCode ? 'one-time-code' : 'off'}
              inputMode={isCode ? 'numeric' : 'text'}
              pattern={isCode ? '\\s*[0-9]{3}\\s*[0-9]{3}\\s*' : undefined}
              maxLength={isCode ? 12 : 32}
              aria-invalid={error ? true : undefined}
              aria-describedby={errorId}
            />
            <div id={errorId} className="form-message" aria-live="assertive" aria-atomic="true">
              {error && <p className="form-message__error">{error}</p>}
            </div>
          </div>
          <button type="submit" className="button button--primary button--block" disabled={busy}>
            {busy ? 'Checking…' : 'Verify'}
          </button>
        </Form>
        <button
          type="button"
          className="button button--ghost button--block"
          onClick={() => setMode(isCode ? 'recovery_code' : 'code')}
        >
          {isCode ? 'Use a recovery code instead' : 'Use a code from the app instead'}
        </button>
      </div>
    </div>
  )
}
