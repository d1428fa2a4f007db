import { signingsApi } from '../../../api/signings.ts'
import { Notice } from '../../../components/notice.tsx'
import { formatDateTime } from '../../../format.ts'
import { AsyncStatus } from '../async-status.tsx'
import { useAsync } from '../use-async.ts'

/** The package's audit trail with its verification result; `generation` bumps after every change. */
export function AuditPanel({ signingId, generation }: { signingId: string; generation: number }) {
  const { state } = useAsync((signal) => signingsApi.audit(signingId, signal), [signingId, generation])

  return (
    <section className="card" aria-labelledby="audit-title">
      <div className="card__title-row">
        <h2 id="audit-title" className="card__title">
          Audit trail
        </h2>
        <div className="toolbar">
          <a
            className="button button--secondary button--small"
            href={signingsApi.auditDownloadUrl(signingId)}
          >
            Download JSON
          </a>
          <a
            className="button button--secondary button--small"
            href={signingsApi.certificateUrl(signingId)}
            target="_blank"
            rel="noreferrer"
          >
            Completion certificate
          </a>
        </div>
      </div>
      <AsyncStatus state={state} loading="Loading the audit trail…" failed="Could not load the audit trail" />
      {state.phase === 'ready' && (
        <>
          {state.data.verification.is_valid ? (
            <Notice tone="success" title="Audit trail verified">
              <p>
                All {state.data.verification.event_count} events are intact: every hash chains to the one
                before.
              </p>
            </Notice>
          ) : (
            <Notice tone="error" title="Audit trail broken">
              <p>Event {state.data.verification.first_broken_sequence} was changed after it was written.</p>
            </Notice>
          )}
          <div className="table-scroll">
            <table className="data-table data-table--compact">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Event</th>
                  <th scope="col">Actor</th>
                  <th scope="col">IP</th>
                </tr>
              </thead>
              <tbody>
                {state.data.events.map((event) => (
                  <tr key={event.sequence}>
                    <td>{event.sequence}</td>
                    <td>{formatDateTime(event.occurred_at)}</td>
                    <td>
                      <code>{event.action}</code>
                    </td>
                    <td>
                      {event.actor
                        ? (event.actor.email ?? event.actor.user_id ?? event.actor.signer_id)
                        : 'System'}
                    </td>
                    <td>{event.ip_address ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  )
}
