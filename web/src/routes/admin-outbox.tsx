import { Fragment } from 'react'
import { type LoaderFunctionArgs, useLoaderData } from 'react-router'
import { ApiError } from '../api/client.ts'
import { fetchOutbox, type Outbox, type OutboxStatus } from '../api/outbox.ts'
import { Notice } from '../components/notice.tsx'
import { type BadgeTone, StatusBadge } from '../components/status-badge.tsx'
import { formatDateTime } from '../format.ts'
import './admin-outbox.css'

type OutboxLoaderData = { access: 'granted'; outbox: Outbox } | { access: 'forbidden'; message: string }

const STATUS_LABELS: Record<OutboxStatus, { label: string; tone: BadgeTone }> = {
  stored: { label: 'Not e-mailed', tone: 'accent' },
  sending: { label: 'Sending', tone: 'warning' },
  sent: { label: 'Sent', tone: 'success' },
  failed: { label: 'Not delivered', tone: 'danger' },
}

export async function adminOutboxLoader({ request }: LoaderFunctionArgs): Promise<OutboxLoaderData> {
  try {
    return { access: 'granted', outbox: await fetchOutbox(request.signal) }
  } catch (error) {
    if (error instanceof ApiError && error.status === 403)
      return { access: 'forbidden', message: error.message }
    throw error
  }
}

/** Plain text with its http(s) addresses as links, so an administrator can follow an invitation. */
function TextWithLinks({ text }: { text: string }) {
  const parts = text.split(/(https?:\/\/[^\s]+)/g)
  return (
    <pre className="outbox__body">
      {parts.map((part, index) =>
        /^https?:\/\//.test(part) ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed text never move
          <a key={index} href={part}>
            {part}
          </a>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed text never move
          <Fragment key={index}>{part}</Fragment>
        ),
      )}
    </pre>
  )
}

export function AdminOutboxPage() {
  const data = useLoaderData<typeof adminOutboxLoader>()
  return (
    <>
      <title>Outbox · Safeclose</title>
      <header className="page-header">
        <h1>Outbox</h1>
        <p className="page-header__lead">
          Every e-mail Safeclose sent, or would have sent, for this workspace.
        </p>
      </header>
      {data.access === 'forbidden' ? (
        <Notice tone="error" title="Administrators only">
          <p>{data.message}</p>
        </Notice>
      ) : (
        <>
          {!data.outbox.delivering && (
            <Notice tone="info" title="No mail server is configured">
              <p>
                Messages stay here instead of being e-mailed. Links in them sign people in: hand each one only
                to its recipient. Set <code>SMTP_URL</code> to send them.
              </p>
            </Notice>
          )}
          {data.outbox.messages.length === 0 ? (
            <p className="muted">No messages yet.</p>
          ) : (
            <ol className="outbox">
              {data.outbox.messages.map((message) => {
                const status = STATUS_LABELS[message.status]
                return (
                  <li key={message.id} className="card outbox__message">
                    <h2 className="card__title">{message.subject}</h2>
                    <p className="muted">
                      To {message.to} · {formatDateTime(message.created_at)}{' '}
                      <StatusBadge tone={status.tone}>{status.label}</StatusBadge>
                    </p>
                    {message.text === null ? (
                      <p className="muted">
                        Delivered{message.sent_at ? ` ${formatDateTime(message.sent_at)}` : ''}; the body is
                        not kept.
                      </p>
                    ) : (
                      <TextWithLinks text={message.text} />
                    )}
                  </li>
                )
              })}
            </ol>
          )}
        </>
      )}
    </>
  )
}
