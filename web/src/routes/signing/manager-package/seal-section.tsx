import { useEffect, useState } from 'react'
import { type SealInfo, type SigningPackage, signingsApi } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { Spinner } from '../../../components/loading.tsx'
import { formatDateTime } from '../../../format.ts'
import { useSealedPdf } from '../use-sealed-pdf.ts'

/** A completed package's sealed PDF (documents, fields stamped, certificate, digital seal). */
export function SealSection({ signing }: { signing: SigningPackage }) {
  const sealedUrl = signingsApi.sealedPdfUrl(signing.id)
  const availability = useSealedPdf(sealedUrl, signing.status === 'complete')
  const fileName = `${signing.title} (signed).pdf`
  const seal = useSealFacts(signing, availability === 'ready')
  return (
    <Card titleId="seal-title" title="Signed PDF">
      {availability === 'waiting' && (
        <p>
          <Spinner label="Sealing the signed PDF…" /> Sealing the signed PDF…
        </p>
      )}
      {availability === 'unavailable' && (
        <p className="form-message__error">The sealed PDF is not available yet. Refresh the page later.</p>
      )}
      {availability === 'ready' && (
        <div className="toolbar">
          <a className="button button--primary" href={sealedUrl} download={fileName}>
            Download signed PDF
          </a>
          <a
            className="button button--secondary"
            href={signingsApi.certificatePdfUrl(signing.id)}
            download={`${signing.title} (certificate).pdf`}
          >
            Certificate of completion (PDF)
          </a>
        </div>
      )}
      {seal && (
        <dl className="seal-facts">
          <dt>Seal SHA-256</dt>
          <dd>
            <code data-testid="seal-sha256">{seal.sha256}</code>
          </dd>
          {seal.sealed_at && (
            <>
              <dt>Sealed</dt>
              <dd>{formatDateTime(seal.sealed_at)}</dd>
            </>
          )}
        </dl>
      )}
      <p className="muted">
        Anyone can check a copy of this file on the <a href="/verify">verification page</a>.
      </p>
    </Card>
  )
}

/** The seal's hash: from the package view, or else from the `signing.sealed` event of its trail. */
function useSealFacts(signing: SigningPackage, isSealed: boolean): SealInfo | null {
  const [fromTrail, setFromTrail] = useState<SealInfo | null>(null)
  const fromView = signing.seal ?? null
  useEffect(() => {
    if (fromView || !isSealed) return
    const controller = new AbortController()
    signingsApi.audit(signing.id, controller.signal).then(
      (trail) => {
        const event = trail.events.findLast((entry) => entry.action === 'signing.sealed')
        const sha256 = event?.details.sha256 ?? event?.details.sealed_sha256
        if (event && typeof sha256 === 'string') setFromTrail({ sha256, sealed_at: event.occurred_at })
      },
      () => {},
    )
    return () => controller.abort()
  }, [signing.id, fromView, isSealed])
  return fromView ?? fromTrail
}
