import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../../db/client.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import type { AuditService } from '../audit/service.ts'
import type { AuthService } from '../auth/service.ts'
import type { Outbox } from '../email/outbox.ts'
import { createDocumentsService } from './documents-service.ts'
import { createInvitationsService } from './invitations-service.ts'
import { createItemNotesService } from './item-notes-service.ts'
import { createOwnershipReviewService } from './ownership-review-service.ts'
import { createPackageAccess } from './package-access.ts'
import { createPackagesService } from './packages-service.ts'
import { createPolicyService } from './policy-service.ts'

export {
  type DocumentInput,
  MAX_DOCUMENT_BYTES,
  MAX_JSON_DOCUMENT_BYTES,
} from './documents-service.ts'
export type { Invitation } from './invitations-service.ts'
export type { OwnershipReviewInput } from './ownership-review-service.ts'
export { ownershipPolicyOf } from './policy-service.ts'

export type SigningDeps = {
  db: Database
  audit: AuditService
  auth: AuthService
  outbox: Outbox
  publicUrl: string
  linkTtlHours: number
  logger: FastifyBaseLogger
  now?: () => Date
  /** Where the sealing job of a completed package is queued. */
  jobs?: JobQueue
  /** The seal's certificate: activation is refused while it is expired (the package could not be sealed). */
  sealCertificates?: {
    describe(workspaceId: string): Promise<{ expired: boolean; not_after: string; source: string }>
  }
}

export type SigningManagerService = ReturnType<typeof createSigningManagerService>

/**
 * What managers and administrators do with packages of their workspace, one service per use case
 * (packages, documents and fields, signers and their invitations, ownership review, the ownership
 * policy, notes of Plaid's Item news), joined into the one object the routes and the sealing job use.
 */
export function createSigningManagerService(deps: SigningDeps) {
  const access = createPackageAccess(deps)
  return {
    ...createPackagesService(deps, access),
    ...createDocumentsService(deps, access),
    ...createInvitationsService(deps, access),
    ...createOwnershipReviewService(deps, access),
    ...createPolicyService(deps),
    ...createItemNotesService(deps),
  }
}
