import { ApiError, apiErrorFrom, apiRequest } from './client.ts'

export type PackageStatus = 'draft' | 'active' | 'complete' | 'cancelled'
export type SignerStatus = 'invited' | 'opened' | 'bank_verified' | 'signed'
export type OwnershipVerdict = 'verified' | 'needs_review' | 'mismatch'
export type ItemStatus =
  | 'good'
  | 'login_required'
  | 'pending_expiration'
  | 'pending_disconnect'
  | 'revoked'
  | 'removed'
export type SignerStep = 'review' | 'bank' | 'sign' | 'done' | 'closed'

export type FieldType = 'signature' | 'initials' | 'name' | 'date_signed' | 'text' | 'checkbox'

/** A field's box on a page: fractions (0..1) of the page's width and height, origin top-left. */
export type FieldBox = { page: number; x: number; y: number; width: number; height: number }

/** A field as the manager places it (`PUT …/fields` replaces a document's fields with a list of these). */
export type FieldInput = FieldBox & {
  type: FieldType
  signer_id: string
  required: boolean
  label?: string | null
}

export type SigningField = FieldInput & { id: string }

/** A signer's own field, as the signer's view lists it. */
export type SignerField = FieldBox & {
  id: string
  type: FieldType
  required: boolean
  label: string | null
}

export type SigningDocument = {
  id: string
  position: number
  title: string
  kind: 'markdown' | 'pdf'
  byte_size: number
  sha256: string
  /** Pages of a PDF document (null for Markdown, or when the server could not count them). */
  page_count?: number | null
  /** The document's fields (PDF documents only). */
  fields?: SigningField[]
}

/** The sealed PDF of a completed package, once the sealing job has built it. */
export type SealInfo = {
  sha256: string
  sealed_at: string | null
  size?: number
  pages?: number
  download_url?: string
}

export type OwnershipReviewDecision = 'accept' | 'reject'

export type BankVerification = {
  item_id: string
  item_status: ItemStatus
  /** Plaid's verification_status of the account (null: instant Auth). */
  account_verification_status: string | null
  /** Micro-deposits (ADR 0018): pending_manual = confirm the deposit code in Link. */
  verification: 'verified' | 'pending_manual' | 'pending_automatic' | 'failed'
  /** A micro-deposit account without identity data: only a manager's acceptance completes the step. */
  acceptance_required: boolean
  verdict_reason: string | null
  institution_name: string | null
  account_name: string
  account_mask: string | null
  verdict: OwnershipVerdict
  name_score: number | null
  email_score: number | null
  verified_at: string
  /** A manager's decision on a needs-review or mismatch verdict (the signer sees only the decision). */
  review: { decision: OwnershipReviewDecision; reviewed_at: string } | null
}

export type OwnershipReview = {
  decision: OwnershipReviewDecision
  note: string
  reviewed_at: string
  /** Null once the reviewing user was deleted. */
  reviewer: { user_id: string; name: string; email: string } | null
}

/** The manager's view of a signer's account: the review with its note and reviewer. */
export type ManagedBankVerification = Omit<BankVerification, 'review'> & { review: OwnershipReview | null }

export type OwnershipReviewInput = {
  decision: OwnershipReviewDecision
  note: string
  /** The verification the manager looked at; the server refuses the review if the signer chose another since. */
  verified_at: string
}

export type ManagedSigner = {
  id: string
  position: number
  legal_name: string
  email: string
  bank_required: boolean
  status: SignerStatus
  opened_at: string | null
  signed_at: string | null
  signature: { typed_name: string; ip_address: string | null; user_agent: string | null } | null
  link_expires_at: string | null
  bank: ManagedBankVerification | null
}

export type OwnershipPolicy = {
  verified_name_score: number
  review_name_score: number
  match_required: boolean
}

export type SigningPackage = {
  id: string
  title: string
  note: string | null
  status: PackageStatus
  cancel_reason: string | null
  created_at: string
  activated_at: string | null
  completed_at: string | null
  cancelled_at: string | null
  documents: SigningDocument[]
  signers: ManagedSigner[]
  policy: OwnershipPolicy
  /** Null until the package is complete and its sealing job has run. */
  seal?: SealInfo | null
  certificate_pdf_url?: string | null
}

export type SigningSummary = {
  id: string
  title: string
  status: PackageStatus
  created_at: string
  signer_count: number
  signed_count: number
}

export type Invitation = {
  signer_id: string
  email: string
  expires_at: string
  emailed: boolean
  url: string | null
}

export type AuditTrail = {
  signing_id: string
  generated_at: string
  verification: {
    is_valid: boolean
    event_count: number
    first_broken_sequence: number | null
    last_hash: string | null
  }
  events: Array<{
    sequence: number
    action: string
    occurred_at: string
    /** A member acted with their account; a signer through their signing link. */
    actor: {
      type: 'member' | 'signer'
      user_id: string | null
      signer_id: string | null
      name: string | null
      email: string | null
    } | null
    details: Record<string, unknown>
    ip_address: string | null
    user_agent: string | null
    hash: string
  }>
}

export type DocumentInput =
  | { title: string; kind: 'markdown'; markdown: string }
  | { title: string; kind: 'pdf'; pdf_base64: string }

export type SignerInput = { legal_name: string; email: string; bank_required: boolean }

const base = (id: string) => `/api/signings/${encodeURIComponent(id)}`

export const signingsApi = {
  list: (signal?: AbortSignal) =>
    apiRequest<{ signings: SigningSummary[] }>('GET', '/api/signings', undefined, signal),
  create: (input: { title: string; note: string | null }) =>
    apiRequest<SigningPackage>('POST', '/api/signings', input),
  get: (id: string, signal?: AbortSignal) => apiRequest<SigningPackage>('GET', base(id), undefined, signal),
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

export type SignerFlow = {
  signing: { id: string; title: string; note: string | null; status: PackageStatus }
  workspace_name: string
  signer: {
    id: string
    legal_name: string
    email: string
    status: SignerStatus
    bank_required: boolean
    signed_at: string | null
  }
  documents: Array<
    Omit<SigningDocument, 'fields'> & { viewed: boolean; fields?: SignerField[]; pdf_url?: string | null }
  >
  bank: BankVerification | null
  match_required: boolean
  step: SignerStep
  /** Null until the package is complete and sealed. */
  seal?: SealInfo | null
}

export type SignerDocumentContent = {
  id: string
  title: string
  kind: 'markdown' | 'pdf'
  sha256: string
  markdown: string | null
  /** Where the PDF's bytes are served inline (a same-origin frame may show them); null for Markdown. */
  pdf_url: string | null
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

/** An adopted signature or initials: typed (stamped in the script font) or drawn (a PNG). */
export type AdoptedMark = { kind: 'typed' } | { kind: 'drawn'; png_base64: string }

export type SignInput = {
  typed_name: string
  signature?: AdoptedMark
  initials?: AdoptedMark
  values?: Record<string, string | boolean>
}

export type VerifyResult =
  | {
      valid: true
      signing_id: string
      sealed_at: string
      sha256?: string
      signers: Array<{ legal_name?: string; name?: string; email?: string; signed_at?: string | null }>
    }
  | { valid: false; reason: string }

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
