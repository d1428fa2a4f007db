import { escapeHtml } from './html.ts'
import type { OutgoingEmail } from './mailer.ts'

export function signingInvitationEmail(input: {
  to: string
  signerName: string
  packageTitle: string
  senderWorkspace: string
  signingUrl: string
  expiresAt: Date
}): OutgoingEmail {
  const expires = input.expiresAt.toUTCString()
  const subject = `Please sign: ${input.packageTitle}`
  const text = [
    `Hello ${input.signerName},`,
    '',
    `${input.senderWorkspace} asks you to review and sign "${input.packageTitle}".`,
    'You will also confirm the bank account that should receive your funds.',
    '',
    `Open your personal signing link: ${input.signingUrl}`,
    `The link is valid until ${expires}. Do not forward it: it signs you in.`,
  ].join('\n')
  const html = `<p>Hello ${escapeHtml(input.signerName)},</p>
<p>${escapeHtml(input.senderWorkspace)} asks you to review and sign <strong>${escapeHtml(input.packageTitle)}</strong>.
You will also confirm the bank account that should receive your funds.</p>
<p><a href="${escapeHtml(input.signingUrl)}">Open your personal signing link</a></p>
<p>The link is valid until ${escapeHtml(expires)}. Do not forward it: it signs you in.</p>`
  return { to: input.to, subject, text, html }
}

/** To each signer once their package is sealed: a fresh personal link to download the signed PDF. */
export function signingCompletedEmail(input: {
  to: string
  signerName: string
  packageTitle: string
  senderWorkspace: string
  signingUrl: string
  expiresAt: Date
  sha256: string
}): OutgoingEmail {
  const expires = input.expiresAt.toUTCString()
  const subject = `Completed: ${input.packageTitle}`
  const text = [
    `Hello ${input.signerName},`,
    '',
    `Everyone has signed "${input.packageTitle}" (${input.senderWorkspace}).`,
    'The signed PDF, sealed with a digital signature and the certificate of completion, is ready.',
    '',
    `Download it through your personal link: ${input.signingUrl}`,
    `The link is valid until ${expires}. Do not forward it: it signs you in.`,
    '',
    `SHA-256 of the sealed PDF: ${input.sha256}`,
  ].join('\n')
  const html = `<p>Hello ${escapeHtml(input.signerName)},</p>
<p>Everyone has signed <strong>${escapeHtml(input.packageTitle)}</strong> (${escapeHtml(input.senderWorkspace)}).
The signed PDF, sealed with a digital signature and the certificate of completion, is ready.</p>
<p><a href="${escapeHtml(input.signingUrl)}">Download the signed PDF</a></p>
<p>The link is valid until ${escapeHtml(expires)}. Do not forward it: it signs you in.</p>
<p>SHA-256 of the sealed PDF: <code>${escapeHtml(input.sha256)}</code></p>`
  return { to: input.to, subject, text, html }
}
