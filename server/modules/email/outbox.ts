import type { Database } from '../../../db/client.ts'
import type { Mailer, OutgoingEmail } from './mailer.ts'
import * as repository from './repository.ts'

/** What kind of message, for administrators and logs: `signer_invitation`, `member_invitation`, … */
export type OutboxKind = 'signer_invitation' | 'member_invitation' | 'password_reset' | 'notification'

export type OutboxMessage = OutgoingEmail & {
  kind: OutboxKind
  /** The workspaces whose administrators may read it (a user in several workspaces: each of them). */
  workspaceIds: string[]
}

export type Outbox = ReturnType<typeof createOutbox>

/**
 * Every e-mail the app sends goes through here. It is written to `outbox_messages` first, then,
 * with SMTP configured, handed to the server and its state recorded (a delivered message keeps no
 * body). Without SMTP it stays in the outbox, where administrators read it at `/admin/outbox`, so
 * every flow works in the zero-setup demo.
 */
export function createOutbox(deps: { db: Database; mailer: Mailer; now?: () => Date }) {
  const now = deps.now ?? (() => new Date())

  return {
    /** Whether messages leave the server (SMTP configured) or wait in the outbox for an administrator. */
    get isDelivering(): boolean {
      return deps.mailer.isConfigured
    },

    /** Stores the message and, with SMTP, sends it; resolves to whether the SMTP server took it. */
    async send(message: OutboxMessage, logContext: Record<string, string> = {}): Promise<boolean> {
      const status = deps.mailer.isConfigured ? 'sending' : 'stored'
      const ids = await repository.insertMessages(
        deps.db,
        [...new Set(message.workspaceIds)].map((workspaceId) => ({
          workspaceId,
          kind: message.kind,
          recipient: message.to,
          subject: message.subject,
          textBody: message.text,
          htmlBody: message.html,
          status,
        })),
      )
      if (!deps.mailer.isConfigured) return false
      const { kind, workspaceIds: _workspaceIds, ...email } = message
      const isSent = await deps.mailer.send(email, { ...logContext, kind })
      if (isSent) await repository.markSent(deps.db, ids, now())
      else await repository.markFailed(deps.db, ids, 'The SMTP server did not accept the message.')
      return isSent
    },

    async list(workspaceId: string, limit = 100) {
      const rows = await repository.listMessages(deps.db, workspaceId, limit)
      return rows.map((row) => ({
        id: row.id,
        to: row.recipient,
        subject: row.subject,
        text: row.textBody,
        created_at: row.createdAt.toISOString(),
        sent_at: row.sentAt?.toISOString() ?? null,
        status: row.status,
      }))
    },
  }
}
