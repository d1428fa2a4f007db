import { type FormEvent, useState } from 'react'
import { useRevalidator } from 'react-router'
import { ApiError, apiRequest } from '../api/client.ts'
import { Notice } from '../components/notice.tsx'
import { StatusBadge } from '../components/status-badge.tsx'
import { formatDateTime } from '../format.ts'

export type SealCertificate = {
  source: 'generated' | 'uploaded' | 'configured'
  subject: string
  issuer: string
  not_before: string
  not_after: string
  sha256_fingerprint: string
  expired: boolean
}

const SOURCE_LABELS: Record<SealCertificate['source'], string> = {
  generated: 'Self-signed, generated for this workspace (demo)',
  uploaded: 'Uploaded PKCS#12 (stored encrypted)',
  configured: 'Configured on the server (SEAL_P12_PATH)',
}

export function fetchSealCertificate(signal?: AbortSignal): Promise<SealCertificate> {
  return apiRequest<SealCertificate>('GET', '/api/admin/seal-certificate', undefined, signal)
}

/**
 * The certificate that seals completed packages (admins): who it names, until when, its fingerprint.
 * The settings page's loader reads it; a change re-runs that loader.
 */
export function SealCertificatePanel({
  loaded,
}: {
  loaded: { ok: true; value: SealCertificate } | { ok: false; message: string }
}) {
  const state = loaded.ok
    ? ({ phase: 'ready', certificate: loaded.value } as const)
    : ({ phase: 'failed', message: loaded.message } as const)
  const { revalidate } = useRevalidator()

  return (
    <section className="card" aria-labelledby="seal-certificate-title">
      <div className="card__title-row">
        <h2 id="seal-certificate-title" className="card__title">
          Sealing certificate
        </h2>
        {state.phase === 'ready' && (
          <StatusBadge tone={state.certificate.expired ? 'danger' : 'success'}>
            {state.certificate.expired ? 'Expired' : 'Valid'}
          </StatusBadge>
        )}
      </div>
      <p className="muted">
        Completed packages are delivered as one PDF sealed with this certificate, so that PDF readers can
        check that nothing changed after signing.
      </p>
      {state.phase === 'failed' && (
        <Notice tone="error" title="Could not read the sealing certificate">
          <p>{state.message}</p>
        </Notice>
      )}
      {state.phase === 'ready' && (
        <>
          <dl className="details details--stacked">
            <div>
              <dt>Source</dt>
              <dd>{SOURCE_LABELS[state.certificate.source]}</dd>
            </div>
            <div>
              <dt>Subject</dt>
              <dd>{state.certificate.subject}</dd>
            </div>
            <div>
              <dt>Issuer</dt>
              <dd>{state.certificate.issuer}</dd>
            </div>
            <div>
              <dt>Validity</dt>
              <dd>
                {formatDateTime(state.certificate.not_before)} – {formatDateTime(state.certificate.not_after)}
              </dd>
            </div>
            <div>
              <dt>SHA-256 fingerprint</dt>
              <dd>
                <code className="seal-fingerprint">{state.certificate.sha256_fingerprint}</code>
              </dd>
            </div>
          </dl>
          {state.certificate.expired && (
            <Notice tone="warning" title="Packages cannot be activated">
              <p>The sealing certificate has expired: configure a new one before sending packages.</p>
            </Notice>
          )}
          {state.certificate.source === 'configured' ? (
            <p className="muted">
              The server's SEAL_P12_PATH certificate applies to every workspace; an upload here would not be
              used.
            </p>
          ) : (
            <UploadCertificateForm certificate={state.certificate} onChanged={() => void revalidate()} />
          )}
        </>
      )}
    </section>
  )
}

/** Replace the workspace's certificate with a PKCS#12 file (.p12/.pfx), or remove an uploaded one. */
function UploadCertificateForm({
  certificate,
  onChanged,
}: {
  certificate: SealCertificate
  onChanged(certificate: SealCertificate): void
}) {
  const [file, setFile] = useState<File | null>(null)
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ tone: 'success' | 'error'; text: string } | null>(null)

  async function run(work: () => Promise<SealCertificate>, done: string, form?: HTMLFormElement) {
    setBusy(true)
    setMessage(null)
    try {
      onChanged(await work())
      setMessage({ tone: 'success', text: done })
      setFile(null)
      setPassword('')
      form?.reset()
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      setMessage({ tone: 'error', text: error.message })
    } finally {
      setBusy(false)
    }
  }

  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!file) return
    const form = event.currentTarget
    const p12_base64 = await fileToBase64(file)
    await run(
      () => apiRequest<SealCertificate>('PUT', '/api/admin/seal-certificate', { p12_base64, password }),
      'Certificate uploaded: new packages are sealed with it.',
      form,
    )
  }

  return (
    <form className="form signing-subform" aria-label="Upload a sealing certificate" onSubmit={upload}>
      <div className="field">
        <label htmlFor="seal-p12">PKCS#12 file (.p12 or .pfx) with the certificate and its private key</label>
        <input
          id="seal-p12"
          type="file"
          accept=".p12,.pfx,application/x-pkcs12"
          required
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
      </div>
      <div className="field">
        <label htmlFor="seal-p12-password">File password</label>
        <input
          id="seal-p12-password"
          type="password"
          autoComplete="off"
          value={password}
          maxLength={500}
          onChange={(event) => setPassword(event.target.value)}
        />
      </div>
      {message && (
        <p className={message.tone === 'error' ? 'form-message__error' : 'muted'} role="status">
          {message.text}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="button button--secondary" disabled={busy || !file}>
          Upload certificate
        </button>
        {certificate.source === 'uploaded' && (
          <button
            type="button"
            className="button button--ghost"
            disabled={busy}
            onClick={() =>
              run(
                () => apiRequest<SealCertificate>('DELETE', '/api/admin/seal-certificate'),
                'Uploaded certificate removed: a self-signed demo certificate is used again.',
              )
            }
          >
            Remove uploaded certificate
          </button>
        )}
      </div>
    </form>
  )
}

function fileToBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''))
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })
}
