import {
  type ActionFunctionArgs,
  Form,
  Link,
  type LoaderFunctionArgs,
  useActionData,
  useLoaderData,
  useNavigation,
} from 'react-router'
import { ApiError } from '../api/client.ts'
import {
  fetchWebhookDeliveries,
  isWebhookEventState,
  reconcileItemsNow,
  redriveWebhookEvent,
  WEBHOOK_STATES,
  type WebhookDeliveries,
  type WebhookEventState,
  type WebhookEventView,
} from '../api/webhooks.ts'
import { Notice } from '../components/notice.tsx'
import { type BadgeTone, StatusBadge } from '../components/status-badge.tsx'
import { formatDateTime } from '../format.ts'
import './admin-webhooks.css'

type WebhooksLoaderData =
  | { access: 'granted'; deliveries: WebhookDeliveries; state: WebhookEventState | null }
  | { access: 'forbidden'; message: string }

type ActionResult =
  | { outcome: 'redriven' | 'reconciling' }
  | { outcome: 'failed'; message: string; requestId: string | null }

const STATE_TONES: Record<WebhookEventState, BadgeTone> = {
  queued: 'accent',
  retrying: 'warning',
  dead: 'danger',
  processed: 'success',
  ignored: 'neutral',
  orphaned: 'neutral',
}

export async function adminWebhooksLoader({ request }: LoaderFunctionArgs): Promise<WebhooksLoaderData> {
  const requested = new URL(request.url).searchParams.get('state')
  const state = isWebhookEventState(requested) ? requested : null
  try {
    const deliveries = await fetchWebhookDeliveries(
      { ...(state ? { state } : {}), limit: 100 },
      request.signal,
    )
    return { access: 'granted', deliveries, state }
  } catch (error) {
    if (error instanceof ApiError && error.status === 403)
      return { access: 'forbidden', message: error.message }
    throw error
  }
}

export async function adminWebhooksAction({ request }: ActionFunctionArgs): Promise<ActionResult> {
  const form = await request.formData()
  try {
    if (form.get('intent') === 'reconcile') {
      await reconcileItemsNow()
      return { outcome: 'reconciling' }
    }
    await redriveWebhookEvent(String(form.get('event_id') ?? ''))
    return { outcome: 'redriven' }
  } catch (error) {
    if (error instanceof ApiError)
      return { outcome: 'failed', message: error.message, requestId: error.requestId }
    throw error
  }
}

export function AdminWebhooksPage() {
  const data = useLoaderData<typeof adminWebhooksLoader>()
  return (
    <>
      <title>Plaid webhooks · Safeclose</title>
      <header className="page-header">
        <h1>Plaid webhooks</h1>
        <p className="page-header__lead">
          What Plaid told this workspace, whether we could verify it, and what processing made of it.
        </p>
      </header>
      {data.access === 'granted' ? (
        <Deliveries deliveries={data.deliveries} state={data.state} />
      ) : (
        <Notice tone="error" title="Administrators only">
          <p className="muted">{data.message}</p>
        </Notice>
      )}
    </>
  )
}

function Deliveries({
  deliveries,
  state,
}: {
  deliveries: WebhookDeliveries
  state: WebhookEventState | null
}) {
  const result = useActionData<typeof adminWebhooksAction>()
  const navigation = useNavigation()
  const busy = navigation.state === 'submitting'
  const dead = deliveries.counts.dead ?? 0

  return (
    <div className="webhooks-page">
      {result?.outcome === 'failed' && (
        <Notice tone="error" title="That did not work" live>
          <p>{result.message}</p>
          {result.requestId && <p className="muted">Request {result.requestId}</p>}
        </Notice>
      )}
      {result?.outcome === 'redriven' && (
        <Notice tone="success" live>
          <p>The event is queued again.</p>
        </Notice>
      )}
      {result?.outcome === 'reconciling' && (
        <Notice tone="success" live>
          <p>Every connected bank of this workspace is being checked with Plaid now.</p>
        </Notice>
      )}
      {dead > 0 && (
        <Notice tone="error" title={`${dead} events failed for good`}>
          <p>They were retried until the limit. Fix the cause, then re-drive them below.</p>
        </Notice>
      )}

      <section className="card">
        <div className="card__title-row">
          <h2 className="card__title">Recent deliveries</h2>
          <Form method="post">
            <input type="hidden" name="intent" value="reconcile" />
            <button type="submit" className="button button--secondary" disabled={busy}>
              Check all banks with Plaid now
            </button>
          </Form>
        </div>
        <nav aria-label="Filter by processing state" className="filter-row">
          <Link to="." aria-current={state === null ? 'page' : undefined}>
            All
          </Link>
          {WEBHOOK_STATES.map((name) => (
            <Link key={name} to={`?state=${name}`} aria-current={state === name ? 'page' : undefined}>
              {name} ({deliveries.counts[name] ?? 0})
            </Link>
          ))}
        </nav>
        {deliveries.events.length === 0 ? (
          <p className="muted">No webhooks {state ? `in state “${state}”` : 'received yet'}.</p>
        ) : (
          <div className="table-scroll">
            <table className="data-table data-table--compact">
              <caption className="visually-hidden">Plaid webhook deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Type · code</th>
                  <th scope="col">Item</th>
                  <th scope="col">Verified with</th>
                  <th scope="col">State</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Result</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {deliveries.events.map((event) => (
                  <EventRow key={event.id} event={event} busy={busy} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  )
}

function EventRow({ event, busy }: { event: WebhookEventView; busy: boolean }) {
  return (
    <tr>
      <td>{formatDateTime(event.received_at)}</td>
      <th scope="row">
        {event.webhook_type} · {event.webhook_code}
      </th>
      <td>
        <code>{event.item_id ?? '—'}</code>
      </td>
      <td>
        <span title={`signed ${formatDateTime(event.verification.issued_at)} (${event.environment})`}>
          key <code>{event.verification.key_id.slice(0, 8)}</code>
        </span>
      </td>
      <td>
        <StatusBadge tone={STATE_TONES[event.state]}>{event.state}</StatusBadge>
      </td>
      <td>
        {event.attempts}
        {event.delivery_count > 1 && <span className="muted"> · delivered {event.delivery_count}×</span>}
      </td>
      <td>{event.last_error ?? event.outcome ?? '—'}</td>
      <td>
        {event.state === 'dead' && (
          <Form method="post">
            <input type="hidden" name="event_id" value={event.id} />
            <button type="submit" className="button button--secondary" disabled={busy}>
              Re-drive
            </button>
          </Form>
        )}
      </td>
    </tr>
  )
}
