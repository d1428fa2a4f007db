import { escapeHtml } from '../../http/html.ts'
import type { AuditTrail } from './audit-trail.ts'
import type { PackageView } from './views.ts'

const VERDICT_LABELS: Record<string, string> = {
  verified: 'Verified owner',
  needs_review: 'Needs review',
  mismatch: 'Mismatch',
}

/**
 * A self-contained, printable HTML certificate of completion. Every value that came from a user, a
 * bank or Plaid goes through `escapeHtml`; the page has no scripts and one nonce-bound style block.
 */
export function renderCompletionCertificate(input: {
  signing: PackageView
  trail: AuditTrail
  workspaceName: string
  styleNonce?: string
}): string {
  const { signing, trail } = input
  const text = (value: string | number | null | undefined) =>
    escapeHtml(value === null || value === undefined ? '—' : String(value))
  const verification = trail.verification.is_valid
    ? `<p class="ok">Audit trail intact: ${trail.verification.event_count} events, every hash verified.</p>`
    : `<p class="broken">Audit trail BROKEN at event ${text(trail.verification.first_broken_sequence)}: the record was altered after it was written.</p>`

  const documents = signing.documents
    .map(
      (document) =>
        `<tr><td>${text(document.position)}</td><td>${text(document.title)}</td><td>${text(document.kind)}</td><td><code>${text(document.sha256)}</code></td></tr>`,
    )
    .join('')

  const signers = signing.signers
    .map((signer) => {
      const review = signer.bank?.review
      const reviewLine = review
        ? `<br>Manager review: ${review.decision === 'accept' ? 'Accepted' : 'Rejected'} by ${text(review.reviewer ? `${review.reviewer.name} <${review.reviewer.email}>` : 'a deleted user')} at ${text(review.reviewed_at)}: “${text(review.note)}”`
        : ''
      const bank = signer.bank
        ? `${text(bankLine(signer.bank))}<br>Ownership: ${text(VERDICT_LABELS[signer.bank.verdict] ?? signer.bank.verdict)} (name score ${text(signer.bank.name_score)}, e-mail score ${text(signer.bank.email_score)})${reviewLine}<br>Item status: ${text(signer.bank.item_status)} · verified ${text(signer.bank.verified_at)}`
        : signer.bank_required
          ? 'Not verified'
          : 'Not required'
      const signature = signer.signature
        ? `Typed name “${text(signer.signature.typed_name)}” at ${text(signer.signed_at)}<br>IP ${text(signer.signature.ip_address)}<br><small>${text(signer.signature.user_agent)}</small>`
        : text(signer.status)
      return `<tr><td>${text(signer.legal_name)}<br><small>${text(signer.email)}</small></td><td>${bank}</td><td>${signature}</td></tr>`
    })
    .join('')

  const events = trail.events
    .map(
      (event) =>
        `<tr><td>${text(event.sequence)}</td><td>${text(event.occurred_at)}</td><td>${text(event.action)}</td><td>${text(event.actor ? (event.actor.email ?? event.actor.user_id ?? event.actor.signer_id) : 'system')}</td><td>${text(event.ip_address)}</td><td><code>${text(JSON.stringify(event.details))}</code></td><td><code>${text(event.hash.slice(0, 16))}…</code></td></tr>`,
    )
    .join('')

  const nonce = input.styleNonce ? ` nonce="${escapeHtml(input.styleNonce)}"` : ''
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Certificate of completion · ${text(signing.title)}</title>
<style${nonce}>
body{font:14px/1.5 system-ui,sans-serif;color:#16181d;max-width:960px;margin:32px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border:1px solid #d5d9e0;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f2f4f7}code{font-size:12px;word-break:break-all}small{color:#5d6472}
.ok{color:#0f7a4a;font-weight:600}.broken{color:#b42318;font-weight:700}
</style>
</head>
<body>
<h1>Certificate of completion</h1>
<p>${text(signing.title)} · ${text(input.workspaceName)}</p>
<p>Status: <strong>${text(signing.status)}</strong> · created ${text(signing.created_at)} · activated ${text(signing.activated_at)} · completed ${text(signing.completed_at)}</p>
${verification}
<p>Final hash: <code>${text(trail.verification.last_hash)}</code> · generated ${text(trail.generated_at)}</p>
${signing.seal ? `<p>Sealed PDF: ${text(signing.seal.pages)} pages, ${text(signing.seal.size)} bytes, sealed ${text(signing.seal.sealed_at)} · SHA-256 <code>${text(signing.seal.sha256)}</code></p>` : ''}
<h2>Documents</h2>
<table><thead><tr><th>#</th><th>Title</th><th>Kind</th><th>SHA-256</th></tr></thead><tbody>${documents}</tbody></table>
<h2>Signers</h2>
<table><thead><tr><th>Signer</th><th>Payout account</th><th>Signature</th></tr></thead><tbody>${signers}</tbody></table>
<h2>Audit trail</h2>
<table><thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>Actor</th><th>IP</th><th>Details</th><th>Hash</th></tr></thead><tbody>${events}</tbody></table>
</body>
</html>`
}

function bankLine(bank: NonNullable<PackageView['signers'][number]['bank']>): string {
  const mask = bank.account_mask ? ` ••${bank.account_mask}` : ''
  return `${bank.institution_name ?? 'Bank'} · ${bank.account_name}${mask}`
}
