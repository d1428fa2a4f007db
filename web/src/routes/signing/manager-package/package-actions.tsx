import { useState } from 'react'
import type { SigningPackage } from '../../../api/signings.ts'
import { Card } from '../../../components/card.tsx'
import { InputField } from '../../../components/form-field.tsx'
import { Notice } from '../../../components/notice.tsx'
import { Subform } from './controls.tsx'

/** The package's policy and what can be done with it as a whole: activate, refresh, cancel. */
export function PackageActions({
  signing,
  unsavedFieldsIn,
  busy,
  onActivate,
  onRefresh,
  onCancel,
}: {
  signing: SigningPackage
  /** Titles of documents whose fields have unsaved changes. */
  unsavedFieldsIn: string[]
  busy: boolean
  onActivate(): void
  onRefresh(): void
  onCancel(reason: string): void
}) {
  const isDraft = signing.status === 'draft'
  return (
    <Card titleId="actions-title" title="Package">
      <p className="muted">
        Ownership policy: verified from a name score of {signing.policy.verified_name_score}, review from{' '}
        {signing.policy.review_name_score}; a mismatch{' '}
        {signing.policy.match_required ? 'blocks' : 'does not block'} signing.
      </p>
      {isDraft && unsavedFieldsIn.length > 0 && (
        <Notice tone="warning" title="Fields not saved">
          <p>Save the fields of {unsavedFieldsIn.join(', ')} before activating the package.</p>
        </Notice>
      )}
      <div className="toolbar">
        {isDraft && (
          <button
            type="button"
            className="button button--primary"
            disabled={busy || unsavedFieldsIn.length > 0}
            onClick={onActivate}
          >
            Activate and invite signers
          </button>
        )}
        <button type="button" className="button button--secondary" onClick={onRefresh} disabled={busy}>
          Refresh
        </button>
      </div>
      {(isDraft || signing.status === 'active') && <CancelForm busy={busy} onCancel={onCancel} />}
    </Card>
  )
}

function CancelForm({ busy, onCancel }: { busy: boolean; onCancel(reason: string): void }) {
  const [reason, setReason] = useState('')
  return (
    <Subform
      label="Cancel the package"
      submitLabel="Cancel package"
      submitTone="danger"
      busy={busy}
      onSubmit={() => onCancel(reason)}
    >
      <InputField
        id="cancel-reason"
        label="Reason for cancelling"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        required
        maxLength={500}
      />
    </Subform>
  )
}
