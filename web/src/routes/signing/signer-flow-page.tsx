import { lazy, Suspense, useEffect } from 'react'
import {
  type ActionFunctionArgs,
  isRouteErrorResponse,
  Link,
  type LoaderFunctionArgs,
  useFetcher,
  useLoaderData,
  useRevalidator,
  useRouteError,
} from 'react-router'
import { ApiError, refusalOf } from '../../api/client.ts'
import {
  type SignerDocumentContent,
  type SignerFlow,
  type SignerStep,
  type SignInput,
  signerApi,
} from '../../api/signings.ts'
import { Spinner } from '../../components/loading.tsx'
import { Notice } from '../../components/notice.tsx'
import { useFocusHeadingOnChange, useFocusWhenShown } from '../../focus.ts'
import { formatDateTime } from '../../format.ts'
import { SIGNER_FLOW_PATH } from '../../navigation.ts'
import { accountLabel, OwnershipNotice, VerdictBadge } from './badges.tsx'
import { BankStep } from './bank-step.tsx'
import { MarkdownView } from './markdown-view.tsx'
import { SignerFrame } from './signer-frame.tsx'
import { useRevalidateWhile } from './use-sealed-pdf.ts'
import './signer-flow-page.css'

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

/** `?document=<id>`: a document the signer opened again (from the step pills or the sign step). */
const DOCUMENT_PARAM = 'document'

type SignerFlowData = {
  flow: SignerFlow
  /** The document on screen: the next one to confirm while reviewing, or the one asked for again. */
  reading: SignerDocumentContent | null
}

/** The flow, and the content of the document the page shows; the server decides the step. */
export async function signerFlowLoader({ request }: LoaderFunctionArgs): Promise<SignerFlowData> {
  const flow = await signerApi.flow(request.signal)
  const requested = new URL(request.url).searchParams.get(DOCUMENT_PARAM)
  const document =
    flow.step === 'review'
      ? (flow.documents.find((candidate) => !candidate.viewed) ?? flow.documents.at(-1))
      : flow.documents.find((candidate) => candidate.id === requested)
  return { flow, reading: document ? await signerApi.document(document.id, request.signal) : null }
}

export type SignerFlowActionResult =
  | { ok: true }
  | { ok: false; message: string; field: string | null; requestId: string | null }

/**
 * Confirms a document as read, or signs: a form (typed name only) or JSON `{ intent: 'sign', input }`
 * from the step with placed fields. The loader then re-reads the flow.
 */
export async function signerFlowAction({ request }: ActionFunctionArgs): Promise<SignerFlowActionResult> {
  try {
    if (request.headers.get('content-type')?.startsWith('application/json')) {
      const body = (await request.json()) as { intent?: string; input?: SignInput }
      if (body.intent !== 'sign' || !body.input) throw new Response('Unknown action', { status: 400 })
      await signerApi.sign(body.input)
      return { ok: true }
    }
    const form = await request.formData()
    switch (form.get('intent')) {
      case 'reviewed':
        await signerApi.confirmReviewed(String(form.get('document_id') ?? ''))
        return { ok: true }
      case 'sign':
        await signerApi.sign({ typed_name: String(form.get('typed_name') ?? '') })
        return { ok: true }
      default:
        throw new Response('Unknown action', { status: 400 })
    }
  } catch (error) {
    return { ok: false, ...refusalOf(error) }
  }
}

/** A flow that cannot load: usually a signing session that ended (a new link replaced it, or it expired). */
export function SignerFlowErrorPage() {
  const error = useRouteError()
  const sessionClosed = error instanceof ApiError && (error.status === 401 || error.status === 403)
  if (!(error instanceof ApiError) && !isRouteErrorResponse(error)) console.error(error)
  return (
    <SignerFrame>
      <title>Signing · Safeclose</title>
      <div role="alert">
        <Notice tone="error" title="Your signing session is not open">
          <p>
            {sessionClosed
              ? 'Open the signing link from your invitation again to continue.'
              : error instanceof ApiError
                ? error.message
                : 'Something stopped this page from loading.'}
          </p>
          {!sessionClosed && (
            <p>
              <button
                type="button"
                className="button button--secondary"
                onClick={() => window.location.reload()}
              >
                Try again
              </button>
            </p>
          )}
        </Notice>
      </div>
    </SignerFrame>
  )
}

