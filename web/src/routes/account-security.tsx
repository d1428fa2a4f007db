import { useId, useState } from 'react'
import {
  type ActionFunctionArgs,
  Form,
  type LoaderFunctionArgs,
  useActionData,
  useLoaderData,
  useNavigation,
} from 'react-router'
import { ApiError } from '../api/client.ts'
import {
  disableTotp,
  enableTotp,
  fetchSecurityPolicy,
  fetchTwoFactorStatus,
  reauthenticate,
  setUpTotp,
  type TwoFactorStatus,
  updateSecurityPolicy,
} from '../api/two-factor.ts'
import { Card } from '../components/card.tsx'
import { Notice } from '../components/notice.tsx'
import { QrCode } from '../components/qr-code.tsx'
import { StatusBadge } from '../components/status-badge.tsx'
import { ChangePasswordForm } from './account/change-password-form.tsx'
import { useSession } from './app-shell.tsx'
import './account-security.css'

type LoaderData = { status: TwoFactorStatus; policy: { require_two_factor: boolean } | null }

type ActionResult =
  | { intent: 'setup'; secret: string; otpauthUrl: string }
  | { intent: 'enable'; recoveryCodes: string[] }
  | { intent: 'disabled' }
  | { intent: 'policy'; saved: boolean }
  /** `field` names the input the error belongs next to; null: the form as a whole. */
  | {
      intent: 'error'
      form: 'setup' | 'enable' | 'disable' | 'policy'
      field: string | null
      message: string
      secret?: string
      otpauthUrl?: string
    }

export async function accountSecurityLoader({ request }: LoaderFunctionArgs): Promise<LoaderData> {
  const status = await fetchTwoFactorStatus(request.signal)
  let policy: LoaderData['policy'] = null
  try {
    policy = await fetchSecurityPolicy(request.signal)
  } catch (error) {
    // Not an administrator (403), or held by the policy itself: the section is simply not shown.
    if (!(error instanceof ApiError && error.status === 403)) throw error
  }
  return { status, policy }
}

export async function accountSecurityAction({ request }: ActionFunctionArgs): Promise<ActionResult> {
  const form = await request.formData()
  const intent = String(form.get('intent'))
  try {
    if (intent === 'setup') {
      const { secret, otpauth_url } = await setUpTotp()
      return { intent: 'setup', secret, otpauthUrl: otpauth_url }
    }
    if (intent === 'enable') {
      const code = String(form.get('code') ?? '').trim()
      try {
        const { recovery_codes } = await enableTotp(code)
        return { intent: 'enable', recoveryCodes: recovery_codes }
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        // Keep the QR code and secret on screen so the user can try the next code.
        return {
          intent: 'error',
          form: 'enable',
          field: 'code',
          message:
            error.code === 'VALIDATION_FAILED'
              ? 'Enter the 6-digit code from your authenticator app.'
              : error.message,
          secret: String(form.get('secret') ?? ''),
          otpauthUrl: String(form.get('otpauth_url') ?? ''),
        }
      }
    }
    if (intent === 'disable') {
      try {
        await reauthenticate(String(form.get('password') ?? ''))
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        return { intent: 'error', form: 'disable', field: 'password', message: error.message }
      }
      try {
        await disableTotp(String(form.get('code') ?? '').trim())
      } catch (error) {
        if (!(error instanceof ApiError)) throw error
        const message =
          error.code === 'VALIDATION_FAILED'
            ? 'Enter a 6-digit code from your app or one of your recovery codes.'
            : error.message
        return { intent: 'error', form: 'disable', field: 'code', message }
      }
      return { intent: 'disabled' }
    }
    if (intent === 'policy') {
      await updateSecurityPolicy(form.get('require_two_factor') === 'on')
      return { intent: 'policy', saved: true }
    }
    throw new Error(`Unknown form intent "${intent}"`)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    const formName = intent === 'policy' ? 'policy' : 'setup'
    return { intent: 'error', form: formName, field: null, message: error.message }
  }
}

