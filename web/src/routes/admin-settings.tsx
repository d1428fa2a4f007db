import { useEffect, useId, useRef } from 'react'
import {
  type ActionFunctionArgs,
  Form,
  type LoaderFunctionArgs,
  useActionData,
  useLoaderData,
  useNavigation,
} from 'react-router'
import { ApiError, refusalOf } from '../api/client.ts'
import { type PayoutPolicy, payoutPolicyApi } from '../api/payout.ts'
import {
  fetchPlaidSettings,
  isPlaidEnvironment,
  PLAID_ENVIRONMENTS,
  type PlaidSettings,
  type PlaidSettingsUpdate,
  updatePlaidSettings,
} from '../api/plaid-settings.ts'
import { type OwnershipPolicy, ownershipPolicyApi } from '../api/signings.ts'
import { Notice } from '../components/notice.tsx'
import { StatusBadge } from '../components/status-badge.tsx'
import { useInvalidInput } from '../focus.ts'
import { formatDateTime } from '../format.ts'
import { useSession } from './app-shell.tsx'
import { OwnershipPolicyPanel } from './ownership-policy-panel.tsx'
import { PayoutPolicyPanel } from './payout-policy-panel.tsx'
import {
  fetchSealCertificate,
  type SealCertificate,
  SealCertificatePanel,
} from './seal-certificate-panel.tsx'
import './admin-settings.css'

/** A panel's own data: one that fails to load says so in its panel, the rest of the page still works. */
export type PanelData<T> = { ok: true; value: T } | { ok: false; message: string }

async function panelData<T>(load: Promise<T>): Promise<PanelData<T>> {
  try {
    return { ok: true, value: await load }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return { ok: false, message: error.message }
  }
}

type SettingsLoaderData =
  | {
      access: 'granted'
      settings: PlaidSettings
      sealCertificate: PanelData<SealCertificate>
      payoutPolicy: PanelData<PayoutPolicy>
      ownershipPolicy: PanelData<OwnershipPolicy>
    }
  | { access: 'forbidden'; message: string }

type SaveResult =
  | { outcome: 'saved' }
  | { outcome: 'failed'; message: string; requestId: string | null; field?: string | null }

export async function adminSettingsLoader({ request }: LoaderFunctionArgs): Promise<SettingsLoaderData> {
  try {
    const [settings, sealCertificate, payoutPolicy, ownershipPolicy] = await Promise.all([
      fetchPlaidSettings(request.signal),
      panelData(fetchSealCertificate(request.signal)),
      panelData(payoutPolicyApi.get(request.signal)),
      panelData(ownershipPolicyApi.get(request.signal)),
    ])
    return { access: 'granted', settings, sealCertificate, payoutPolicy, ownershipPolicy }
  } catch (error) {
    if (error instanceof ApiError && error.status === 403)
      return { access: 'forbidden', message: error.message }
    throw error
  }
}

export async function adminSettingsAction({ request }: ActionFunctionArgs): Promise<SaveResult> {
  const update = settingsUpdateFrom(await request.formData())
  if (typeof update === 'string') return { outcome: 'failed', message: update, requestId: null }
  try {
    await updatePlaidSettings(update)
    return { outcome: 'saved' }
  } catch (error) {
    return { outcome: 'failed', ...refusalOf(error) }
  }
}

