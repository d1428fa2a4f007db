import { type FormEvent, lazy, Suspense, useEffect, useState } from 'react'
import {
  type SignerDocumentContent,
  type SignerFlow,
  type SignerStep,
  signerApi,
} from '../../api/signings.ts'
import { Spinner } from '../../components/loading.tsx'
import { Notice } from '../../components/notice.tsx'
import { formatDateTime } from '../../format.ts'
import { accountLabel, VerdictBadge } from './badges.tsx'
import { BankStep } from './bank-step.tsx'
import { MarkdownView } from './markdown-view.tsx'
import { SignerFrame } from './signer-frame.tsx'
import { useAction, useAsync } from './use-async.ts'
import { usePollUntilSealed } from './use-sealed-pdf.ts'

// pdf.js and signature_pad load only for signers who have fields to fill.
const FieldSignStep = lazy(async () => ({
  default: (await import('./signer-field-step.tsx')).FieldSignStep,
}))

const STEPS: ReadonlyArray<{ step: SignerStep; label: string }> = [
  { step: 'review', label: 'Review documents' },
  { step: 'bank', label: 'Verify bank account' },
  { step: 'sign', label: 'Sign' },
  { step: 'done', label: 'Done' },
]

/** The signer's whole task on one page; the server decides the step, so coming back resumes it. */
export function SignerFlowPage() {
  const { state, replace, reload } = useAsync((signal) => signerApi.flow(signal), [])

  if (state.phase === 'loading') {
    return (
      <SignerFrame>
        <Spinner label="Loading your signing package…" />
      </SignerFrame>
    )
  }
  if (state.phase === 'failed') {
    return (
      <SignerFrame>
        <title>Signing · Safeclose</title>
        <Notice tone="error" title="Your signing session is not open">
          <p>
            {state.error.status === 401 || state.error.status === 403
              ? 'Open the signing link from your invitation again to continue.'
              : state.error.message}
          </p>
        </Notice>
      </SignerFrame>
    )
  }
  const flow = state.data
  const visibleSteps = STEPS.filter((entry) => entry.step !== 'bank' || flow.signer.bank_required)
  const currentIndex = visibleSteps.findIndex((entry) => entry.step === flow.step)

  return (
    <SignerFrame>
      <title>{`${flow.signing.title} · Safeclose`}</title>
      <header className="page-header">
        <h1>{flow.signing.title}</h1>
        <p className="page-header__lead">
          From {flow.workspace_name} for {flow.signer.legal_name}
        </p>
        {flow.signing.note && <p className="page-header__lead">{flow.signing.note}</p>}
      </header>
      <ol className="signer-steps" aria-label="Progress">
        {visibleSteps.map((entry, index) => (
          <li
            key={entry.step}
            data-state={
              index < currentIndex || flow.step === 'done'
                ? 'done'
                : index === currentIndex
                  ? 'current'
                  : 'todo'
            }
            aria-current={index === currentIndex ? 'step' : undefined}
          >
            {entry.label}
          </li>
        ))}
      </ol>

      {flow.step === 'review' && <ReviewStep flow={flow} onReviewed={reload} />}
      {flow.step === 'bank' && <BankStep flow={flow} onVerified={replace} onChanged={reload} />}
      {flow.step === 'sign' &&
        (flow.documents.some((document) => (document.fields?.length ?? 0) > 0) ? (
          <Suspense fallback={<Spinner label="Loading your documents…" />}>
            <FieldSignStep flow={flow} onSigned={replace} />
          </Suspense>
        ) : (
          <SignStep flow={flow} onSigned={replace} />
        ))}
      {flow.step === 'done' && <DoneStep flow={flow} onUpdate={replace} />}
      {flow.step === 'closed' && (
        <Notice tone="warning" title="This package is closed">
          <p>It is no longer open for signing. Contact the sender if you think this is a mistake.</p>
        </Notice>
      )}
    </SignerFrame>
  )
}

