import { useCallback, useState } from 'react'
import { Link, type LoaderFunctionArgs, useLoaderData, useRevalidator, useRouteError } from 'react-router'
import { ApiError } from '../../api/client.ts'
import { payoutOf } from '../../api/payout.ts'
import { signingsApi } from '../../api/signings.ts'
import { Notice } from '../../components/notice.tsx'
import { useFocusHeadingOnChange, useFocusWhenShown } from '../../focus.ts'
import { MANAGER_SIGNINGS_PATH } from '../../navigation.ts'
import { AuditPanel } from './manager-package/audit-panel.tsx'
import { DocumentsSection } from './manager-package/documents-section.tsx'
import { InvitationList } from './manager-package/invitation-list.tsx'
import { PackageActions } from './manager-package/package-actions.tsx'
import { PackageHeader } from './manager-package/package-header.tsx'
import { PayoutAlerts, PayoutInstructions } from './manager-package/payout-section.tsx'
import { SealSection } from './manager-package/seal-section.tsx'
import { SignersSection } from './manager-package/signers-section.tsx'
import { usePackageChanges } from './manager-package/use-package-changes.ts'
import './manager-package-page.css'

export { managerPackageAction } from './manager-package/use-package-changes.ts'

/** The package and, once it is active, its audit trail: both re-read after every change. */
export async function managerPackageLoader({ params, request }: LoaderFunctionArgs) {
  const id = params.id ?? ''
  const signing = await signingsApi.get(id, request.signal)
  const audit = signing.status === 'draft' ? null : await signingsApi.audit(id, request.signal)
  return { signing, audit }
}

/** A package that cannot be loaded (unknown, another workspace's, or the server failed): say so in the shell. */
export function ManagerPackageErrorPage() {
  const error = useRouteError()
  if (!(error instanceof ApiError)) console.error(error)
  return (
    <div role="alert">
      <title>Signing package · Safeclose</title>
      <Notice tone="error" title="Could not load this package">
        <p>{error instanceof ApiError ? error.message : 'Something stopped this page from loading.'}</p>
        <p>
          <Link to={MANAGER_SIGNINGS_PATH}>Back to signing packages</Link>
        </p>
      </Notice>
    </div>
  )
}

export function ManagerPackagePage() {
  const { signing, audit } = useLoaderData<typeof managerPackageLoader>()
  const revalidator = useRevalidator()
  const changes = usePackageChanges()
  const refresh = useCallback(() => void revalidator.revalidate(), [revalidator])
  const errorRef = useFocusWhenShown<HTMLDivElement>(changes.error)
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
  const payout = payoutOf(signing)
  // Links work only while the package is active; a cancelled or completed package hides them.
  const liveInvitations = signing.status === 'active' ? changes.invitations : []
  const handOver = new Set(
    liveInvitations.filter((invitation) => invitation.url !== null).map((invitation) => invitation.signer_id),
  )

  // Activating or resending: the new links are at the top of the page, so take the manager there.
  const invitationsArea = useFocusHeadingOnChange<HTMLDivElement>(
    liveInvitations.length > 0 ? changes.invitations : null,
  )

  return (
    <>
      <title>{`${signing.title} · Signing packages · Safeclose`}</title>
      <PackageHeader signing={signing} />
      <PayoutAlerts signing={signing} payout={payout} onChanged={refresh} />

      {changes.error && (
        <div id="page-error">
          <Notice tone="error" title="That did not work" live ref={errorRef}>
            <p>{changes.error}</p>
          </Notice>
        </div>
      )}

      <div ref={invitationsArea} className="invitations-area">
        {liveInvitations.length > 0 && (
          <InvitationList invitations={liveInvitations} signers={signing.signers} />
        )}
      </div>

      <DocumentsSection
        signingId={signing.id}
        signers={signing.signers}
        documents={signing.documents}
        editable={signing.status === 'draft'}
        busy={changes.busy}
        invalidField={changes.invalidField}
        onAdd={changes.addDocument}
        onRemove={changes.removeDocument}
        onFieldsDirty={markFields}
      />
      <SignersSection
        signing={signing}
        handOverSignerIds={handOver}
        busy={changes.busy}
        invalidField={changes.invalidField}
        onAdd={changes.addSigner}
        onRemove={changes.removeSigner}
        onResend={(signerId) => void changes.resend(signerId)}
        onReview={changes.reviewOwnership}
      />
      {signing.status === 'complete' && <SealSection signing={signing} />}
      <PayoutInstructions signing={signing} payout={payout} />
      <PackageActions
        signing={signing}
        unsavedFieldsIn={signing.documents
          .filter((document) => unsavedFields.has(document.id))
          .map((document) => document.title)}
        busy={changes.busy || revalidator.state !== 'idle'}
        onActivate={() => void changes.activate()}
        onRefresh={refresh}
        onCancel={(reason) => void changes.cancel(reason)}
      />

      {audit && <AuditPanel signing={signing} audit={audit} />}
    </>
  )
}
