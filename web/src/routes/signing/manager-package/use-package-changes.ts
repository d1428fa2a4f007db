import { useCallback, useEffect, useRef, useState } from 'react'
import { type ActionFunctionArgs, useFetcher } from 'react-router'
import { refusalOf } from '../../../api/client.ts'
import {
  type DocumentInput,
  type FieldInput,
  type Invitation,
  type OwnershipReviewInput,
  type SignerInput,
  type SigningField,
  signingsApi,
} from '../../../api/signings.ts'

/** One change to a package, as the page's fetcher submits it to the route action. */
export type PackageChange =
  | { intent: 'add-document'; input: DocumentInput }
  | { intent: 'remove-document'; document_id: string }
  | { intent: 'add-signer'; input: SignerInput }
  | { intent: 'remove-signer'; signer_id: string }
  | { intent: 'resend'; signer_id: string }
  | { intent: 'review-ownership'; signer_id: string; input: OwnershipReviewInput }
  | { intent: 'cancel'; reason: string }
  | { intent: 'activate' }
  | { intent: 'save-fields'; document_id: string; fields: FieldInput[] }

export type PackageChangeResult =
  | { ok: true; invitations: Invitation[]; fields?: SigningField[] }
  | { ok: false; message: string; field: string | null; requestId: string | null }

/**
 * The package page's action: one change per submission, JSON or (an uploaded file) multipart. After
 * it, React Router re-runs the page's loader, which re-reads the package and its audit trail.
 */
export async function managerPackageAction({
  request,
  params,
}: ActionFunctionArgs): Promise<PackageChangeResult> {
  const id = params.id ?? ''
  try {
    if (request.headers.get('content-type')?.startsWith('multipart/form-data')) {
      const form = await request.formData()
      const file = form.get('file')
      if (!(file instanceof File)) throw new Response('No file', { status: 400 })
      await signingsApi.uploadDocument(id, String(form.get('title') ?? ''), file)
      return { ok: true, invitations: [] }
    }
    const change = (await request.json()) as PackageChange
    switch (change.intent) {
      case 'add-document':
        await signingsApi.addDocument(id, change.input)
        break
      case 'remove-document':
        await signingsApi.removeDocument(id, change.document_id)
        break
      case 'add-signer':
        await signingsApi.addSigner(id, change.input)
        break
      case 'remove-signer':
        await signingsApi.removeSigner(id, change.signer_id)
        break
      case 'review-ownership':
        await signingsApi.reviewOwnership(id, change.signer_id, change.input)
        break
      case 'cancel':
        await signingsApi.cancel(id, change.reason)
        break
      case 'activate':
        return { ok: true, invitations: (await signingsApi.activate(id)).invitations }
      case 'save-fields': {
        const saved = await signingsApi.saveFields(id, change.document_id, change.fields)
        return { ok: true, invitations: [], fields: saved.fields }
      }
      case 'resend':
        return { ok: true, invitations: [(await signingsApi.resend(id, change.signer_id)).invitation] }
    }
    return { ok: true, invitations: [] }
  } catch (error) {
    return { ok: false, ...refusalOf(error) }
  }
}

/**
 * The manager's changes to the package, one at a time through one fetcher (`busy`, `error`). Each
 * change resolves to true when it succeeded, so a form can clear itself (or keep its input for a
 * retry). Links are shown once, so `invitations` keeps those issued while the page is open; a new
 * link for a signer replaces their previous one.
 */
export function usePackageChanges() {
  const fetcher = useFetcher<PackageChangeResult>()
  const [invitations, setInvitations] = useState<Invitation[]>([])
  const waiting = useRef<((result: PackageChangeResult) => void) | null>(null)

  useEffect(() => {
    if (fetcher.state !== 'idle' || !fetcher.data || !waiting.current) return
    const result = fetcher.data
    if (result.ok && result.invitations.length > 0) {
      setInvitations((current) => [
        ...current.filter(
          (kept) => !result.invitations.some((issued) => issued.signer_id === kept.signer_id),
        ),
        ...result.invitations,
      ])
    }
    waiting.current(result)
    waiting.current = null
  }, [fetcher.state, fetcher.data])

  const submit = fetcher.submit
  const run = useCallback(
    (body: PackageChange | FormData): Promise<boolean> =>
      new Promise((resolve) => {
        waiting.current = (result) => resolve(result.ok)
        void submit(
          body as never,
          body instanceof FormData
            ? { method: 'post', encType: 'multipart/form-data' }
            : { method: 'post', encType: 'application/json' },
        )
      }),
    [submit],
  )

  const failed = fetcher.state === 'idle' && fetcher.data && !fetcher.data.ok ? fetcher.data : null
  return {
    busy: fetcher.state !== 'idle',
    error: failed?.message ?? null,
    /** The form input the last refusal was about (e.g. `legal_name`), to mark it invalid. */
    invalidField: failed?.field ?? null,
    invitations,
    addDocument: (input: DocumentInput | { title: string; file: File }) => {
      if (!('file' in input)) return run({ intent: 'add-document', input })
      const form = new FormData()
      form.set('title', input.title)
      form.set('file', input.file)
      return run(form)
    },
    removeDocument: (documentId: string) => run({ intent: 'remove-document', document_id: documentId }),
    addSigner: (input: SignerInput) => run({ intent: 'add-signer', input }),
    removeSigner: (signerId: string) => run({ intent: 'remove-signer', signer_id: signerId }),
    reviewOwnership: (signerId: string, input: OwnershipReviewInput) =>
      run({ intent: 'review-ownership', signer_id: signerId, input }),
    cancel: (reason: string) => run({ intent: 'cancel', reason }),
    activate: () => run({ intent: 'activate' }),
    resend: (signerId: string) => run({ intent: 'resend', signer_id: signerId }),
  }
}
