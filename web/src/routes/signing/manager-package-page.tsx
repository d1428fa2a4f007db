import { type FormEvent, useState } from 'react'
import { Link, useParams } from 'react-router'
import { type Invitation, type SigningPackage, signingsApi } from '../../api/signings.ts'
import { Spinner } from '../../components/loading.tsx'
import { Notice } from '../../components/notice.tsx'
import { formatDateTime } from '../../format.ts'
import { AuditPanel } from './audit-panel.tsx'
import {
  accountLabel,
  ItemStatusBadge,
  PackageStatusBadge,
  SignerStatusBadge,
  VerdictBadge,
} from './badges.tsx'
import { MANAGER_SIGNINGS_PATH } from './manager-signings-page.tsx'
import { useAction, useAsync } from './use-async.ts'

export function ManagerPackagePage() {
  const { id = '' } = useParams()
  const { state, reload, replace } = useAsync((signal) => signingsApi.get(id, signal), [id])
  const [invitations, setInvitations] = useState<Invitation[]>([])
  const [auditGeneration, setAuditGeneration] = useState(0)
  const action = useAction()

  async function change(work: () => Promise<SigningPackage>) {
    const next = await action.run(work)
    if (next) {
      replace(next)
      setAuditGeneration((value) => value + 1)
    }
  }

  if (state.phase === 'loading') return <Spinner label="Loading package…" />
  if (state.phase === 'failed') {
    return (
      <Notice tone="error" title="Could not load this package">
        <p>{state.error.message}</p>
        <p>
          <Link to={MANAGER_SIGNINGS_PATH}>Back to signing packages</Link>
        </p>
      </Notice>
    )
  }
  const signing = state.data
  const isDraft = signing.status === 'draft'

  async function activate() {
    const result = await action.run(() => signingsApi.activate(signing.id))
    if (result) {
      replace(result.signing)
      setInvitations(result.invitations)
      setAuditGeneration((value) => value + 1)
    }
  }

  async function resend(signerId: string) {
    const result = await action.run(() => signingsApi.resend(signing.id, signerId))
    if (result) {
      setInvitations((current) => [
        ...current.filter((invitation) => invitation.signer_id !== signerId),
        result.invitation,
      ])
      reload()
      setAuditGeneration((value) => value + 1)
    }
  }

  return (
    <>
      <title>{`${signing.title} · Signing packages · Safeclose`}</title>
      <header className="page-header">
        <p>
          <Link to={MANAGER_SIGNINGS_PATH}>← Signing packages</Link>
        </p>
        <div className="card__title-row">
          <h1>{signing.title}</h1>
          <PackageStatusBadge status={signing.status} />
        </div>
        {signing.note && <p className="page-header__lead">{signing.note}</p>}
        {signing.cancel_reason && <p className="page-header__lead">Cancelled: {signing.cancel_reason}</p>}
      </header>

      {action.error && (
        <Notice tone="error" title="That did not work" live>
          <p>{action.error}</p>
        </Notice>
      )}

      {invitations.length > 0 && <InvitationList invitations={invitations} signing={signing} />}

      <section className="card" aria-labelledby="documents-title">
        <h2 id="documents-title" className="card__title">
          Documents
        </h2>
        {signing.documents.length === 0 ? (
          <p className="empty-state">No documents yet.</p>
        ) : (
          <ol className="signing-list">
            {signing.documents.map((document) => (
              <li key={document.id}>
                <span>
                  {document.title}{' '}
                  <span className="muted">({document.kind === 'pdf' ? 'PDF' : 'Markdown'})</span>
                </span>
                {isDraft && (
                  <button
                    type="button"
                    className="button button--ghost button--small"
                    disabled={action.busy}
                    onClick={() => change(() => signingsApi.removeDocument(signing.id, document.id))}
                  >
                    Remove
                  </button>
                )}
              </li>
            ))}
          </ol>
        )}
        {isDraft && (
          <AddDocumentForm
            busy={action.busy}
            onAdd={(input) => change(() => signingsApi.addDocument(signing.id, input))}
          />
        )}
      </section>

      <section className="card" aria-labelledby="signers-title">
        <h2 id="signers-title" className="card__title">
          Signers
        </h2>
        {signing.signers.length === 0 ? (
          <p className="empty-state">No signers yet.</p>
        ) : (
          <ul className="signer-cards">
            {signing.signers.map((signer) => (
              <li key={signer.id} className="signer-card" aria-label={`Signer ${signer.legal_name}`}>
                <div className="card__title-row">
                  <span>
                    <strong>{signer.legal_name}</strong> <span className="muted">{signer.email}</span>
                  </span>
                  <SignerStatusBadge status={signer.status} />
                </div>
                <dl className="details">
                  <div>
                    <dt>Bank step</dt>
                    <dd>{signer.bank_required ? 'Required' : 'Not required'}</dd>
                  </div>
                  <div>
                    <dt>Opened</dt>
                    <dd>{signer.opened_at ? formatDateTime(signer.opened_at) : '—'}</dd>
                  </div>
                  <div>
                    <dt>Signed</dt>
                    <dd>{signer.signed_at ? formatDateTime(signer.signed_at) : '—'}</dd>
                  </div>
                  {signing.status === 'active' && signer.status !== 'signed' && (
                    <div>
                      <dt>Link valid until</dt>
                      <dd>
                        {signer.link_expires_at ? formatDateTime(signer.link_expires_at) : 'No live link'}
                      </dd>
                    </div>
                  )}
                </dl>
                {signer.bank && (
                  <div className="bank-evidence">
                    <p>
                      <strong>{accountLabel(signer.bank)}</strong>
                    </p>
                    <p className="toolbar">
                      <VerdictBadge verdict={signer.bank.verdict} />
                      <ItemStatusBadge status={signer.bank.item_status} />
                    </p>
                    <p className="muted">
                      Name score {signer.bank.name_score ?? '—'} · e-mail score{' '}
                      {signer.bank.email_score ?? '—'} · verified {formatDateTime(signer.bank.verified_at)} ·
                      Item <code>{signer.bank.item_id}</code>
                    </p>
                  </div>
                )}
                {signer.signature && (
                  <p className="muted">
                    Signed as “{signer.signature.typed_name}” from{' '}
                    {signer.signature.ip_address ?? 'unknown IP'}
                  </p>
                )}
                <div className="toolbar">
                  {isDraft && (
                    <button
                      type="button"
                      className="button button--ghost button--small"
                      disabled={action.busy}
                      onClick={() => change(() => signingsApi.removeSigner(signing.id, signer.id))}
                    >
                      Remove
                    </button>
                  )}
                  {signing.status === 'active' && signer.status !== 'signed' && (
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      disabled={action.busy}
                      onClick={() => resend(signer.id)}
                    >
                      Resend link
                    </button>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
        {isDraft && (
          <AddSignerForm
            busy={action.busy}
            onAdd={(input) => change(() => signingsApi.addSigner(signing.id, input))}
          />
        )}
      </section>

      <section className="card" aria-labelledby="actions-title">
        <h2 id="actions-title" className="card__title">
          Package
        </h2>
        <p className="muted">
          Ownership policy: verified from a name score of {signing.policy.verified_name_score}, review from{' '}
          {signing.policy.review_name_score}; a mismatch{' '}
          {signing.policy.match_required ? 'blocks' : 'does not block'} signing.
        </p>
        <div className="toolbar">
          {isDraft && (
            <button
              type="button"
              className="button button--primary"
              disabled={action.busy}
              onClick={activate}
            >
              Activate and invite signers
            </button>
          )}
          <button type="button" className="button button--secondary" onClick={reload}>
            Refresh
          </button>
        </div>
        {(isDraft || signing.status === 'active') && (
          <CancelForm
            busy={action.busy}
            onCancel={(reason) => change(() => signingsApi.cancel(signing.id, reason))}
          />
        )}
      </section>

      {signing.status !== 'draft' && <AuditPanel signingId={signing.id} generation={auditGeneration} />}
    </>
  )
}

function InvitationList({ invitations, signing }: { invitations: Invitation[]; signing: SigningPackage }) {
  const nameOf = (signerId: string) =>
    signing.signers.find((signer) => signer.id === signerId)?.legal_name ?? ''
  return (
    <section className="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title" className="card__title">
        Signing links
      </h2>
      <p className="muted">
        Each link signs its signer in. Links that were not e-mailed are shown once: copy them now and send
        them privately.
      </p>
      <ul className="invitation-list">
        {invitations.map((invitation) => (
          <li key={invitation.signer_id} aria-label={`Link for ${nameOf(invitation.signer_id)}`}>
            <strong>{nameOf(invitation.signer_id)}</strong> <span className="muted">{invitation.email}</span>
            {invitation.url ? (
              <input
                readOnly
                value={invitation.url}
                aria-label={`Signing link for ${invitation.email}`}
                onFocus={(e) => e.target.select()}
              />
            ) : (
              <span>E-mailed</span>
            )}
            <span className="muted">valid until {formatDateTime(invitation.expires_at)}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}

function AddDocumentForm({
  busy,
  onAdd,
}: {
  busy: boolean
  onAdd(input: Parameters<typeof signingsApi.addDocument>[1]): Promise<void>
}) {
  const [title, setTitle] = useState('')
  const [markdown, setMarkdown] = useState('')
  const [file, setFile] = useState<File | null>(null)

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const form = event.currentTarget
    if (file) {
      await onAdd({ title, kind: 'pdf', pdf_base64: await fileToBase64(file) })
    } else {
      await onAdd({ title, kind: 'markdown', markdown })
    }
    setTitle('')
    setMarkdown('')
    setFile(null)
    form.reset()
  }

  return (
    <form className="form signing-subform" onSubmit={submit} aria-label="Add a document">
      <div className="field">
        <label htmlFor="document-title">Document title</label>
        <input
          id="document-title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          required
          maxLength={200}
        />
      </div>
      <div className="field">
        <label htmlFor="document-markdown">Text (Markdown)</label>
        <textarea
          id="document-markdown"
          value={markdown}
          onChange={(e) => setMarkdown(e.target.value)}
          rows={5}
          disabled={file !== null}
          required={file === null}
        />
      </div>
      <div className="field">
        <label htmlFor="document-pdf">…or upload a PDF (up to 2 MiB)</label>
        <input
          id="document-pdf"
          type="file"
          accept="application/pdf"
          onChange={(e) => setFile(e.target.files?.[0] ?? null)}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="button button--secondary" disabled={busy}>
          Add document
        </button>
      </div>
    </form>
  )
}

function AddSignerForm({
  busy,
  onAdd,
}: {
  busy: boolean
  onAdd(input: { legal_name: string; email: string; bank_required: boolean }): Promise<void>
}) {
  const [legalName, setLegalName] = useState('')
  const [email, setEmail] = useState('')
  const [bankRequired, setBankRequired] = useState(true)

  async function submit(event: FormEvent) {
    event.preventDefault()
    await onAdd({ legal_name: legalName, email, bank_required: bankRequired })
    setLegalName('')
    setEmail('')
    setBankRequired(true)
  }

  return (
    <form className="form signing-subform" onSubmit={submit} aria-label="Add a signer">
      <div className="field">
        <label htmlFor="signer-name">Legal name</label>
        <input
          id="signer-name"
          value={legalName}
          onChange={(e) => setLegalName(e.target.value)}
          required
          maxLength={200}
        />
      </div>
      <div className="field">
        <label htmlFor="signer-email">Signer email</label>
        <input
          id="signer-email"
          type="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
        />
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={bankRequired} onChange={(e) => setBankRequired(e.target.checked)} />
        Require bank account verification
      </label>
      <div className="form-actions">
        <button type="submit" className="button button--secondary" disabled={busy}>
          Add signer
        </button>
      </div>
    </form>
  )
}

function CancelForm({ busy, onCancel }: { busy: boolean; onCancel(reason: string): Promise<void> }) {
  const [reason, setReason] = useState('')
  return (
    <form
      className="form signing-subform"
      aria-label="Cancel the package"
      onSubmit={(event) => {
        event.preventDefault()
        void onCancel(reason)
      }}
    >
      <div className="field">
        <label htmlFor="cancel-reason">Reason for cancelling</label>
        <input
          id="cancel-reason"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          required
          maxLength={500}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="button button--danger" disabled={busy}>
          Cancel package
        </button>
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
