import type {
  AuditTrail,
  DocumentInput,
  FieldInput,
  FieldType,
  Invitation,
  OwnershipPolicy,
  OwnershipReviewInput,
  OwnershipVerdict,
  PackageStatus,
  SignerDocumentContent,
  SignerFlow,
  SignerInput,
  SignerStatus,
  SignInput,
  SigningField,
  SigningPackage,
  SigningPackageDetail,
  SigningSummary,
  VerifyResult,
} from '../../../server/http/contract.ts'
import { ApiError, apiErrorFrom, apiRequest } from './client.ts'

// The types come from the server's schemas (server/http/contract.ts, ADR 0021), never copied here.
export type {
  AdoptedMark,
  AuditTrail,
  BankVerification,
  DocumentInput,
  FieldInput,
  FieldType,
  Invitation,
  ItemStatus,
  ManagedBankVerification,
  ManagedSigner,
  OwnershipPolicy,
  OwnershipReview,
  OwnershipReviewDecision,
  OwnershipReviewInput,
  OwnershipVerdict,
  PackageStatus,
  SealInfo,
  SignerDocumentContent,
  SignerField,
  SignerFlow,
  SignerInput,
  SignerStatus,
  SignerStep,
  SignInput,
  SigningDocument,
  SigningField,
  SigningPackage,
  SigningPackageDetail,
  SigningSummary,
  VerifyResult,
} from '../../../server/http/contract.ts'

/** A field's box on a page: fractions (0..1) of the page's width and height, origin top-left. */
export type FieldBox = Pick<FieldInput, 'page' | 'x' | 'y' | 'width' | 'height'>

const base = (id: string) => `/api/signings/${encodeURIComponent(id)}`

export const signingsApi = {
  list: (signal?: AbortSignal) =>
    apiRequest<{ signings: SigningSummary[] }>('GET', '/api/signings', undefined, signal),
  create: (input: { title: string; note: string | null }) =>
    apiRequest<SigningPackage>('POST', '/api/signings', input),
  get: (id: string, signal?: AbortSignal) =>
    apiRequest<SigningPackageDetail>('GET', base(id), undefined, signal),
  addDocument: (id: string, input: DocumentInput) =>
    apiRequest<SigningPackage>('POST', `${base(id)}/documents`, input),
  /** A file (PDF, or Markdown as .md) as multipart/form-data: up to 25 MB, no base64 overhead. */
  uploadDocument: (id: string, title: string, file: File) => {
    const form = new FormData()
    form.append('title', title)
    form.append('file', file, file.name)
    return sendForm<SigningPackage>(`${base(id)}/documents`, form)
  },
  removeDocument: (id: string, documentId: string) =>
    apiRequest<SigningPackage>('DELETE', `${base(id)}/documents/${encodeURIComponent(documentId)}`),
  addSigner: (id: string, input: SignerInput) =>
    apiRequest<SigningPackage>('POST', `${base(id)}/signers`, input),
  removeSigner: (id: string, signerId: string) =>
    apiRequest<SigningPackage>('DELETE', `${base(id)}/signers/${encodeURIComponent(signerId)}`),
  activate: (id: string) =>
    apiRequest<{ signing: SigningPackage; invitations: Invitation[] }>('POST', `${base(id)}/activate`),
  resend: (id: string, signerId: string) =>
    apiRequest<{ invitation: Invitation }>(
      'POST',
      `${base(id)}/signers/${encodeURIComponent(signerId)}/resend`,
    ),
  reviewOwnership: (id: string, signerId: string, input: OwnershipReviewInput) =>
    apiRequest<SigningPackage>(
      'POST',
      `${base(id)}/signers/${encodeURIComponent(signerId)}/ownership-review`,
      input,
    ),
  cancel: (id: string, reason: string) =>
    apiRequest<SigningPackage>('POST', `${base(id)}/cancel`, { reason }),
  audit: (id: string, signal?: AbortSignal) =>
    apiRequest<AuditTrail>('GET', `${base(id)}/audit`, undefined, signal),
  auditDownloadUrl: (id: string) => `${base(id)}/audit?download=1`,
  certificateUrl: (id: string) => `${base(id)}/certificate`,
  saveFields: (id: string, documentId: string, fields: FieldInput[]) =>
    apiRequest<{ fields: SigningField[] }>(
      'PUT',
      `${base(id)}/documents/${encodeURIComponent(documentId)}/fields`,
      { fields },
    ),
  /** The manager's preview of a PDF document's bytes. */
  documentPdfUrl: (id: string, documentId: string) =>
    `${base(id)}/documents/${encodeURIComponent(documentId)}/pdf`,
  sealedPdfUrl: (id: string) => `${base(id)}/sealed.pdf`,
  certificatePdfUrl: (id: string) => `${base(id)}/certificate.pdf`,
}

