import type { Database } from '../../../db/client.ts'
import { signingChainKey } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { MemberSession } from '../auth/service.ts'
import { renderCompletionCertificate } from './certificate.ts'
import type { SigningManagerService } from './manager-service.ts'
import * as repository from './repository.ts'
import type { PackageView } from './views.ts'

export type AuditTrail = Awaited<ReturnType<ReturnType<typeof createAuditTrailService>['trailOf']>>

/** The package's hash-chained audit trail, verified on every read, as JSON or a completion certificate. */
export function createAuditTrailService(deps: {
  db: Database
  audit: AuditService
  manager: SigningManagerService
  now?: () => Date
}) {
  const now = deps.now ?? (() => new Date())

  async function trail(session: MemberSession, packageId: string) {
    // Resolving the view first is the workspace check: another workspace's package is a 404.
    return trailOf(await deps.manager.view(session, packageId))
  }

  /** The trail of a package whose view the caller already holds (the sealing job has no session). */
  async function trailOf(signing: PackageView) {
    const chainKey = signingChainKey(signing.id)
    const [events, verification] = await Promise.all([
      deps.audit.listChain(chainKey),
      deps.audit.verifyChain(chainKey),
    ])
    const actorIds = [...new Set(events.flatMap((event) => (event.actorUserId ? [event.actorUserId] : [])))]
    const actors = await repository.findUserNames(deps.db, actorIds)
    const signers = new Map(signing.signers.map((signer) => [signer.id, signer]))
    // A member acted with their account; a signer through their signing link, as their signer record.
    const actorOf = (event: (typeof events)[number]) => {
      if (event.actorUserId) {
        const user = actors.get(event.actorUserId)
        return {
          type: 'member' as const,
          user_id: event.actorUserId,
          signer_id: null,
          name: user?.name ?? null,
          email: user?.email ?? null,
        }
      }
      if (event.actorSignerId) {
        const signer = signers.get(event.actorSignerId)
        return {
          type: 'signer' as const,
          user_id: null,
          signer_id: event.actorSignerId,
          name: signer?.legal_name ?? null,
          email: signer?.email ?? null,
        }
      }
      return null
    }
    return {
      signing_id: signing.id,
      generated_at: now().toISOString(),
      verification: {
        is_valid: verification.isValid,
        event_count: verification.eventCount,
        first_broken_sequence: verification.isValid ? null : verification.firstBrokenSequence,
        last_hash: events.at(-1)?.hash ?? null,
      },
      events: events.map((event) => {
        return {
          sequence: event.sequence,
          action: event.action,
          occurred_at: event.occurredAt,
          actor: actorOf(event),
          subject_type: event.subjectType,
          subject_id: event.subjectId,
          details: event.details,
          ip_address: event.ipAddress,
          user_agent: event.userAgent,
          hash: event.hash,
        }
      }),
    }
  }

  return {
    trail,
    trailOf,

    /** `styleNonce` binds the certificate's one style block to the response's CSP. */
    async certificate(session: MemberSession, packageId: string, styleNonce: string): Promise<string> {
      const [signing, auditTrail] = await Promise.all([
        deps.manager.view(session, packageId),
        trail(session, packageId),
      ])
      return renderCompletionCertificate({
        signing,
        trail: auditTrail,
        workspaceName: session.workspace.name,
        styleNonce,
      })
    },
  }
}
