import { type AuditTrail, type SigningPackage, signingsApi } from '../../../api/signings.ts'
import { Notice } from '../../../components/notice.tsx'
import { formatDateTime } from '../../../format.ts'

/** The package's audit trail with its verification result, as the page's loader last read it. */
export function AuditPanel({ signing, audit }: { signing: SigningPackage; audit: AuditTrail }) {
  const signingId = signing.id

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
          {/* Only a completed package has a completion to certify. */}
          {signing.status === 'complete' && (
            <a
              className="button button--secondary button--small"
              href={signingsApi.certificateUrl(signingId)}
              target="_blank"
              rel="noreferrer"
            >
              Completion certificate
            </a>
          )}
        </div>
      </div>
      {audit.verification.is_valid ? (
        <Notice tone="success" title="Audit trail verified">
          <p>All {audit.verification.event_count} events are intact: every hash chains to the one before.</p>
        </Notice>
      ) : (
        <Notice tone="error" title="Audit trail broken">
          <p>Event {audit.verification.first_broken_sequence} was changed after it was written.</p>
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
            {audit.events.map((event) => (
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
    </section>
  )
}
