import { useState } from 'react'
import {
  type DocumentInput,
  type Invitation,
  type OwnershipReviewInput,
  type SignerInput,
  type SigningPackage,
  signingsApi,
} from '../../../api/signings.ts'
import { useAction } from '../use-async.ts'

type LoadedPackage = { replace(signing: SigningPackage): void; reload(): void }

/**
 * The manager's changes to package `id`, one at a time (`busy`, `error` as in `useAction`). Every
 * change that succeeds is written to the audit trail, so it bumps `auditGeneration` for the panel to
 * re-read. Links are shown once, so `invitations` keeps those issued while the page is open.
 */
export function usePackageChanges(id: string, loaded: LoadedPackage) {
  const action = useAction()
  const [invitations, setInvitations] = useState<Invitation[]>([])
  const [auditGeneration, setAuditGeneration] = useState(0)

  /** Runs one change; true when it succeeded (a form keeps its input otherwise, for a retry). */
  async function change<T>(work: () => Promise<T>, apply: (result: T) => void): Promise<boolean> {
    const result = await action.run(work)
    if (!result) return false
    apply(result)
    setAuditGeneration((value) => value + 1)
    return true
  }
  const update = (work: () => Promise<SigningPackage>) => change(work, loaded.replace)

  return {
    busy: action.busy,
    error: action.error,
    invitations,
    auditGeneration,
    /** Re-reads the package and its audit trail: signers act in their own browsers meanwhile. */
    refresh: () => {
      loaded.reload()
      setAuditGeneration((value) => value + 1)
    },
    /** A change made elsewhere on the page (payout alerts) that answered with the package. */
    replace: (signing: SigningPackage) => {
      loaded.replace(signing)
      setAuditGeneration((value) => value + 1)
    },
    addDocument: (input: DocumentInput | { title: string; file: File }) =>
      update(() =>
        'file' in input
          ? signingsApi.uploadDocument(id, input.title, input.file)
          : signingsApi.addDocument(id, input),
      ),
    removeDocument: (documentId: string) => update(() => signingsApi.removeDocument(id, documentId)),
    addSigner: (input: SignerInput) => update(() => signingsApi.addSigner(id, input)),
    removeSigner: (signerId: string) => update(() => signingsApi.removeSigner(id, signerId)),
    reviewOwnership: (signerId: string, input: OwnershipReviewInput) =>
      update(() => signingsApi.reviewOwnership(id, signerId, input)),
    cancel: (reason: string) => update(() => signingsApi.cancel(id, reason)),
    activate: () =>
      change(
        () => signingsApi.activate(id),
        (result) => {
          loaded.replace(result.signing)
          setInvitations(result.invitations)
        },
      ),
    // A new link revokes the signer's previous one: it replaces that signer's entry.
    resend: (signerId: string) =>
      change(
        () => signingsApi.resend(id, signerId),
        (result) => {
          setInvitations((current) => [
            ...current.filter((invitation) => invitation.signer_id !== signerId),
            result.invitation,
          ])
          loaded.reload()
        },
      ),
  }
}