/** The signer's whole task on one page; the server decides the step, so coming back resumes it. */
export function SignerFlowPage() {
  const { flow, reading } = useLoaderData<typeof signerFlowLoader>()
  const revalidator = useRevalidator()
  const visibleSteps = STEPS.filter((entry) => entry.step !== 'bank' || flow.signer.bank_required)
  const currentIndex = visibleSteps.findIndex((entry) => entry.step === flow.step)
  const isRereading = flow.step !== 'review' && reading !== null
  // A new step or another document: focus its heading rather than leave it on <body>.
  const stepArea = useFocusHeadingOnChange<HTMLDivElement>(`${flow.step}:${reading?.id ?? ''}`)
  const reloadFlow = () => revalidator.revalidate()

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
        {visibleSteps.map((entry, index) => {
          const isDone = index < currentIndex || flow.step === 'done'
          // Documents already confirmed can be read again at any later step.
          const rereadable = entry.step === 'review' && isDone && flow.documents.length > 0
          return (
            <li
              key={entry.step}
              data-state={isDone ? 'done' : index === currentIndex ? 'current' : 'todo'}
              aria-current={index === currentIndex && !isRereading ? 'step' : undefined}
            >
              {rereadable ? (
                <Link to={documentPath(flow.documents[0]?.id ?? '')}>{entry.label}</Link>
              ) : (
                entry.label
              )}
            </li>
          )
        })}
      </ol>

      <div ref={stepArea}>
        {isRereading && reading ? (
          <RereadStep flow={flow} reading={reading} />
        ) : (
          <>
            {flow.step === 'review' && reading && <ReviewStep flow={flow} content={reading} />}
            {flow.step === 'bank' && <BankStep flow={flow} onVerified={reloadFlow} onChanged={reloadFlow} />}
            {flow.step === 'sign' &&
              (flow.documents.some((document) => (document.fields?.length ?? 0) > 0) ? (
                <Suspense fallback={<Spinner label="Loading your documents…" />}>
                  <FieldSignStep flow={flow} />
                </Suspense>
              ) : (
                <SignStep flow={flow} />
              ))}
            {flow.step === 'done' && <DoneStep flow={flow} />}
            {flow.step === 'closed' && (
              <Notice tone="warning" title="This package is closed">
                <p>It is no longer open for signing. Contact the sender if you think this is a mistake.</p>
              </Notice>
            )}
          </>
        )}
      </div>
    </SignerFrame>
  )
}

function documentPath(documentId: string): string {
  return `${SIGNER_FLOW_PATH}?${new URLSearchParams({ [DOCUMENT_PARAM]: documentId })}`
}

function DoneStep({ flow }: { flow: SignerFlow }) {
  const isComplete = flow.signing.status === 'complete'
  // Other signers may still be signing, then sealing runs as a job: the page re-reads until sealed.
  useRevalidateWhile(!flow.seal)
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
      <DocumentLinks flow={flow} />
    </section>
  )
}

