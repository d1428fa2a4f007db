import type { RequestOrigin, SessionContext } from '../auth/service.ts'
import type { AuditAction } from './actions.ts'
import type { AuditEventInput } from './service.ts'

/**
 * Who an event is about acting:
 * - a request by a signed-in member or signer (`requestActor`): their id, IP and user agent;
 * - a request by a user or a signer known before any session exists (sign-in, password reset,
 *   opening a signing link);
 * - Safeclose itself (a job, a Plaid webhook): no user, no IP, no user agent.
 */
export type AuditActor =
  | { session: SessionContext; origin: RequestOrigin }
  | { userId: string; origin: RequestOrigin }
  | { signerId: string; origin: RequestOrigin }
  | 'system'

/** The chain an event joins and the workspace it belongs to. */
export type AuditChain = { key: string; workspaceId: string }

export function requestActor(session: SessionContext, origin: RequestOrigin): AuditActor {
  return { session, origin }
}

export function userActor(userId: string, origin: RequestOrigin): AuditActor {
  return { userId, origin }
}

export function signerActor(signerId: string, origin: RequestOrigin): AuditActor {
  return { signerId, origin }
}

export function workspaceChain(workspaceId: string): AuditChain {
  return { key: `workspace:${workspaceId}`, workspaceId }
}

/** A signing package's own chain (its key is what the audit trail and the seal read). */
export function signingChain(pkg: { id: string; workspaceId: string }): AuditChain {
  return { key: signingChainKey(pkg.id), workspaceId: pkg.workspaceId }
}

export function signingChainKey(packageId: string): string {
  return `signing:${packageId}`
}

/** The one way an event is built: pass it to `AuditService.record`. */
export function auditEvent(
  actor: AuditActor,
  action: AuditAction,
  target: {
    chain: AuditChain
    subject?: { type: string; id: string | null } | null
    details?: Record<string, unknown>
  },
): AuditEventInput {
  return {
    chainKey: target.chain.key,
    workspaceId: target.chain.workspaceId,
    ...actorColumns(actor),
    action,
    subjectType: target.subject?.type ?? null,
    subjectId: target.subject?.id ?? null,
    details: target.details ?? {},
  }
}

function actorColumns(actor: AuditActor) {
  if (actor === 'system') return { actorUserId: null, actorSignerId: null, ipAddress: null, userAgent: null }
  const origin = { ipAddress: actor.origin.ipAddress, userAgent: actor.origin.userAgent }
  if ('userId' in actor) return { actorUserId: actor.userId, actorSignerId: null, ...origin }
  if ('signerId' in actor) return { actorUserId: null, actorSignerId: actor.signerId, ...origin }
  return actor.session.principal === 'member'
    ? { actorUserId: actor.session.user.id, actorSignerId: null, ...origin }
    : { actorUserId: null, actorSignerId: actor.session.signer.id, ...origin }
}
