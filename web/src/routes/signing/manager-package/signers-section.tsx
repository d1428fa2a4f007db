import { useState } from 'react'
import type { OwnershipReviewInput, SignerInput, SigningPackage } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { InputField } from '../../../components/form-field.tsx'
import { Subform } from './controls.tsx'
import { SignerCard } from './signer-card.tsx'

export function SignersSection({
  signing,
  busy,
  onAdd,
  onRemove,
  onResend,
  onReview,
}: {
  signing: SigningPackage
  busy: boolean
  onAdd(input: SignerInput): Promise<boolean>
  onRemove(signerId: string): void
  onResend(signerId: string): void
  onReview(signerId: string, input: OwnershipReviewInput): Promise<boolean>
}) {
  return (
    <Card titleId="signers-title" title="Signers">
      {signing.signers.length === 0 ? (
        <p className="empty-state">No signers yet.</p>
      ) : (
        <ul className="signer-cards">
          {signing.signers.map((signer) => (
            <SignerCard
              key={signer.id}
              signer={signer}
              packageStatus={signing.status}
              busy={busy}
              onRemove={() => onRemove(signer.id)}
              onResend={() => onResend(signer.id)}
              onReview={(input) => onReview(signer.id, input)}
            />
          ))}
        </ul>
      )}
      {signing.status === 'draft' && <AddSignerForm busy={busy} onAdd={onAdd} />}
    </Card>
  )
}

function AddSignerForm({ busy, onAdd }: { busy: boolean; onAdd(input: SignerInput): Promise<boolean> }) {
  const [legalName, setLegalName] = useState('')
  const [email, setEmail] = useState('')
  const [bankRequired, setBankRequired] = useState(true)

  async function submit() {
    if (!(await onAdd({ legal_name: legalName, email, bank_required: bankRequired }))) return
    setLegalName('')
    setEmail('')
    setBankRequired(true)
  }

  return (
    <Subform
      label="Add a signer"
      submitLabel="Add signer"
      submitTone="secondary"
      busy={busy}
      onSubmit={submit}
    >
      <InputField
        id="signer-name"
        label="Legal name"
        value={legalName}
        onChange={(e) => setLegalName(e.target.value)}
        required
        maxLength={200}
      />
      <InputField
        id="signer-email"
        label="Signer email"
        type="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        required
      />
      <label className="checkbox">
        <input type="checkbox" checked={bankRequired} onChange={(e) => setBankRequired(e.target.checked)} />
        Require bank account verification
      </label>
    </Subform>
  )
}
