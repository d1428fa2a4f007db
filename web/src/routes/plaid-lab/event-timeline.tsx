import { Notice } from '../../components/notice.tsx'
import type { TimelineEntry } from './link-timeline.ts'

type EventTimelineProps = { entries: TimelineEntry[]; reportProblem: string | null }

/** Link's callbacks in time order. Most events arrive together when Link closes: that is how Link works. */
export function EventTimeline({ entries, reportProblem }: EventTimelineProps) {
  const ordered = [...entries].sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.id - b.id)
  return (
    <section className="card" aria-labelledby="timeline-title">
      <div className="card__title-row">
        <h2 id="timeline-title" className="card__title">
          Link event timeline
        </h2>
        <span className="muted">{entries.length === 1 ? '1 callback' : `${entries.length} callbacks`}</span>
      </div>
      <p className="muted">
        Every <code>onEvent</code>, <code>onExit</code> and <code>onSuccess</code> callback from Plaid Link.
        Most events arrive in a burst when Link closes.
      </p>
      {reportProblem && <Notice tone="warning">{reportProblem}</Notice>}
      {ordered.length === 0 ? (
        <p className="empty-state">No Link callbacks yet. Open Link in step 2 to see them here.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table timeline">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Callback</th>
                <th scope="col">Event</th>
                <th scope="col">View</th>
                <th scope="col">Link session / request</th>
              </tr>
            </thead>
            <tbody>
              {ordered.map((entry) => (
                <tr key={entry.id} data-error={entry.error !== null}>
                  <td className="timeline__time">{formatTime(entry.timestamp)}</td>
                  <td>
                    <code>{entry.callback}</code>
                  </td>
                  <td>
                    <span className="timeline__name">{entry.name}</span>
                    {entry.detail && <span className="timeline__detail">{entry.detail}</span>}
                    {entry.error && (
                      <span className="timeline__error">
                        {entry.error.type} · {entry.error.code}
                        {entry.error.message && `: ${entry.error.message}`}
                      </span>
                    )}
                  </td>
                  <td>{entry.viewName ?? '—'}</td>
                  <td className="timeline__ids">
                    <span>{entry.linkSessionId ?? '—'}</span>
                    <span>{entry.requestId ?? '—'}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

function formatTime(iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return `${date.toLocaleTimeString(undefined, { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`
}