/** A document's text or PDF frame, its download and its fingerprint. */
function DocumentContent({ content, sha256 }: { content: SignerDocumentContent; sha256: string }) {
  return (
    <>
      {content.markdown !== null && (
        <article className="document-view">
          <MarkdownView source={content.markdown} />
        </article>
      )}
      {content.pdf_url && (
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
        SHA-256 <code>{sha256}</code>
      </p>
    </>
  )
}

function ReviewStep({ flow, content }: { flow: SignerFlow; content: SignerDocumentContent }) {
  const fetcher = useFetcher<typeof signerFlowAction>()
  const failed = fetcher.data && !fetcher.data.ok ? fetcher.data : null
  const errorRef = useFocusWhenShown<HTMLDivElement>(failed)
  const next = flow.documents.find((document) => document.id === content.id)
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
      <DocumentContent content={content} sha256={next.sha256} />
      {failed && (
        <Notice tone="error" live ref={errorRef}>
          {failed.message}
        </Notice>
      )}
      <fetcher.Form method="post" className="form-actions">
        <input type="hidden" name="intent" value="reviewed" />
        <input type="hidden" name="document_id" value={next.id} />
        <button type="submit" className="button button--primary" disabled={fetcher.state !== 'idle'}>
          {remaining > 0 ? 'I have read this document — next' : 'I have read all documents — continue'}
        </button>
      </fetcher.Form>
    </section>
  )
}

/** A confirmed document read again from a later step; nothing is recorded. */
function RereadStep({ flow, reading }: { flow: SignerFlow; reading: SignerDocumentContent }) {
  const summary = flow.documents.find((document) => document.id === reading.id)
  const current = STEPS.find((entry) => entry.step === flow.step)
  return (
    <section className="card" aria-labelledby="reread-title">
      <p className="muted">
        Document {summary?.position} of {flow.documents.length} · read again
      </p>
      <h2 id="reread-title" className="card__title">
        {reading.title}
      </h2>
      <p>
        <Link className="button button--primary" to={SIGNER_FLOW_PATH}>
          Back to {current ? current.label.toLowerCase() : 'your signing'}
        </Link>
      </p>
      <DocumentContent content={reading} sha256={summary?.sha256 ?? ''} />
      <DocumentLinks flow={flow} currentId={reading.id} />
    </section>
  )
}

/** The package's documents, each to open again. */
function DocumentLinks({ flow, currentId }: { flow: SignerFlow; currentId?: string }) {
  if (flow.documents.length === 0) return null
  return (
    <nav aria-label="Documents in this package">
      <p className="muted">Documents in this package:</p>
      <ul className="document-links">
        {flow.documents.map((document) => (
          <li key={document.id}>
            {document.id === currentId ? (
              <strong aria-current="page">{document.title}</strong>
            ) : (
              <Link to={documentPath(document.id)}>{document.title}</Link>
            )}
          </li>
        ))}
      </ul>
    </nav>
  )
}

function SignStep({ flow }: { flow: SignerFlow }) {
  const fetcher = useFetcher<typeof signerFlowAction>()
  const failed = fetcher.data && !fetcher.data.ok ? fetcher.data : null
  const errorRef = useFocusWhenShown<HTMLParagraphElement>(failed)
  const nameInvalid = failed?.field === 'typed_name'
  useEffect(() => {
    if (nameInvalid) document.getElementById('typed-name')?.focus()
  }, [nameInvalid])

  return (
    <section className="card" aria-labelledby="sign-title">
      <h2 id="sign-title" className="card__title">
        Sign
      </h2>
      <p>By signing you agree to these documents, which you confirmed you have read:</p>
      <DocumentLinks flow={flow} />
      {flow.bank && (
        <>
          <p className="toolbar">
            Payout account: <strong>{accountLabel(flow.bank)}</strong>{' '}
            <VerdictBadge verdict={flow.bank.verdict} />
          </p>
          <OwnershipNotice bank={flow.bank} legalName={flow.signer.legal_name} />
        </>
      )}
      <fetcher.Form method="post" className="form">
        <input type="hidden" name="intent" value="sign" />
        <div className="field">
          <label htmlFor="typed-name">Type your full legal name</label>
          <input
            id="typed-name"
            name="typed_name"
            placeholder={flow.signer.legal_name}
            required
            autoComplete="name"
            aria-invalid={nameInvalid || undefined}
            aria-describedby={failed ? 'sign-error' : undefined}
          />
        </div>
        <label className="checkbox">
          <input type="checkbox" name="consent" required />I agree that typing my name is my electronic
          signature on the documents listed above.
        </label>
        {failed && (
          <p className="form-message__error" id="sign-error" role="alert" tabIndex={-1} ref={errorRef}>
            {failed.message}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={fetcher.state !== 'idle'}>
            Sign documents
          </button>
        </div>
      </fetcher.Form>
    </section>
  )
}
