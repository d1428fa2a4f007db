import type { FastifyBaseLogger } from 'fastify'
import nodemailer from 'nodemailer'

export type OutgoingEmail = { to: string; subject: string; text: string; html: string }

/**
 * How long one message may wait on the SMTP server, in milliseconds. Invitations are sent while the
 * manager's activation or resend request waits, and nodemailer's own
 * defaults (2 minutes to connect, 30 s for the greeting, 10 minutes of silence) would let a hung or
 * firewalled server hold that request for minutes, past any proxy's timeout, so that the manager
 * never sees the links to hand over instead. Query parameters of SMTP_URL override these
 * (`smtp://host:587/?connectionTimeout=30000`).
 */
export const SMTP_TIMEOUTS_MS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }

/**
 * Outgoing e-mail. With SMTP_URL unset there is no transport: `isConfigured` is false and callers show
 * people what they would have mailed (signing links) instead.
 */
export type Mailer = {
  readonly isConfigured: boolean
  /**
   * Resolves to whether the message was handed to the SMTP server; failures are logged (with
   * `logContext`, e.g. which package and signer), not thrown.
   */
  send(email: OutgoingEmail, logContext?: Record<string, string>): Promise<boolean>
}

export function createMailer(options: {
  smtpUrl: string | null
  from: string
  logger: FastifyBaseLogger
  /** Tests pass a nodemailer transport option object (e.g. `{ jsonTransport: true }`). */
  transport?: Parameters<typeof nodemailer.createTransport>[0]
}): Mailer {
  const transportOptions =
    options.transport ?? (options.smtpUrl ? { ...SMTP_TIMEOUTS_MS, url: options.smtpUrl } : null)
  if (!transportOptions) return { isConfigured: false, send: async () => false }
  const transporter = nodemailer.createTransport(transportOptions)
  return {
    isConfigured: true,
    async send(email, logContext = {}) {
      try {
        await transporter.sendMail({ from: options.from, ...email })
        return true
      } catch (error) {
        // SMTP errors can echo the server URL with its credentials; keep only the code.
        options.logger.warn(
          { ...logContext, smtp_error_code: (error as { code?: string }).code ?? null },
          'could not send an e-mail',
        )
        return false
      }
    },
  }
}
