import { type AuditTrail, type SigningPackage, signingsApi } from '../../../api/signings.ts'
import { AuditEventsTable } from '../../../components/audit-events-table.tsx'
import { Notice } from '../../../components/notice.tsx'

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
      <AuditEventsTable
        events={audit.events}
        actorHeading="Actor"
        actorOf={(event) =>
          event.actor ? (event.actor.email ?? event.actor.user_id ?? event.actor.signer_id ?? '') : 'System'
        }
      />
    </section>
  )
}
