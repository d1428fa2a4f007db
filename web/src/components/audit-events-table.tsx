import type { ReactNode } from 'react'
import { formatDateTime } from '../format.ts'

type AuditRow = { sequence: number; occurred_at: string; action: string; ip_address: string | null }

/** Audit events as a table, newest first as given: the workspace's log and a package's trail. */
export function AuditEventsTable<E extends AuditRow>({
  events,
  caption,
  actorHeading,
  actorOf,
  detailsOf,
}: {
  events: readonly E[]
  caption?: ReactNode
  actorHeading: string
  actorOf: (event: E) => string
  /** Adds a Details column. */
  detailsOf?: (event: E) => unknown
}) {
  return (
    <div className="table-scroll">
      <table className="data-table data-table--compact">
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When</th>
            <th scope="col">Event</th>
            <th scope="col">{actorHeading}</th>
            {detailsOf && <th scope="col">Details</th>}
            <th scope="col">IP</th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.sequence}>
              <td>{event.sequence}</td>
              <td>{formatDateTime(event.occurred_at)}</td>
              <td>
                <code>{event.action}</code>
              </td>
              <td>{actorOf(event)}</td>
              {detailsOf && (
                <td>
                  <code className="break-anywhere">{JSON.stringify(detailsOf(event))}</code>
                </td>
              )}
              <td>{event.ip_address ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
