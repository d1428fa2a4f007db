import type { Invitation, ManagedSigner } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { formatDateTime } from '../../../format.ts'

export function InvitationList({
  invitations,
  signers,
}: {
  invitations: Invitation[]
  signers: ManagedSigner[]
}) {
  const nameOf = (signerId: string) => signers.find((signer) => signer.id === signerId)?.legal_name ?? ''
  return (
    <Card titleId="invitations-title" title="Signing links">
      <p className="muted">
        Each link signs its signer in. Links that were not e-mailed are shown once: copy them now and send
        them privately.
      </p>
      <ul className="invitation-list">
        {invitations.map((invitation) => (
          <li key={invitation.signer_id} aria-label={`Link for ${nameOf(invitation.signer_id)}`}>
            <strong>{nameOf(invitation.signer_id)}</strong> <span className="muted">{invitation.email}</span>
            {invitation.url ? (
              <input
                readOnly
                value={invitation.url}
                aria-label={`Signing link for ${invitation.email}`}
                onFocus={(e) => e.target.select()}
              />
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