export function AccountSecurityPage() {
  const { status, policy } = useLoaderData<typeof accountSecurityLoader>()
  const result = useActionData<ActionResult>()
  return (
    <>
      <title>Account security · Safeclose</title>
      <header className="page-header">
        <h1>Account security</h1>
        <p className="page-header__lead">Two-factor sign-in protects your account if your password leaks.</p>
      </header>
      {status.required && !status.totp_enabled && (
        <Notice tone="warning" title="Two-factor sign-in is required">
          <p>
            Your workspace requires administrators and managers to use two-factor sign-in. Set it up below to
            continue working.
          </p>
        </Notice>
      )}
      <div className="settings-layout">
        {result?.intent === 'enable' ? (
          <RecoveryCodes codes={result.recoveryCodes} />
        ) : status.totp_enabled ? (
          <EnabledCard status={status} result={result} />
        ) : (
          <SetupCard result={result} />
        )}
        {policy && <PolicyCard policy={policy} result={result} />}
        <ChangePasswordForm />
      </div>
    </>
  )
}

function SetupCard({ result }: { result: ActionResult | undefined }) {
  const navigation = useNavigation()
  const busy = navigation.state === 'submitting'
  const ids = useId()
  const secret =
    result?.intent === 'setup'
      ? result
      : result?.intent === 'error' && result.form === 'enable'
        ? result
        : null
  const error = result?.intent === 'error' ? result : null
  return (
    <Card titleId={`${ids}-title`} title="Authenticator app">
      <p>
        <StatusBadge tone="neutral">Off</StatusBadge> Sign in with your password and a code from an
        authenticator app (1Password, Google Authenticator, Microsoft Authenticator…).
      </p>
      {result?.intent === 'disabled' && (
        <Notice tone="success" live>
          Two-factor sign-in is off.
        </Notice>
      )}
      {!secret?.secret ? (
        <Form method="post" className="form">
          <input type="hidden" name="intent" value="setup" />
          {error?.form === 'setup' && (
            <Notice tone="error" live>
              {error.message}
            </Notice>
          )}
          <button type="submit" className="button button--primary" disabled={busy}>
            Set up authenticator app
          </button>
        </Form>
      ) : (
        <>
          <ol>
            <li>Scan this QR code with your authenticator app.</li>
            <li>
              Or type this key into the app: <code id={`${ids}-secret`}>{groupSecret(secret.secret)}</code>
            </li>
            <li>Enter the 6-digit code the app shows.</li>
          </ol>
          {secret.otpauthUrl && (
            <QrCode value={secret.otpauthUrl} label="QR code to add Safeclose to your authenticator app" />
          )}
          <Form method="post" className="form">
            <input type="hidden" name="intent" value="enable" />
            <input type="hidden" name="secret" value={secret.secret} />
            <input type="hidden" name="otpauth_url" value={secret.otpauthUrl} />
            <div className="field">
              <label htmlFor={`${ids}-code`}>Code from the app</label>
              <input
                id={`${ids}-code`}
                name="code"
                required
                autoComplete="one-time-code"
                inputMode="numeric"
                maxLength={12}
                aria-invalid={error?.form === 'enable' ? true : undefined}
                aria-describedby={`${ids}-code-error`}
              />
              <div id={`${ids}-code-error`} className="form-message" aria-live="assertive" aria-atomic="true">
                {error?.form === 'enable' && <p className="form-message__error">{error.message}</p>}
              </div>
            </div>
            <button type="submit" className="button button--primary" disabled={busy}>
              Turn on two-factor sign-in
            </button>
          </Form>
        </>
      )}
    </Card>
  )
}

