import type { FastifyBaseLogger } from 'fastify'
import nodemailer from 'nodemailer'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMailer, SMTP_TIMEOUTS_MS } from '../../server/modules/email/mailer.ts'

const logger = { warn: vi.fn() } as unknown as FastifyBaseLogger

/** The options nodemailer's SMTP transport will connect with, as createMailer built it. */
function effectiveOptions(smtpUrl: string): Record<string, unknown> {
  const createTransport = vi.spyOn(nodemailer, 'createTransport')
  createMailer({ smtpUrl, from: 'Safeclose <no-reply@safeclose.invalid>', logger })
  const transport = createTransport.mock.results[0]?.value as { transporter: { options: object } }
  return transport.transporter.options as Record<string, unknown>
}

describe('createMailer', () => {
  afterEach(() => vi.restoreAllMocks())

  it('bounds every wait on the SMTP server, far below nodemailer’s own minutes', () => {
    expect(effectiveOptions('smtp://mailer:secret@smtp.example.test:587')).toMatchObject({
      host: 'smtp.example.test',
      port: 587,
      secure: false,
      auth: { user: 'mailer', pass: 'secret' },
      ...SMTP_TIMEOUTS_MS,
    })
    for (const timeout of Object.values(SMTP_TIMEOUTS_MS)) expect(timeout).toBeLessThanOrEqual(20_000)
  })

  it('lets SMTP_URL’s query override a bound', () => {
    expect(effectiveOptions('smtps://smtp.example.test/?greetingTimeout=30000')).toMatchObject({
      secure: true,
      greetingTimeout: 30_000,
      connectionTimeout: SMTP_TIMEOUTS_MS.connectionTimeout,
    })
  })

  it('has no transport without SMTP_URL', async () => {
    const mailer = createMailer({ smtpUrl: null, from: 'x <x@x.invalid>', logger })
    expect(mailer.isConfigured).toBe(false)
    expect(await mailer.send({ to: 'a@example.test', subject: 's', text: 't', html: 'h' })).toBe(false)
  })
})