function DoneStep({ flow, onUpdate }: { flow: SignerFlow; onUpdate(flow: SignerFlow): void }) {
  const isComplete = flow.signing.status === 'complete'
  // Other signers may still be signing, then sealing runs as a job: the page follows both.
  usePollUntilSealed(!flow.seal, (signal) => signerApi.flow(signal), onUpdate)
  return (
    <section className="card" aria-labelledby="done-title">
      <h2 id="done-title" className="card__title">
        You have signed
      </h2>
      <p>
        Signed {flow.signer.signed_at ? formatDateTime(flow.signer.signed_at) : ''}. The sender has been
        notified through Safeclose; you can close this page.
      </p>
      {flow.seal ? (
        <p>
          <a
            className="button button--primary"
            href={flow.seal.download_url ?? signerApi.sealedPdfUrl}
            download={`${flow.signing.title} (signed).pdf`}
          >
            Download signed PDF
          </a>
        </p>
      ) : isComplete ? (
        <p>
          <Spinner label="Sealing the signed PDF…" /> Sealing the signed PDF…
        </p>
      ) : (
        <p className="muted">The signed PDF will be ready here once every signer has signed.</p>
      )}
    </section>
  )
}

function ReviewStep({ flow, onReviewed }: { flow: SignerFlow; onReviewed(): void }) {
  const next = flow.documents.find((document) => !document.viewed) ?? flow.documents.at(-1)
  const [content, setContent] = useState<SignerDocumentContent | null>(null)
  const action = useAction()

  useEffect(() => {
    if (!next) return
    setContent(null)
    void action.run(() => signerApi.document(next.id)).then((loaded) => loaded && setContent(loaded))
  }, [next, action.run])

  if (!next) return null
  const remaining = flow.documents.filter((document) => !document.viewed && document.id !== next.id).length
  return (
    <section className="card" aria-labelledby="document-title">
      <p className="muted">
        Document {next.position} of {flow.documents.length}
      </p>
      <h2 id="document-title" className="card__title">
        {next.title}
      </h2>
      {action.error && <Notice tone="error">{action.error}</Notice>}
      {!content && !action.error && <Spinner label="Loading the document…" />}
      {content?.markdown !== null && content?.markdown !== undefined && (
        <article className="document-view">
          <MarkdownView source={content.markdown} />
        </article>
      )}
      {content?.pdf_url && (
        <>
          {/* The server answers it inline under a policy with no scripts; only our pages may frame it. */}
          <iframe className="document-pdf" title={`${content.title} (PDF)`} src={content.pdf_url} />
          <p>
            <a className="button button--secondary" download={`${content.title}.pdf`} href={content.pdf_url}>
              Download PDF
            </a>
          </p>
        </>
      )}
      <p className="muted">
        SHA-256 <code>{next.sha256}</code>
      </p>
      <div className="form-actions">
        <button type="button" className="button button--primary" disabled={!content} onClick={onReviewed}>
          {remaining > 0 ? 'I have read this document — next' : 'I have read all documents — continue'}
        </button>
      </div>
    </section>
  )
}

function SignStep({ flow, onSigned }: { flow: SignerFlow; onSigned(flow: SignerFlow): void }) {
  const [typedName, setTypedName] = useState('')
  const [consent, setConsent] = useState(false)
  const action = useAction()

  async function submit(event: FormEvent) {
    event.preventDefault()
    const signed = await action.run(() => signerApi.sign({ typed_name: typedName }))
    if (signed) onSigned(signed)
  }

  return (
    <section className="card" aria-labelledby="sign-title">
      <h2 id="sign-title" className="card__title">
        Sign
      </h2>
      {flow.bank && (
        <p className="toolbar">
          Payout account: <strong>{accountLabel(flow.bank)}</strong>{' '}
          <VerdictBadge verdict={flow.bank.verdict} />
        </p>
      )}
      <form className="form" onSubmit={submit}>
        <div className="field">
          <label htmlFor="typed-name">Type your full legal name</label>
          <input
            id="typed-name"
            value={typedName}
            onChange={(e) => setTypedName(e.target.value)}
            placeholder={flow.signer.legal_name}
            required
            autoComplete="name"
          />
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} required />I
          agree that typing my name is my electronic signature on the documents above.
        </label>
        {action.error && <p className="form-message__error">{action.error}</p>}
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={action.busy || !consent}>
            Sign documents
          </button>
        </div>
      </form>
    </section>
  )
}
