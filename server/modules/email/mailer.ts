import type { FastifyBaseLogger } from 'fastify'
import nodemailer from 'nodemailer'

export type OutgoingEmail = { to: string; subject: string; text: string; html: string }

/**
 * Outgoing e-mail. With SMTP_URL unset there is no transport: `isConfigured` is false and callers show
 * people what they would have mailed (signing links) instead.
 */
export type Mailer = {
  readonly isConfigured: boolean
  /** Resolves to whether the message was handed to the SMTP server; failures are logged, not thrown. */
  send(email: OutgoingEmail): Promise<boolean>
}

export function createMailer(options: {
  smtpUrl: string | null
  from: string
  logger: FastifyBaseLogger
  /** Tests pass a nodemailer transport option object (e.g. `{ jsonTransport: true }`). */
  transport?: Parameters<typeof nodemailer.createTransport>[0]
}): Mailer {
  const transportOptions = options.transport ?? options.smtpUrl
  if (!transportOptions) return { isConfigured: false, send: async () => false }
  const transporter = nodemailer.createTransport(transportOptions)
  return {
    isConfigured: true,
    async send(email) {
      try {
        await transporter.sendMail({ from: options.from, ...email })
        return true
      } catch (error) {
        // SMTP errors can echo the server URL with its credentials; keep only the code.
        options.logger.warn(
          { smtp_error_code: (error as { code?: string }).code ?? null },
          'could not send an e-mail',
        )
        return false
      }
    },
  }
}
