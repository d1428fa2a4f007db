/**
 * The API contract as types, derived from the routes' own TypeBox schemas (ADR 0021). The web app
 * and the tests import from here, type-only: every import below is `import type`, so this module
 * has no runtime import and pulls no server code into a bundle. A schema changed on the server
 * changes these types, and `npm run typecheck` shows every caller it breaks.
 */
import type { Static } from 'typebox'
import type { WorkspaceAuditSchema } from '../modules/audit/routes.ts'
import type {
  PasswordChangedSchema,
  ResetConfirmedSchema,
  ResetRequestedSchema,
} from '../modules/auth/password-routes.ts'
import type {
  MemberSessionSchema,
  SessionResponseSchema,
  SignerSessionSchema,
  SignInResponseSchema,
  WorkspacesResponseSchema,
} from '../modules/auth/schemas.ts'
import type {
  ReauthResponseSchema,
  RecoveryCodesSchema,
  SecurityPolicySchema,
  TotpSetupSchema,
  TwoFactorStatusSchema,
} from '../modules/auth/two-factor-routes.ts'
import type { OutboxResponseSchema } from '../modules/email/routes.ts'
import type { LivenessSchema, ReadinessSchema } from '../modules/health/routes.ts'
import type {
  InvitationPreviewSchema,
  InviteResponseSchema,
  InvitationSchema as MemberInvitationSchema,
  MembersResponseSchema,
} from '../modules/members/schemas.ts'
import type {
  AuthMasksResponseSchema,
  ExchangeResponseSchema,
  LinkEventsBodySchema,
  LinkEventsResponseSchema,
  LinkTokenResponseSchema,
  OAuthResumeResponseSchema,
  OkSchema,
  StatusResponseSchema,
  StoredLinkEventsResponseSchema,
  UnlinkResponseSchema,
} from '../modules/plaid/schemas.ts'
import type {
  ActivateResponseSchema,
  AddDocumentBodySchema,
  AddSignerBodySchema,
  AuditTrailSchema,
  FieldSchema,
  InvitationSchema,
  ManagedBankSchema,
  ManagedSignerSchema,
  OwnershipPolicySchema,
  OwnershipReviewBodySchema,
  OwnershipReviewSchema,
  PackageDetailSchema,
  PackageDocumentSchema,
  PackageListSchema,
  PackageSchema,
  PayoutAlertSchema,
  PayoutInstructionSchema,
  PayoutNumbersOnFileSchema,
  PayoutPolicySchema,
  RevealResponseSchema,
  SealCertificateViewSchema,
  SignBodySchema,
  SignerBankSchema,
  SignerDocumentSchema,
  SignerFieldSchema,
  SignerFlowSchema,
  VerifyResultSchema,
} from '../modules/signing/schemas.ts'
import type {
  DeliveriesViewSchema,
  ReconcileQueuedSchema,
  RedriveResultSchema,
  WebhookEventViewSchema,
  WebhookReceiptSchema,
} from '../modules/webhooks/schemas.ts'
import type { PlaidSettingsUpdateSchema, PlaidSettingsViewSchema } from '../modules/workspace/schemas.ts'

// ---------------------------------------------------------------- sessions and accounts

export type Session = Static<typeof SessionResponseSchema>
export type MemberSession = Static<typeof MemberSessionSchema>
export type SignerSession = Static<typeof SignerSessionSchema>
export type Role = MemberSession['role']
/** A user with two-factor sign-in gets `two_factor_required` and finishes with a code. */
export type SignInAnswer = Static<typeof SignInResponseSchema>
export type WorkspaceChoices = Static<typeof WorkspacesResponseSchema>
export type WorkspaceChoice = WorkspaceChoices['workspaces'][number]
export type TwoFactorStatus = Static<typeof TwoFactorStatusSchema>
export type TotpSetup = Static<typeof TotpSetupSchema>
export type RecoveryCodes = Static<typeof RecoveryCodesSchema>
export type Reauthenticated = Static<typeof ReauthResponseSchema>
export type SecurityPolicy = Static<typeof SecurityPolicySchema>
export type PasswordChanged = Static<typeof PasswordChangedSchema>
export type ResetRequested = Static<typeof ResetRequestedSchema>
export type ResetConfirmed = Static<typeof ResetConfirmedSchema>

// ---------------------------------------------------------------- workspace administration

export type Members = Static<typeof MembersResponseSchema>
export type Member = Members['members'][number]
export type MemberInvitation = Static<typeof MemberInvitationSchema>
export type InvitationRole = MemberInvitation['role']
export type InviteAnswer = Static<typeof InviteResponseSchema>
export type InvitationPreview = Static<typeof InvitationPreviewSchema>
export type WorkspaceAudit = Static<typeof WorkspaceAuditSchema>
export type WorkspaceAuditEvent = WorkspaceAudit['events'][number]
export type Outbox = Static<typeof OutboxResponseSchema>
export type OutboxMessage = Outbox['messages'][number]
export type OutboxStatus = OutboxMessage['status']
export type PlaidSettings = Static<typeof PlaidSettingsViewSchema>
export type PlaidEnvironment = PlaidSettings['environment']
/** `secret` is write-only: omit it to keep the stored one, send null to clear it. */
export type PlaidSettingsUpdate = Static<typeof PlaidSettingsUpdateSchema>