function RecoveryCodes({ codes }: { codes: string[] }) {
  const ids = useId()
  const [copied, setCopied] = useState(false)
  return (
    <Card titleId={`${ids}-title`} title="Save your recovery codes">
      <Notice tone="success" live>
        Two-factor sign-in is on.
      </Notice>
      <p>
        If you lose your phone, each of these codes signs you in once instead of a code from the app. They are
        shown only now: copy them into your password manager or print this page, and keep them safe.
      </p>
      <ul className="recovery-codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="form-actions">
        <button
          type="button"
          className="button button--secondary"
          onClick={() => {
            navigator.clipboard?.writeText(codes.join('\n')).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }}
        >
          Copy codes
        </button>
        <button type="button" className="button button--secondary" onClick={() => window.print()}>
          Print
        </button>
        <span className="form-actions__meta" role="status">
          {copied ? 'Copied.' : ''}
        </span>
      </div>
      <p>
        <a href="/account/security">Done</a>
      </p>
    </Card>
  )
}

function EnabledCard({ status, result }: { status: TwoFactorStatus; result: ActionResult | undefined }) {
  const navigation = useNavigation()
  const busy = navigation.state === 'submitting'
  const ids = useId()
  const error = result?.intent === 'error' && result.form === 'disable' ? result : null
  return (
    <Card titleId={`${ids}-title`} title="Authenticator app">
      <p>
        <StatusBadge tone="success">On</StatusBadge> Signing in asks for a code from your authenticator app.
        Recovery codes left: <strong>{status.recovery_codes_remaining}</strong>.
      </p>
      <Form method="post" className="form" aria-labelledby={`${ids}-disable`}>
        <h3 id={`${ids}-disable`}>Turn off two-factor sign-in</h3>
        <input type="hidden" name="intent" value="disable" />
        <div className="field">
          <label htmlFor={`${ids}-password`}>Current password</label>
          <input
            id={`${ids}-password`}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            aria-invalid={error?.field === 'password' ? true : undefined}
            aria-describedby={`${ids}-password-error`}
          />
          <div id={`${ids}-password-error`} className="form-message" aria-live="assertive" aria-atomic="true">
            {error?.field === 'password' && <p className="form-message__error">{error.message}</p>}
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-code`}>Code from the app or a recovery code</label>
          <input
            id={`${ids}-code`}
            name="code"
            required
            autoComplete="one-time-code"
            spellCheck={false}
            maxLength={32}
            aria-invalid={error?.field === 'code' ? true : undefined}
            aria-describedby={`${ids}-code-error`}
          />
          <div id={`${ids}-code-error`} className="form-message" aria-live="assertive" aria-atomic="true">
            {error?.field === 'code' && <p className="form-message__error">{error.message}</p>}
          </div>
        </div>
        <button type="submit" className="button button--danger" disabled={busy}>
          Turn off
        </button>
      </Form>
    </Card>
  )
}

function PolicyCard({
  policy,
  result,
}: {
  policy: { require_two_factor: boolean }
  result: ActionResult | undefined
}) {
  const session = useSession()
  const ids = useId()
  const error = result?.intent === 'error' && result.form === 'policy' ? result : null
  return (
    <Form method="post" className="card form" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} className="card__title">
        Workspace policy
      </h2>
      <input type="hidden" name="intent" value="policy" />
      <label className="checkbox">
        <input
          type="checkbox"
          name="require_two_factor"
          defaultChecked={policy.require_two_factor}
          aria-describedby={`${ids}-help ${ids}-error`}
        />{' '}
        Administrators and managers of {session.workspace.name} must use two-factor sign-in
      </label>
      <p id={`${ids}-help`} className="field__help">
        Until they set it up, they can only reach this page.
      </p>
      <div id={`${ids}-error`} className="form-message" aria-live="assertive" aria-atomic="true">
        {error && <p className="form-message__error">{error.message}</p>}
        {result?.intent === 'policy' && <p className="form-message__success">Saved.</p>}
      </div>
      <button type="submit" className="button button--secondary">
        Save policy
      </button>
    </Form>
  )
}

/** ABCD EFGH …: easier to type from the screen. */
function groupSecret(secret: string): string {
  return secret.replaceAll(/(.{4})(?=.)/g, '$1 ')
}
