import { type FormEvent, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { signingsApi } from '../../api/signings.ts'
import { Card } from '../../components/card.tsx'
import { InputField, TextAreaField } from '../../components/form-field.tsx'
import { formatDateTime } from '../../format.ts'
import { AsyncStatus } from './async-status.tsx'
import { PackageStatusBadge } from './badges.tsx'
import { useAction, useAsync } from './use-async.ts'

export const MANAGER_SIGNINGS_PATH = '/signing/manager/signings'

export function ManagerSigningsPage() {
  const { state } = useAsync((signal) => signingsApi.list(signal), [])
  const navigate = useNavigate()
  const action = useAction()
  const [title, setTitle] = useState('')
  const [note, setNote] = useState('')

  async function create(event: FormEvent) {
    event.preventDefault()
    const created = await action.run(() => signingsApi.create({ title, note: note.trim() || null }))
    if (created) navigate(`${MANAGER_SIGNINGS_PATH}/${created.id}`)
  }

  return (
    <>
      <title>Signing packages · Safeclose</title>
      <header className="page-header">
        <h1>Signing packages</h1>
        <p className="page-header__lead">
          Send documents to signers. Each signer proves which bank account is theirs before signing.
        </p>
      </header>

      <Card titleId="new-package-title" title="New package">
        <form className="form" onSubmit={create}>
          <InputField
            id="package-title"
            label="Title"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            required
            maxLength={200}
          />
          <TextAreaField
            id="package-note"
            label="Note to signers (optional)"
            value={note}
            onChange={(e) => setNote(e.target.value)}
            maxLength={2000}
            rows={2}
          />
          {action.error && <p className="form-message__error">{action.error}</p>}
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={action.busy}>
              Create draft
            </button>
          </div>
        </form>
      </Card>

      <section aria-labelledby="packages-title">
        <h2 id="packages-title" className="section-title">
          Packages in this workspace
        </h2>
        <AsyncStatus state={state} loading="Loading packages…" failed="Could not load packages" />
        {state.phase === 'ready' &&
          (state.data.signings.length === 0 ? (
            <p className="empty-state">No packages yet.</p>
          ) : (
            <div className="table-scroll">
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">Title</th>
                    <th scope="col">Status</th>
                    <th scope="col">Signed</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {state.data.signings.map((signing) => (
                    <tr key={signing.id}>
                      <th scope="row">
                        <Link to={`${MANAGER_SIGNINGS_PATH}/${signing.id}`}>{signing.title}</Link>
                      </th>
                      <td>
                        <PackageStatusBadge status={signing.status} />
                      </td>
                      <td>
                        {signing.signed_count} / {signing.signer_count}
                      </td>
                      <td>{formatDateTime(signing.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
      </section>
    </>
  )
}
