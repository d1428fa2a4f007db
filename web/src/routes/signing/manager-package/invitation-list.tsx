import { useState } from 'react'
import type { Invitation, ManagedSigner } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { formatDateTime } from '../../../format.ts'

/**
 * The links issued while this page is open, at the top of the page. A link that was not e-mailed is
 * shown only here, once: the manager copies it and sends it privately.
 */
export function InvitationList({
  invitations,
  signers,
}: {
  invitations: Invitation[]
  signers: ManagedSigner[]
}) {
  const nameOf = (signerId: string) => signers.find((signer) => signer.id === signerId)?.legal_name ?? ''
  const toHandOver = invitations.some((invitation) => invitation.url !== null)
  return (
    <Card titleId="invitations-title" title="Signing links">
      <p className="muted">
        {toHandOver
          ? 'Safeclose did not e-mail these links. Copy each one now and send it privately to its signer: it signs them in, and it is shown only once.'
          : 'Each signer was e-mailed their own link.'}
      </p>
      <ul className="invitation-list">
        {invitations.map((invitation) => (
          <li key={invitation.signer_id} aria-label={`Link for ${nameOf(invitation.signer_id)}`}>
            <strong>{nameOf(invitation.signer_id)}</strong> <span className="muted">{invitation.email}</span>
            {invitation.url ? (
              <span className="invitation-list__link">
                <input
                  readOnly
                  value={invitation.url}
                  aria-label={`Signing link for ${invitation.email}`}
                  onFocus={(e) => e.target.select()}
                />
                <CopyButton text={invitation.url} label={`Copy the link for ${invitation.email}`} />
              </span>
            ) : (
              <span>E-mailed</span>
            )}
            <span className="muted">valid until {formatDateTime(invitation.expires_at)}</span>
          </li>
        ))}
      </ul>
    </Card>
  )
}

function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle')
  return (
    <>
      <button
        type="button"
        className="button button--secondary button--small"
        aria-label={label}
        onClick={() =>
          navigator.clipboard.writeText(text).then(
            () => setState('copied'),
            () => setState('failed'),
          )
        }
      >
        {state === 'copied' ? 'Copied' : 'Copy link'}
      </button>
      <span role="status" className={state === 'failed' ? 'form-message__error' : 'visually-hidden'}>
        {state === 'copied'
          ? 'Link copied'
          : state === 'failed'
            ? 'Could not copy: select the link and copy it by hand.'
            : ''}
      </span>
    </>
  )
}
