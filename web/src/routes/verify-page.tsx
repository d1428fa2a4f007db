import { type DragEvent, useState } from 'react'
import { type ActionFunctionArgs, useFetcher } from 'react-router'
import { ApiError } from '../api/client.ts'
import { type VerifyResult, verifyPdf } from '../api/signings.ts'
import { Spinner } from '../components/loading.tsx'
import { Notice } from '../components/notice.tsx'
import { useFocusWhenShown } from '../focus.ts'
import { formatDateTime } from '../format.ts'
import { SignerFrame } from './signing/signer-frame.tsx'
import './verify-page.css'

export type VerifyOutcome =
  | { phase: 'done'; name: string; result: VerifyResult }
  | { phase: 'failed'; name: string; message: string }

/** The route's action: the chosen file goes to `POST /api/verify`; the answer comes back to the page. */
export async function verifyAction({ request }: ActionFunctionArgs): Promise<VerifyOutcome> {
  const file = (await request.formData()).get('file')
  if (!(file instanceof File)) throw new Response('No file', { status: 400 })
  try {
    return { phase: 'done', name: file.name, result: await verifyPdf(file) }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    return { phase: 'failed', name: file.name, message: error.message }
  }
}

/**
 * Public: anyone drops (or chooses) a PDF and learns whether it is a sealed Safeclose package,
 * byte for byte, with a valid seal. The file goes to `POST /api/verify` and nowhere else.
 */
export function VerifyPage() {
  const fetcher = useFetcher<VerifyOutcome>()
  const [checking, setChecking] = useState<string | null>(null)
  const state =
    fetcher.state !== 'idle' && checking
      ? ({ phase: 'checking', name: checking } as const)
      : (fetcher.data ?? ({ phase: 'idle' } as const))
  const [isOver, setOver] = useState(false)
  // The verdict takes the focus, so a screen reader hears it and it is in view.
  const resultRef = useFocusWhenShown<HTMLDivElement>(fetcher.state === 'idle' ? fetcher.data : null)

  function check(file: File | undefined) {
    if (!file) return
    setChecking(file.name)
    const form = new FormData()
    form.set('file', file)
    void fetcher.submit(form, { method: 'post', encType: 'multipart/form-data' })
  }

  function drop(event: DragEvent<HTMLElement>) {
    event.preventDefault()
    setOver(false)
    check(event.dataTransfer.files[0])
  }

  return (
    <SignerFrame>
      <title>Verify a signed PDF · Safeclose</title>
      <header className="page-header">
        <h1>Verify a signed PDF</h1>
        <p className="page-header__lead">
          Check that a PDF is a package sealed by Safeclose and has not changed since, not even by one byte.
        </p>
      </header>
      <section className="card" aria-labelledby="verify-title">
        <h2 id="verify-title" className="card__title">
          Your file
        </h2>
        <label
          className="drop-zone"
          data-over={isOver}
          onDragOver={(event) => {
            event.preventDefault()
            setOver(true)
          }}
          onDragLeave={() => setOver(false)}
          onDrop={drop}
        >
          <span>Drop a PDF here, or choose one</span>
          <input
            type="file"
            accept="application/pdf,.pdf"
            aria-label="PDF to verify"
            onChange={(event) => {
              check(event.target.files?.[0])
              event.target.value = ''
            }}
          />
        </label>
        <p className="muted">The file is checked by Safeclose's server and not stored.</p>
      </section>

      {state.phase === 'checking' && <Spinner label={`Checking ${state.name}…`} />}
      <div ref={resultRef} className="verify-result">
        {state.phase === 'failed' && (
          <Notice tone="error" title="The file could not be checked" live>
            <p>{state.message}</p>
          </Notice>
        )}
        {state.phase === 'done' && state.result.valid && (
          <Notice tone="success" title="Valid: sealed by Safeclose and unchanged" live>
            <dl className="seal-facts">
              <dt>File</dt>
              <dd>{state.name}</dd>
              <dt>Package</dt>
              <dd>
                <code>{state.result.signing_id}</code>
              </dd>
              <dt>Sealed</dt>
              <dd>{formatDateTime(state.result.sealed_at)}</dd>
              {state.result.sha256 && (
                <>
                  <dt>SHA-256</dt>
                  <dd>
                    <code className="seal-fingerprint">{state.result.sha256}</code>
                  </dd>
                </>
              )}
              <dt>Signers</dt>
              <dd>
                <ul>
                  {state.result.signers.map((signer, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: the server's list, in its order
                    <li key={index}>
                      {signer.name}
                      {signer.signed_at ? ` — signed ${formatDateTime(signer.signed_at)}` : ''}
                    </li>
                  ))}
                </ul>
              </dd>
            </dl>
          </Notice>
        )}
        {state.phase === 'done' && !state.result.valid && (
          <Notice tone="error" title="Not valid" live>
            <p>
              {state.name}: {state.result.reason}
            </p>
          </Notice>
        )}
      </div>
    </SignerFrame>
  )
}