// ---------------------------------------------------------------- bank linking (Plaid)

export type LinkTokenResponse = Static<typeof LinkTokenResponseSchema>
export type LinkMode = LinkTokenResponse['mode']
export type ExchangeResponse = Static<typeof ExchangeResponseSchema>
export type PlaidConnectionStatus = Static<typeof StatusResponseSchema>
export type LinkedAccount = NonNullable<PlaidConnectionStatus['item']>['accounts'][number]
export type AuthMasks = Static<typeof AuthMasksResponseSchema>
export type AuthMask = AuthMasks['accounts'][number]
export type OAuthResume = Static<typeof OAuthResumeResponseSchema>
/** What Safeclose keeps of a Link callback for support. Never a public token. */
export type LinkEventReport = Static<typeof LinkEventsBodySchema>['events'][number]
export type LinkEventsAccepted = Static<typeof LinkEventsResponseSchema>
export type StoredLinkEvents = Static<typeof StoredLinkEventsResponseSchema>
export type Unlinked = Static<typeof UnlinkResponseSchema>
export type Ok = Static<typeof OkSchema>

// ---------------------------------------------------------------- webhooks

export type WebhookDeliveries = Static<typeof DeliveriesViewSchema>
export type WebhookEventView = Static<typeof WebhookEventViewSchema>
export type WebhookEventState = WebhookEventView['state']
export type RedriveResult = Static<typeof RedriveResultSchema>
export type ReconcileQueued = Static<typeof ReconcileQueuedSchema>
export type WebhookReceipt = Static<typeof WebhookReceiptSchema>

// ---------------------------------------------------------------- signing packages (managers)

export type SigningSummary = Static<typeof PackageListSchema>['signings'][number]
/** A package as the edits answer it. */
export type SigningPackage = Static<typeof PackageSchema>
/** A package as GET /api/signings/:id answers it: the package and its payouts. */
export type SigningPackageDetail = Static<typeof PackageDetailSchema>
export type PackageStatus = SigningPackage['status']
export type SigningDocument = Static<typeof PackageDocumentSchema>
export type SigningField = Static<typeof FieldSchema>
export type FieldType = SigningField['type']
/** A field as the manager places it (`PUT …/fields` replaces a document's fields with a list of these). */
export type FieldInput = Omit<SigningField, 'id' | 'label'> & { label?: string | null }
/** A document sent as JSON (a file goes as multipart/form-data instead). */
export type DocumentInput = Exclude<Static<typeof AddDocumentBodySchema>, { file: string }>
export type SignerInput = Static<typeof AddSignerBodySchema>
export type ManagedSigner = Static<typeof ManagedSignerSchema>
export type SignerStatus = ManagedSigner['status']
export type ManagedBankVerification = Static<typeof ManagedBankSchema>
export type OwnershipVerdict = ManagedBankVerification['verdict']
export type ItemStatus = NonNullable<ManagedBankVerification['item_status']>
export type OwnershipReview = Static<typeof OwnershipReviewSchema>
export type OwnershipReviewDecision = OwnershipReview['decision']
export type OwnershipReviewInput = Static<typeof OwnershipReviewBodySchema>
export type OwnershipPolicy = Static<typeof OwnershipPolicySchema>
export type SealInfo = NonNullable<SigningPackage['seal']>
export type Invitation = Static<typeof InvitationSchema>
export type Activated = Static<typeof ActivateResponseSchema>
export type AuditTrail = Static<typeof AuditTrailSchema>
export type SealCertificateView = Static<typeof SealCertificateViewSchema>

// ---------------------------------------------------------------- payouts (ADR 0017)

export type PayoutAlert = Static<typeof PayoutAlertSchema>
export type PayoutAlertReason = PayoutAlert['reason']
export type PayoutNumbersOnFile = Static<typeof PayoutNumbersOnFileSchema>
export type PayoutInstruction = Static<typeof PayoutInstructionSchema>
export type PayoutPolicy = Static<typeof PayoutPolicySchema>
export type RevealedNumbers = Static<typeof RevealResponseSchema>

// ---------------------------------------------------------------- the signer's flow

export type SignerFlow = Static<typeof SignerFlowSchema>
export type SignerStep = SignerFlow['step']
export type SignerField = Static<typeof SignerFieldSchema>
export type BankVerification = Static<typeof SignerBankSchema>
export type SignerDocumentContent = Static<typeof SignerDocumentSchema>
/** The signing body; `consent: true` is added by the caller that sends it. */
export type SignInput = Omit<Static<typeof SignBodySchema>, 'consent'>
export type AdoptedMark = NonNullable<SignInput['signature']>
export type VerifyResult = Static<typeof VerifyResultSchema>

// ---------------------------------------------------------------- health

export type Liveness = Static<typeof LivenessSchema>
export type Readiness = Static<typeof ReadinessSchema>

// ---------------------------------------------------------------- by route

