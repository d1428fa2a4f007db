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

export async function signInAction({ request }: ActionFunctionArgs) {
  const form = await request.formData()
  try {
    await signIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''))
  } catch (error) {
    if (error instanceof ApiError) return { error: error.message }
    throw error
  }
  // A full document load: the server serves each signed-in user's pages with their workspace's Plaid
  // script and Content-Security-Policy, which this page (served before sign-in) does not have.
  return redirectDocument(nextPathOf(request))
}

export function SignInPage() {
  const result = useActionData<typeof signInAction>()
  const navigation = useNavigation()
  const busy = navigation.state !== 'idle' && navigation.formAction?.startsWith('/signin') === true

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
