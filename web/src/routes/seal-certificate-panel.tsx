import { useEffect, useState } from 'react'
import { ApiError, apiRequest } from '../api/client.ts'
import { Notice } from '../components/notice.tsx'
import { StatusBadge } from '../components/status-badge.tsx'
import { formatDateTime } from '../format.ts'

export type SealCertificate = {
  source: 'generated' | 'configured'
  subject: string
  issuer: string
  not_before: string
  not_after: string
  sha256_fingerprint: string
  expired: boolean
}

/** The certificate that seals completed packages (admins): who it names, until when, its fingerprint. */
export function SealCertificatePanel() {
  const [state, setState] = useState<
    | { phase: 'loading' }
    | { phase: 'ready'; certificate: SealCertificate }
    | { phase: 'failed'; message: string }
  >({ phase: 'loading' })

  useEffect(() => {
    const controller = new AbortController()
    apiRequest<SealCertificate>('GET', '/api/admin/seal-certificate', undefined, controller.signal).then(
      (certificate) => setState({ phase: 'ready', certificate }),
      (error: unknown) => {
        if (controller.signal.aborted) return
        setState({ phase: 'failed', message: error instanceof ApiError ? error.message : String(error) })
      },
    )
    return () => controller.abort()
  }, [])

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
              <dd>
                {state.certificate.source === 'generated'
                  ? 'Self-signed, generated for this workspace (demo)'
                  : 'Configured PKCS#12 (SEAL_P12_PATH)'}
              </dd>
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
        </>
      )}
    </section>
  )
}