export const signerApi = {
  openLink: (token: string) =>
    apiRequest<{ signing_id: string }>('POST', '/api/signing-links/open', { token }),
  flow: (signal?: AbortSignal) => apiRequest<SignerFlow>('GET', '/api/signer/signing', undefined, signal),
  document: (documentId: string, signal?: AbortSignal) =>
    apiRequest<SignerDocumentContent>(
      'GET',
      `/api/signer/signing/documents/${encodeURIComponent(documentId)}`,
      undefined,
      signal,
    ),
  /** "I have read this document": only this counts a document as reviewed; answers the flow. */
  confirmReviewed: (documentId: string) =>
    apiRequest<SignerFlow>(
      'POST',
      `/api/signer/signing/documents/${encodeURIComponent(documentId)}/reviewed`,
    ),
  linkStarted: (linkSessionId: string) =>
    apiRequest<void>('POST', '/api/signer/signing/bank/link-started', { link_session_id: linkSessionId }),
  chooseAccount: (accountId: string, linkSessionId: string | null) =>
    apiRequest<SignerFlow>('POST', '/api/signer/signing/bank/account', {
      account_id: accountId,
      link_session_id: linkSessionId,
    }),
  sign: (input: SignInput) =>
    apiRequest<SignerFlow>('POST', '/api/signer/signing/sign', { ...input, consent: true }),
  /** The signer's copy of the sealed PDF (404/409 until the package is sealed). */
  sealedPdfUrl: '/api/signer/signing/sealed.pdf',
  /** A PDF document's bytes (the same route the review step frames). */
  documentPdfUrl: (documentId: string) =>
    `/api/signer/signing/documents/${encodeURIComponent(documentId)}/pdf`,
}

/** A multipart POST (the browser sets the boundary); non-2xx answers become an `ApiError`. */
async function sendForm<T>(path: string, form: FormData): Promise<T> {
  let response: Response
  try {
    response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      body: form,
    })
  } catch {
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'Could not reach Safeclose. Check your connection and try again.',
      null,
    )
  }
  return readAnswer<T>(response)
}

async function readAnswer<T>(response: Response): Promise<T> {
  const text = await response.text()
  let body: unknown = null
  try {
    body = text === '' ? null : JSON.parse(text)
  } catch {
    body = text
  }
  if (response.ok) return body as T
  const requestId = (body as { request_id?: unknown } | null)?.request_id
  // The same envelope as every JSON answer, so a refused upload reads as a sentence too.
  const error = apiErrorFrom({
    method: 'POST',
    path: response.url,
    requestBody: null,
    status: response.status,
    ok: false,
    responseBody: body,
    requestId: typeof requestId === 'string' ? requestId : null,
  })
  if (response.status === 413 && error.code === 'HTTP_413') {
    throw new ApiError(413, error.code, 'The file is too large.', error.requestId)
  }
  throw error
}

/** `POST /api/verify` with the file's bytes as `application/pdf` (public, no session needed). */
export async function verifyPdf(file: Blob): Promise<VerifyResult> {
  let response: Response
  try {
    response = await fetch('/api/verify', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/pdf' },
      body: file,
    })
  } catch {
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'Could not reach Safeclose. Check your connection and try again.',
      null,
    )
  }
  return readAnswer<VerifyResult>(response)
}

export const FIELD_TYPE_LABELS: Record<FieldType, string> = {
  signature: 'Signature',
  initials: 'Initials',
  name: 'Name',
  date_signed: 'Date signed',
  text: 'Text',
  checkbox: 'Checkbox',
}

export const VERDICT_LABELS: Record<OwnershipVerdict, string> = {
  verified: 'Owner verified',
  needs_review: 'Needs review',
  mismatch: 'Name mismatch',
}

export const SIGNER_STATUS_LABELS: Record<SignerStatus, string> = {
  invited: 'Invited',
  opened: 'Opened',
  bank_verified: 'Bank verified',
  signed: 'Signed',
}

export const PACKAGE_STATUS_LABELS: Record<PackageStatus, string> = {
  draft: 'Draft',
  active: 'Active',
  complete: 'Complete',
  cancelled: 'Cancelled',
}

/** The workspace's ownership policy: read by managers, changed by administrators. */
export const ownershipPolicyApi = {
  get: (signal?: AbortSignal) =>
    apiRequest<OwnershipPolicy>('GET', '/api/signing-settings', undefined, signal),
  update: (policy: OwnershipPolicy) => apiRequest<OwnershipPolicy>('PUT', '/api/signing-settings', policy),
}
