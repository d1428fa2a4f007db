/**
 * Compile-time guard of the response schemas (ADR 0021), checked by `npm run typecheck`. Fastify's
 * type provider already refuses a handler that returns less than its schema declares; these
 * assertions refuse the other direction, a schema that declares less than the service returns, which
 * the serializer would silently drop. Each schema's static type must equal, field for field, what
 * the service method answers.
 */
import type { Static, TSchema, TUnsafe } from 'typebox'
import type { UnlinkResponseSchema } from '../../server/modules/plaid/schemas.ts'
import type { BankLinkingService } from '../../server/modules/plaid/service.ts'
import type { createAuditTrailService } from '../../server/modules/signing/audit-trail.ts'
import type { SigningManagerService } from '../../server/modules/signing/manager-service.ts'
import type { PayoutService } from '../../server/modules/signing/payout-service.ts'
import type {
  ActivateResponseSchema,
  AuditTrailSchema,
  FieldsResponseSchema,
  OwnershipPolicySchema,
  PackageDetailSchema,
  PackageListSchema,
  PackageSchema,
  PayoutPolicySchema,
  ResendResponseSchema,
  SealCertificateViewSchema,
  SignerFlowSchema,
  VerifyResultSchema,
} from '../../server/modules/signing/schemas.ts'
import type { SealCertificateService } from '../../server/modules/signing/seal-certificate.ts'
import type { SealingService } from '../../server/modules/signing/sealing.ts'
import type { SignerFlowService } from '../../server/modules/signing/signer-service.ts'
import type { WebhookAdminService } from '../../server/modules/webhooks/admin-service.ts'
import type { ReconcileQueuedSchema } from '../../server/modules/webhooks/schemas.ts'

/** The resolved answer of a service method. */
type Answer<Service, Method extends keyof Service> = Service[Method] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never
/** Intersections and named types flattened into plain objects, so equal shapes compare equal. */
type Plain<T> = T extends readonly (infer U)[]
  ? Plain<U>[]
  : T extends object
    ? { [K in keyof T]: Plain<T[K]> }
    : T
type Equal<A, B> =
  (<G>() => G extends Plain<A> ? 1 : 2) extends <G>() => G extends Plain<B> ? 1 : 2 ? true : false
/** Fails to compile unless the schema's type and the answer are the same type. */
type Same<Schema extends TSchema, A> = Equal<Static<Schema>, A> extends true ? true : never
/** For answers TypeScript widens (a union of object literals gets `?: undefined` members). */
type Assignable<Schema extends TSchema, A> = [A] extends [Static<Schema>]
  ? [Static<Schema>] extends [A]
    ? true
    : never
  : never

type Manager = SigningManagerService
type Signer = SignerFlowService
type Trail = ReturnType<typeof createAuditTrailService>

export const checks: true[] = [
  true satisfies Same<typeof PackageListSchema, Answer<Manager, 'list'>>,
  true satisfies Same<typeof PackageSchema, Answer<Manager, 'create'>>,
  true satisfies Same<typeof PackageSchema, Answer<Manager, 'addDocument'>>,
  true satisfies Same<typeof PackageSchema, Answer<Manager, 'removeDocument'>>,
  true satisfies Same<typeof PackageSchema, Answer<Manager, 'addSigner'>>,
  true satisfies Same<typeof PackageSchema, Answer<Manager, 'removeSigner'>>,
  true satisfies Same<typeof PackageSchema, Answer<Manager, 'reviewOwnership'>>,
  true satisfies Same<typeof PackageSchema, Answer<Manager, 'cancel'>>,
  // The frozen payout instructions are stored JSON spread into the view (typed as any record):
  // PayoutInstructionSchema lists the fields `lockInstructions` writes; the rest must match exactly.
  true satisfies Same<
    Omit<Static<typeof PackageDetailSchema>, 'payout_instructions'> extends infer T ? TUnsafe<T> : never,
    Omit<Answer<Manager, 'view'>, 'payout_instructions'>
  >,
  true satisfies Same<typeof FieldsResponseSchema, Answer<Manager, 'setFields'>>,
  true satisfies Same<typeof ActivateResponseSchema, Answer<Manager, 'activate'>>,
  true satisfies Same<typeof ResendResponseSchema, Answer<Manager, 'resend'>>,
  true satisfies Same<typeof OwnershipPolicySchema, Answer<Manager, 'getPolicy'>>,
  true satisfies Same<typeof OwnershipPolicySchema, Answer<Manager, 'updatePolicy'>>,
  true satisfies Same<typeof AuditTrailSchema, Answer<Trail, 'trail'>>,
  true satisfies Same<typeof SealCertificateViewSchema, Answer<SealCertificateService, 'describe'>>,
  true satisfies Same<typeof SealCertificateViewSchema, Answer<SealCertificateService, 'upload'>>,
  true satisfies Same<typeof SealCertificateViewSchema, Answer<SealCertificateService, 'remove'>>,
  true satisfies Same<typeof SignerFlowSchema, Answer<Signer, 'flow'>>,
  true satisfies Same<typeof SignerFlowSchema, Answer<Signer, 'choosePayoutAccount'>>,
  true satisfies Same<typeof SignerFlowSchema, Answer<Signer, 'sign'>>,
  true satisfies Assignable<typeof VerifyResultSchema, Answer<SealingService, 'verify'>>,
  true satisfies Same<typeof PayoutPolicySchema, Answer<PayoutService, 'getPolicy'>>,
  true satisfies Same<typeof PayoutPolicySchema, Answer<PayoutService, 'updatePolicy'>>,
  true satisfies Same<typeof UnlinkResponseSchema, Answer<BankLinkingService, 'unlink'>>,
  true satisfies Same<typeof ReconcileQueuedSchema, Answer<WebhookAdminService, 'reconcileNow'>>,
]