/** The PUT body for the submitted form, or a sentence explaining why it cannot be sent. */
function settingsUpdateFrom(form: FormData): PlaidSettingsUpdate | string {
  const environment = form.get('environment')
  if (!isPlaidEnvironment(environment)) return 'Choose a Plaid environment.'
  const clientId = String(form.get('client_id') ?? '').trim()
  const webhookBaseUrl = String(form.get('webhook_base_url') ?? '').trim()
  const oauthRedirectUri = String(form.get('oauth_redirect_uri') ?? '').trim()
  if (oauthRedirectUri !== '' && !/^https:\/\/[^\s?#]+$/.test(oauthRedirectUri)) {
    return 'The OAuth redirect URI must be an https address without a query or fragment.'
  }
  const newSecret = String(form.get('secret') ?? '')
  const clearSecret = form.get('clear_secret') === 'on'
  if (clearSecret && newSecret !== '') {
    return 'Either type a new secret or remove the stored one, not both.'
  }
  const update: PlaidSettingsUpdate = {
    environment,
    client_id: clientId === '' ? null : clientId,
    // Blank means "no override": the server falls back to its own public URL.
    webhook_base_url: webhookBaseUrl === '' ? null : webhookBaseUrl,
    // Blank means none: OAuth banks then open in a popup only, which mobile browsers may block.
    oauth_redirect_uri: oauthRedirectUri === '' ? null : oauthRedirectUri,
  }
  // The secret is write-only: an empty field keeps the stored one.
  if (newSecret !== '') update.secret = newSecret
  if (clearSecret) update.secret = null
  return update
}

export function AdminSettingsPage() {
  const data = useLoaderData<typeof adminSettingsLoader>()
  return (
    <>
      <title>Workspace settings · Safeclose</title>
      <header className="page-header">
        <h1>Workspace settings</h1>
        <p className="page-header__lead">
          How this workspace connects to Plaid for bank-account verification.
        </p>
      </header>
      {data.access === 'granted' ? (
        <>
          <PlaidSettingsForm settings={data.settings} sealCertificate={data.sealCertificate} />
          <OwnershipPolicyPanel loaded={data.ownershipPolicy} />
          <PayoutPolicyPanel loaded={data.payoutPolicy} />
        </>
      ) : (
        <ForbiddenNotice message={data.message} />
      )}
    </>
  )
}

function ForbiddenNotice({ message }: { message: string }) {
  const session = useSession()
  return (
    <Notice tone="error" title="Administrators only">
      <p>
        Plaid settings are managed by the administrators of {session.workspace.name}; ask one of them if
        something needs to change.
      </p>
      <p className="muted">{message}</p>
    </Notice>
  )
}

function PlaidSettingsForm({
  settings,
  sealCertificate,
}: {
  settings: PlaidSettings
  sealCertificate: PanelData<SealCertificate>
}) {
  const result = useActionData<typeof adminSettingsAction>()
  const navigation = useNavigation()
  const saving = navigation.state === 'submitting'
  const formRef = useRef<HTMLFormElement>(null)
  const ids = useId()

  // After a save the loader has already re-read the settings; resetting the form applies them as the new
  // defaults and, above all, empties the write-only secret field.
  useEffect(() => {
    if (result?.outcome === 'saved') formRef.current?.reset()
  }, [result])
  // A refused value: its input is marked and focused, described by the message.
  useInvalidInput(
    formRef,
    result?.outcome === 'failed' ? (result.field ?? null) : null,
    `${ids}-error`,
    result,
  )

  return (
    <div className="settings-layout">
      <Form method="put" ref={formRef} className="card form" aria-labelledby={`${ids}-title`}>
        <h2 id={`${ids}-title`} className="card__title">
          Plaid connection
        </h2>

        <fieldset className="choice-group">
          <legend>Environment</legend>
          {PLAID_ENVIRONMENTS.map((environment) => (
            <label key={environment.value} className="choice">
              <input
                type="radio"
                name="environment"
                value={environment.value}
                defaultChecked={settings.environment === environment.value}
                aria-describedby={`${ids}-${environment.value}`}
                required
              />
              <span className="choice__text">
                <span className="choice__label">{environment.label}</span>
                <span id={`${ids}-${environment.value}`} className="choice__description">
                  {environment.description}
                </span>
              </span>
            </label>
          ))}
        </fieldset>

        <div className="field">
          <label htmlFor={`${ids}-client-id`}>Client ID</label>
          <input
            id={`${ids}-client-id`}
            name="client_id"
            defaultValue={settings.client_id ?? ''}
            autoComplete="off"
            spellCheck={false}
          />
        </div>

        <div className="field">
          <div className="field__label-row">
            <label htmlFor={`${ids}-secret`}>Secret</label>
            <StatusBadge tone={settings.secret_set ? 'success' : 'neutral'}>
              {settings.secret_set ? 'Set' : 'Not set'}
            </StatusBadge>
          </div>
          <input
            id={`${ids}-secret`}
            name="secret"
            type="password"
            autoComplete="new-password"
            spellCheck={false}
            placeholder={settings.secret_set ? '••••••••••••' : ''}
            aria-describedby={`${ids}-secret-help`}
          />
          <p id={`${ids}-secret-help`} className="field__help">
            {settings.secret_set
              ? 'Leave blank to keep the stored secret. It is never shown again.'
              : 'Stored encrypted; it is never shown again after saving.'}
          </p>
          {settings.secret_set && (
            <label className="checkbox">
              <input type="checkbox" name="clear_secret" /> Remove the stored secret
            </label>
          )}
        </div>

        <div className="field">
          <label htmlFor={`${ids}-webhook`}>Webhook base URL</label>
          <input
            id={`${ids}-webhook`}
            name="webhook_base_url"
            type="url"
            inputMode="url"
            defaultValue={settings.webhook_base_url}
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${ids}-webhook-help`}
          />
          <p id={`${ids}-webhook-help`} className="field__help">
            Plaid sends item webhooks to this origin at <code>/api/webhooks/plaid</code>.
          </p>
        </div>

        <div className="field">
          <label htmlFor={`${ids}-oauth`}>OAuth redirect URI</label>
          <input
            id={`${ids}-oauth`}
            name="oauth_redirect_uri"
            type="url"
            inputMode="url"
            defaultValue={settings.oauth_redirect_uri ?? ''}
            placeholder="https://closings.example.com/oauth-return"
            autoComplete="off"
            spellCheck={false}
            aria-describedby={`${ids}-oauth-help`}
          />
          <p id={`${ids}-oauth-help`} className="field__help">
            For Plaid sandbox and production: register{' '}
            <code>https://&lt;your Safeclose address&gt;/oauth-return</code> in the Plaid Dashboard under
            Allowed redirect URIs, then enter it here. Phones come back to it from banks that sign in with
            OAuth. The emulator always uses this server's own address.
          </p>
        </div>

        <div className="form-message" aria-live="polite" aria-atomic="true">
          {result?.outcome === 'saved' && <p className="form-message__success">Settings saved.</p>}
          {result?.outcome === 'failed' && (
            <p className="form-message__error" id={`${ids}-error`} role="alert">
              {result.message}
              {result.requestId && <span className="muted"> (request {result.requestId})</span>}
            </p>
          )}
        </div>

        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={saving}>
            {saving ? 'Saving…' : 'Save settings'}
          </button>
          {settings.updated_at && (
            <p className="muted form-actions__meta">
              Last changed {formatDateTime(settings.updated_at)}
              {settings.updated_by && <> by {settings.updated_by}</>}
            </p>
          )}
        </div>
      </Form>

      <EncryptionKeyPanel encryption={settings.encryption} />
      <SealCertificatePanel loaded={sealCertificate} />
    </div>
  )
}

function EncryptionKeyPanel({ encryption }: { encryption: PlaidSettings['encryption'] }) {
  return (
    <section className="card" aria-labelledby="encryption-title">
      <div className="card__title-row">
        <h2 id="encryption-title" className="card__title">
          Encryption key
        </h2>
        <StatusBadge tone={encryption.configured ? 'success' : 'danger'}>
          {encryption.configured ? 'Configured' : 'Missing'}
        </StatusBadge>
      </div>
      <p className="muted">
        Plaid secrets and bank access tokens are stored encrypted with this key. Without it, bank links cannot
        be saved.
      </p>
      <dl className="details details--stacked">
        <div>
          <dt>Active key ID</dt>
          <dd>{encryption.active_key_id ? <code>{encryption.active_key_id}</code> : 'None'}</dd>
        </div>
      </dl>
      {encryption.problem && (
        <Notice tone="warning" title="Problem">
          <p>{encryption.problem}</p>
        </Notice>
      )}
    </section>
  )
}
