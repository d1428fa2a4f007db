import { useCallback, useState } from 'react'
import { Link, useParams } from 'react-router'
import { payoutOf } from '../../api/payout.ts'
import { signingsApi } from '../../api/signings.ts'
import { Spinner } from '../../components/loading.tsx'
import { Notice } from '../../components/notice.tsx'
import { AuditPanel } from './manager-package/audit-panel.tsx'
import { DocumentsSection } from './manager-package/documents-section.tsx'
import { InvitationList } from './manager-package/invitation-list.tsx'
import { PackageActions } from './manager-package/package-actions.tsx'
import { PackageHeader } from './manager-package/package-header.tsx'
import { PayoutAlerts, PayoutInstructions } from './manager-package/payout-section.tsx'
import { SealSection } from './manager-package/seal-section.tsx'
import { SignersSection } from './manager-package/signers-section.tsx'
import { usePackageChanges } from './manager-package/use-package-changes.ts'
import { MANAGER_SIGNINGS_PATH } from './manager-signings-page.tsx'
import { useAsync } from './use-async.ts'

export function ManagerPackagePage() {
  const { id = '' } = useParams()
  const loaded = useAsync((signal) => signingsApi.get(id, signal), [id])
  const changes = usePackageChanges(id, loaded)
  const { state } = loaded
  // Documents whose field editor has changes not saved yet: activating would send the old fields.
  const [unsavedFields, setUnsavedFields] = useState<ReadonlySet<string>>(new Set())
  const markFields = useCallback((documentId: string, isDirty: boolean) => {
    setUnsavedFields((current) => {
      if (current.has(documentId) === isDirty) return current
      const next = new Set(current)
      if (isDirty) next.add(documentId)
      else next.delete(documentId)
      return next
    })
  }, [])

  if (state.phase === 'loading') return <Spinner label="Loading package…" />
  if (state.phase === 'failed') {
    return (
      <Notice tone="error" title="Could not load this package">
        <p>{state.error.message}</p>
        <p>
          <Link to={MANAGER_SIGNINGS_PATH}>Back to signing packages</Link>
        </p>
      </Notice>
    )
  }
  const signing = state.data
  const payout = payoutOf(signing)

  return (
    <>
      <title>{`${signing.title} · Signing packages · Safeclose`}</title>
      <PackageHeader signing={signing} />
      <PayoutAlerts signing={signing} payout={payout} onChanged={changes.replace} />

      {changes.error && (
        <Notice tone="error" title="That did not work" live>
          <p>{changes.error}</p>
        </Notice>
      )}

      {changes.invitations.length > 0 && (
        <InvitationList invitations={changes.invitations} signers={signing.signers} />
      )}

      <DocumentsSection
        signingId={signing.id}
        signers={signing.signers}
        documents={signing.documents}
        editable={signing.status === 'draft'}
        busy={changes.busy}
        onAdd={changes.addDocument}
        onRemove={changes.removeDocument}
        onFieldsSaved={changes.refresh}
        onFieldsDirty={markFields}
      />
      <SignersSection
        signing={signing}
        busy={changes.busy}
        onAdd={changes.addSigner}
        onRemove={changes.removeSigner}
        onResend={changes.resend}
        onReview={changes.reviewOwnership}
      />
      {signing.status === 'complete' && <SealSection signing={signing} onUpdate={loaded.replace} />}
      <PayoutInstructions signing={signing} payout={payout} />
      <PackageActions
        signing={signing}
        unsavedFieldsIn={signing.documents
          .filter((document) => unsavedFields.has(document.id))
          .map((document) => document.title)}
        busy={changes.busy}
        onActivate={changes.activate}
        onRefresh={changes.refresh}
        onCancel={changes.cancel}
      />

      {signing.status !== 'draft' && (
        <AuditPanel signingId={signing.id} generation={changes.auditGeneration} />
      )}
    </>
  )
}
