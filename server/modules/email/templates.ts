import { escapeHtml } from '../../http/html.ts'
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

export function memberInvitationEmail(input: {
  to: string
  inviterName: string
  workspaceName: string
  role: 'admin' | 'manager'
  url: string
  expiresAt: Date
}): OutgoingEmail {
  const expires = input.expiresAt.toUTCString()
  const roleName = input.role === 'admin' ? 'an administrator' : 'a manager'
  const subject = `Join ${input.workspaceName} on Safeclose`
  const text = [
    'Hello,',
    '',
    `${input.inviterName} invites you to join ${input.workspaceName} on Safeclose as ${roleName}.`,
    '',
    `Accept the invitation: ${input.url}`,
    `The link is valid until ${expires} and works once.`,
  ].join('\n')
  const html = `<p>Hello,</p>
<p>${escapeHtml(input.inviterName)} invites you to join <strong>${escapeHtml(input.workspaceName)}</strong> on Safeclose as ${roleName}.</p>
<p><a href="${escapeHtml(input.url)}">Accept the invitation</a></p>
<p>The link is valid until ${escapeHtml(expires)} and works once.</p>`
  return { to: input.to, subject, text, html }
}

export function passwordResetEmail(input: {
  to: string
  name: string
  url: string
  expiresAt: Date
}): OutgoingEmail {
  const expires = input.expiresAt.toUTCString()
  const subject = 'Reset your Safeclose password'
  const text = [
    `Hello ${input.name},`,
    '',
    'Someone asked to reset the password of your Safeclose account. If it was you, choose a new one:',
    input.url,
    '',
    `The link is valid until ${expires} and works once. If you did not ask, ignore this e-mail.`,
  ].join('\n')
  const html = `<p>Hello ${escapeHtml(input.name)},</p>
<p>Someone asked to reset the password of your Safeclose account. If it was you, choose a new one:</p>
<p><a href="${escapeHtml(input.url)}">Reset your password</a></p>
<p>The link is valid until ${escapeHtml(expires)} and works once. If you did not ask, ignore this e-mail.</p>`
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
