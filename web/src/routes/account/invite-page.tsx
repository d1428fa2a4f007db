import {
  type ActionFunctionArgs,
  Form,
  Link,
  type LoaderFunctionArgs,
  redirectDocument,
  useActionData,
  useLoaderData,
  useNavigation,
} from 'react-router'
import { ApiError } from '../../api/client.ts'
import { type InvitationPreview, invitationApi } from '../../api/members.ts'
import { fetchSession } from '../../api/session.ts'
import { HOME_PATH, SIGN_IN_PATH } from '../../navigation.ts'
import { AuthCard, FieldError } from './auth-card.tsx'

type InviteLoaderData =
  | { ok: true; preview: InvitationPreview; signedInAs: string | null }
  | { ok: false; message: string }
type InviteActionData = { field: 'name' | 'password' | null; message: string }

export async function inviteLoader({ params }: LoaderFunctionArgs): Promise<InviteLoaderData> {
  try {
    const [preview, session] = await Promise.all([invitationApi.preview(params.token ?? ''), fetchSession()])
    return { ok: true, preview, signedInAs: session?.principal === 'member' ? session.user.email : null }
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return { ok: false, message: error.message }
    throw error
  }
}

export async function inviteAction({ request, params }: ActionFunctionArgs) {
  const form = await request.formData()
  try {
    await invitationApi.accept(
      params.token ?? '',
      String(form.get('name') ?? '').trim(),
      form.has('password') ? String(form.get('password')) : null,
    )
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const field = /password/i.test(error.message) ? 'password' : /name/i.test(error.message) ? 'name' : null
    return { field, message: error.message } satisfies InviteActionData
  }
  // A full document load: the workspace's pages come with its own Plaid script and policy.
  return redirectDocument(HOME_PATH)
}

export function InvitePage() {
  const data = useLoaderData<typeof inviteLoader>()
  const result = useActionData<typeof inviteAction>()
  const busy = useNavigation().state !== 'idle'

  if (!data.ok) {
    return (
      <AuthCard title="This invitation cannot be used">
        <title>Invitation · Safeclose</title>
        <p role="alert">{data.message}</p>
        <p>
          <Link to={SIGN_IN_PATH}>Go to sign in</Link>
        </p>
      </AuthCard>
    )
  }
  const { preview } = data
  const roleName = preview.role === 'admin' ? 'an administrator' : 'a manager'
  if (preview.has_account) {
    const isThatAccount = data.signedInAs?.toLowerCase() === preview.email.toLowerCase()
    const next = `${SIGN_IN_PATH}?next=${encodeURIComponent(window.location.pathname)}`
    return (
      <AuthCard title={`Join ${preview.workspace_name}`}>
        <title>Join {preview.workspace_name} · Safeclose</title>
        <p>
          You are invited as {roleName} with <strong>{preview.email}</strong>, which already has a Safeclose
          account.
        </p>
        {isThatAccount ? (
          <Form method="post" className="form">
            <div className="form-message" aria-live="assertive">
              {result && <p className="form-message__error">{result.message}</p>}
            </div>
            <button type="submit" className="button button--primary button--block" disabled={busy}>
              {busy ? 'Joining…' : `Join ${preview.workspace_name}`}
            </button>
          </Form>
        ) : (
          <>
            <p>Sign in to that account first; you will come back here to join.</p>
            <p>
              <a className="button button--primary" href={next}>
                Sign in as {preview.email}
              </a>
            </p>
          </>
        )}
      </AuthCard>
    )
  }
  return (
    <AuthCard title={`Join ${preview.workspace_name}`}>
      <title>Join {preview.workspace_name} · Safeclose</title>
      <p>
        You are invited as {roleName} with <strong>{preview.email}</strong>. Choose your name and a password
        to create your account.
      </p>
      <Form method="post" className="form" noValidate>
        <div className="field">
          <label htmlFor="invite-name">Your name</label>
          <input
            id="invite-name"
            name="name"
            autoComplete="name"
            defaultValue={preview.name ?? ''}
            required
            aria-invalid={result?.field === 'name'}
            aria-describedby="invite-name-error"
          />
          <FieldError id="invite-name-error" message={result?.field === 'name' ? result.message : null} />
        </div>
        <div className="field">
          <label htmlFor="invite-password">
            {preview.has_account ? 'Your password' : 'Choose a password'}
          </label>
          <input
            id="invite-password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            aria-invalid={result?.field === 'password'}
            aria-describedby="invite-password-help invite-password-error"
          />
          <p id="invite-password-help" className="field__help">
            At least 12 characters; common passwords are refused.
          </p>
          <FieldError
            id="invite-password-error"
            message={result?.field === 'password' ? result.message : null}
          />
        </div>
        <div className="form-message" aria-live="assertive">
          {result && result.field === null && <p className="form-message__error">{result.message}</p>}
        </div>
        <button type="submit" className="button button--primary button--block" disabled={busy}>
          {busy ? 'Joining…' : `Join ${preview.workspace_name}`}
        </button>
      </Form>
    </AuthCard>
  )
}
