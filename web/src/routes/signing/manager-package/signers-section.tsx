import { useRef, useState } from 'react'
import { payoutOf } from '../../../api/payout.ts'
import type { OwnershipReviewInput, SignerInput, SigningPackage } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { InputField } from '../../../components/form-field.tsx'
import { Subform } from './controls.tsx'
import { SignerCard } from './signer-card.tsx'

export function SignersSection({
  signing,
  handOverSignerIds,
  busy,
  invalidField,
  onAdd,
  onRemove,
  onResend,
  onReview,
}: {
  signing: SigningPackage
  /** Signers whose link, issued on this page, was not e-mailed. */
  handOverSignerIds: ReadonlySet<string>
  busy: boolean
  /** The input the last refused change was about, marked invalid in the add form. */
  invalidField: string | null
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
              holderNames={
                payoutOf(signing).payout_numbers.find((numbers) => numbers.signer_id === signer.id)
                  ?.holder_names ?? null
              }
              linkToHandOver={handOverSignerIds.has(signer.id)}
              busy={busy}
              onRemove={() => onRemove(signer.id)}
              onResend={() => onResend(signer.id)}
              onReview={(input) => onReview(signer.id, input)}
            />
          ))}
        </ul>
      )}
      {signing.status === 'draft' && <AddSignerForm busy={busy} invalidField={invalidField} onAdd={onAdd} />}
    </Card>
  )
}

function AddSignerForm({
  busy,
  invalidField,
  onAdd,
}: {
  busy: boolean
  invalidField: string | null
  onAdd(input: SignerInput): Promise<boolean>
}) {
  const [legalName, setLegalName] = useState('')
  const [email, setEmail] = useState('')
  const [bankRequired, setBankRequired] = useState(true)
  const invalidFieldRef = useRef(invalidField)
  invalidFieldRef.current = invalidField

  async function submit() {
    if (!(await onAdd({ legal_name: legalName, email, bank_required: bankRequired }))) {
      // The refused value's input takes the focus, so it can be corrected at once.
      const refused = document.getElementById(
        invalidFieldRef.current === 'email' ? 'signer-email' : 'signer-name',
      )
      refused?.focus()
      return
    }
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
        aria-invalid={invalidField === 'legal_name' || undefined}
        aria-describedby={invalidField === 'legal_name' ? 'page-error' : undefined}
      />
      <InputField
        id="signer-email"
        label="Signer email"
        type="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        required
        aria-invalid={invalidField === 'email' || undefined}
        aria-describedby={invalidField === 'email' ? 'page-error' : undefined}
      />
      <label className="checkbox">
        <input type="checkbox" checked={bankRequired} onChange={(e) => setBankRequired(e.target.checked)} />
        Require bank account verification
      </label>
    </Subform>
  )
}
