import { type SigningPackage, signingsApi } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { Spinner } from '../../../components/loading.tsx'
import { formatDateTime } from '../../../format.ts'
import { useRevalidateWhile } from '../use-sealed-pdf.ts'

/** A completed package's sealed PDF (documents with their fields stamped, certificate, digital seal). */
export function SealSection({ signing }: { signing: SigningPackage }) {
  const seal = signing.seal ?? null
  // Sealing runs as a job after the last signature: re-read the page until the seal is there.
  useRevalidateWhile(signing.status === 'complete' && !seal)
  return (
    <Card titleId="seal-title" title="Signed PDF">
      {seal ? (
        <>
          <div className="toolbar">
            <a
              className="button button--primary"
              href={seal.download_url ?? signingsApi.sealedPdfUrl(signing.id)}
              download={`${signing.title} (signed).pdf`}
            >
              Download signed PDF
            </a>
            <a
              className="button button--secondary"
              href={signing.certificate_pdf_url ?? signingsApi.certificatePdfUrl(signing.id)}
              download={`${signing.title} (certificate).pdf`}
            >
              Certificate of completion (PDF)
            </a>
          </div>
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
            {seal.pages ? (
              <>
                <dt>Pages</dt>
                <dd>{seal.pages}</dd>
              </>
            ) : null}
          </dl>
          <p className="muted">
            Anyone can check a copy of this file on the <a href="/verify">verification page</a>.
          </p>
        </>
      ) : (
        <p>
          <Spinner label="Sealing the signed PDF…" /> Sealing the signed PDF: the documents with every field
          filled in, the certificate of completion, and a digital seal.
        </p>
      )}
    </Card>
  )
}
