import { type LoaderFunctionArgs, useLoaderData } from 'react-router'
import { fetchWorkspaceAudit, type WorkspaceAudit } from '../api/audit.ts'
import { ApiError } from '../api/client.ts'
import { AuditEventsTable } from '../components/audit-events-table.tsx'
import { Notice } from '../components/notice.tsx'

type AuditLoaderData = { access: 'granted'; audit: WorkspaceAudit } | { access: 'forbidden'; message: string }

export async function adminAuditLoader({ request }: LoaderFunctionArgs): Promise<AuditLoaderData> {
  try {
    return { access: 'granted', audit: await fetchWorkspaceAudit(request.signal) }
  } catch (error) {
    if (error instanceof ApiError && error.status === 403)
      return { access: 'forbidden', message: error.message }
    throw error
  }
}

/** The workspace's audit chain: who signed in, who was invited, which settings changed. */
export function AdminAuditPage() {
  const data = useLoaderData<typeof adminAuditLoader>()
  return (
    <>
      <title>Audit log · Safeclose</title>
      <header className="page-header">
        <h1>Audit log</h1>
        <p className="page-header__lead">
          Every event is hash-chained to the one before it, so a changed or removed entry is detected.
        </p>
      </header>
      {data.access === 'forbidden' ? (
        <Notice tone="error" title="Administrators only">
          <p>{data.message}</p>
        </Notice>
      ) : (
        <>
          {data.audit.verification.is_valid ? (
            <Notice tone="success" title="Chain verified">
              <p>All {data.audit.verification.event_count} events verify.</p>
            </Notice>
          ) : (
            <Notice tone="error" title="The chain is broken">
              <p>Event {data.audit.verification.first_broken_sequence} does not match the chain before it.</p>
            </Notice>
          )}
          <AuditEventsTable
            events={data.audit.events}
            caption={`Newest first${data.audit.verification.event_count > 200 ? ' (the latest 200)' : ''}`}
            actorHeading="By"
            actorOf={(event) =>
              event.actor
                ? (event.actor.email ?? `${event.actor.type} ${event.actor.id.slice(0, 8)}`)
                : 'System'
            }
            detailsOf={(event) => event.details}
          />
        </>
      )}
    </>
  )
}
