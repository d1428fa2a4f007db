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
import { ApiError, apiRequest } from '../../api/client.ts'
import { HOME_PATH, SIGN_IN_PATH } from '../../navigation.ts'
import { AuthCard, FieldError } from './auth-card.tsx'

const FIELDS = ['workspace_name', 'name', 'email', 'password'] as const
type Field = (typeof FIELDS)[number]

export async function setupLoader({ params }: LoaderFunctionArgs) {
  try {
    await apiRequest('POST', '/api/setup/preview', { token: params.token ?? '' })
    return { ok: true as const }
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return { ok: false as const, message: error.message }
    throw error
  }
}

export async function setupAction({ request, params }: ActionFunctionArgs) {
  const form = await request.formData()
  const body = Object.fromEntries(FIELDS.map((field) => [field, String(form.get(field) ?? '')]))
  try {
    await apiRequest('POST', '/api/setup', { token: params.token ?? '', ...body })
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const field = FIELDS.find(
      (name) => error.message.startsWith(`body.${name}`) || error.message.startsWith(`${name}:`),
    )
    return { field: field ?? null, message: error.message }
  }
  return redirectDocument(HOME_PATH)
}

/** First run: name the workspace and create its first administrator with the printed setup link. */
export function SetupPage() {
  const data = useLoaderData<typeof setupLoader>()
  const result = useActionData<typeof setupAction>()
  const busy = useNavigation().state !== 'idle'
  if (!data.ok) {
    return (
      <AuthCard title="This setup link cannot be used">
        <title>Set up Safeclose</title>
        <p role="alert">{data.message}</p>
        <p>
          <Link to={SIGN_IN_PATH}>Go to sign in</Link>
        </p>
      </AuthCard>
    )
  }
  const errorOf = (field: Field) => (result?.field === field ? result.message : null)
  const input = (
    field: Field,
    label: string,
    props: { type?: string; autoComplete: string; help?: string },
  ) => (
    <div className="field">
      <label htmlFor={`setup-${field}`}>{label}</label>
      <input
        id={`setup-${field}`}
        name={field}
        type={props.type ?? 'text'}
        autoComplete={props.autoComplete}
        required
        aria-invalid={errorOf(field) !== null}
        aria-describedby={`setup-${field}-help setup-${field}-error`}
      />
      {props.help && (
        <p id={`setup-${field}-help`} className="field__help">
          {props.help}
        </p>
      )}
      <FieldError id={`setup-${field}-error`} message={errorOf(field)} />
    </div>
  )
  return (
    <AuthCard title="Set up Safeclose">
      <title>Set up Safeclose</title>
      <p>Name your workspace and create its first administrator. This link works once.</p>
      <Form method="post" className="form" noValidate>
        {input('workspace_name', 'Workspace name', {
          autoComplete: 'organization',
          help: 'Your company, e.g. Acme Title',
        })}
        {input('name', 'Your name', { autoComplete: 'name' })}
        {input('email', 'Email', { type: 'email', autoComplete: 'username' })}
        {input('password', 'Password', {
          type: 'password',
          autoComplete: 'new-password',
          help: 'At least 12 characters; common passwords are refused.',
        })}
        <div className="form-message" aria-live="assertive">
          {result && result.field === null && <p className="form-message__error">{result.message}</p>}
        </div>
        <button type="submit" className="button button--primary button--block" disabled={busy}>
          Create the workspace
        </button>
      </Form>
    </AuthCard>
  )
}