/**
 * Each JSON route's success body, keyed `METHOD url` exactly as the route is registered (the keys
 * of server/http/api-operations.ts). `undefined`: the route answers 204 without a body. The PDF and
 * HTML routes are not here: their answers are files, not JSON.
 */
export type ApiAnswers = {
  'GET /healthz': Liveness
  'GET /readyz': Readiness
  'POST /api/auth/sign-in/email': SignInAnswer
  'POST /api/auth/sign-out': undefined
  'GET /api/session': Session
  'GET /api/session/workspaces': WorkspaceChoices
  'POST /api/session/workspace': Session
  'POST /api/auth/password': PasswordChanged
  'POST /api/auth/password-reset/request': ResetRequested
  'POST /api/auth/password-reset/confirm': ResetConfirmed
  'POST /api/auth/sign-in/2fa': Session
  'GET /api/auth/2fa': TwoFactorStatus
  'POST /api/auth/2fa/totp/setup': TotpSetup
  'POST /api/auth/2fa/totp/enable': RecoveryCodes
  'POST /api/auth/2fa/totp/disable': undefined
  'POST /api/auth/reauth': Reauthenticated
  'GET /api/admin/security-policy': SecurityPolicy
  'PUT /api/admin/security-policy': SecurityPolicy
  'GET /api/admin/plaid-settings': PlaidSettings
  'PUT /api/admin/plaid-settings': PlaidSettings
  'POST /api/plaid/link-token': LinkTokenResponse
  'POST /api/plaid/exchange': ExchangeResponse
  'GET /api/plaid/status': PlaidConnectionStatus
  'GET /api/plaid/oauth-resume': OAuthResume
  'DELETE /api/plaid/item': Unlinked
  'GET /api/plaid/link-events': StoredLinkEvents
  'POST /api/plaid/link-events': LinkEventsAccepted
  'POST /api/plaid/sandbox/reset-login': Ok
  'POST /api/plaid/sandbox/fire-webhook': Ok
  'POST /api/plaid/sandbox/set-verification-status': Ok
  'POST /api/plaid/accounts/refresh': PlaidConnectionStatus
  'GET /api/plaid/auth-numbers': AuthMasks
  'POST /api/webhooks/plaid': WebhookReceipt
  'GET /api/admin/webhooks': WebhookDeliveries
  'POST /api/admin/webhooks/reconcile': ReconcileQueued
  'POST /api/admin/webhooks/:id/redrive': RedriveResult
  'GET /api/signings': { signings: SigningSummary[] }
  'POST /api/signings': SigningPackage
  'GET /api/signings/:id': SigningPackageDetail
  'POST /api/signings/:id/documents': SigningPackage
  'DELETE /api/signings/:id/documents/:documentId': SigningPackage
  'PUT /api/signings/:id/documents/:documentId/fields': { fields: SigningField[] }
  'POST /api/signings/:id/signers': SigningPackage
  'DELETE /api/signings/:id/signers/:signerId': SigningPackage
  'POST /api/signings/:id/activate': Activated
  'POST /api/signings/:id/signers/:signerId/resend': { invitation: Invitation }
  'POST /api/signings/:id/signers/:signerId/ownership-review': SigningPackage
  'POST /api/signings/:id/cancel': SigningPackage
  'GET /api/signings/:id/audit': AuditTrail
  'GET /api/signing-settings': OwnershipPolicy
  'PUT /api/signing-settings': OwnershipPolicy
  'POST /api/signings/:id/signers/:signerId/payout/reveal': RevealedNumbers
  'POST /api/signings/:id/payout-alerts/:alertId/resolve': SigningPackageDetail
  'POST /api/signings/:id/payout-alerts/:alertId/confirm': SigningPackageDetail
  'GET /api/payout-settings': PayoutPolicy
  'PUT /api/payout-settings': PayoutPolicy
  'GET /api/admin/seal-certificate': SealCertificateView
  'PUT /api/admin/seal-certificate': SealCertificateView
  'DELETE /api/admin/seal-certificate': SealCertificateView
  'POST /api/signing-links/open': { signing_id: string }
  'GET /api/signer/signing': SignerFlow
  'GET /api/signer/signing/documents/:documentId': SignerDocumentContent
  'POST /api/signer/signing/bank/link-started': undefined
  'POST /api/signer/signing/documents/:documentId/reviewed': SignerFlow
  'POST /api/signer/signing/bank/account': SignerFlow
  'POST /api/signer/signing/sign': SignerFlow
  'POST /api/verify': VerifyResult
  'GET /api/admin/members': Members
  'POST /api/admin/members/invitations': InviteAnswer
  'DELETE /api/admin/members/invitations/:id': undefined
  'PATCH /api/admin/members/:userId': Members
  'DELETE /api/admin/members/:userId': undefined
  'POST /api/invitations/preview': InvitationPreview
  'POST /api/invitations/accept': Session
  'POST /api/setup/preview': Ok
  'POST /api/setup': Session
  'GET /api/admin/audit': WorkspaceAudit
  'GET /api/admin/outbox': Outbox
}

export type ApiRoute = keyof ApiAnswers
