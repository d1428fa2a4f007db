import type { Queryable } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import { auditEvent, requestActor, workspaceChain } from '../audit/events.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import type { SigningDeps } from './manager-service.ts'
import * as repository from './repository.ts'
import { DEFAULT_OWNERSHIP_POLICY, type OwnershipPolicy } from './rules.ts'
import { policyView } from './views.ts'

export async function ownershipPolicyOf(db: Queryable, workspaceId: string): Promise<OwnershipPolicy> {
  return (await repository.findOwnershipPolicy(db, workspaceId)) ?? DEFAULT_OWNERSHIP_POLICY
}

export type OwnershipPolicyInput = {
  verified_name_score: number
  review_name_score: number
  match_required: boolean
}

/** The workspace's ownership policy: the name-score thresholds and whether a match is required. */
export function createPolicyService(deps: Pick<SigningDeps, 'db' | 'audit'>) {
  const { db, audit } = deps
  return {
    async getPolicy(session: MemberSession) {
      return policyView(await ownershipPolicyOf(db, session.workspace.id))
    },

    async updatePolicy(session: MemberSession, input: OwnershipPolicyInput, origin: RequestOrigin) {
      if (input.review_name_score > input.verified_name_score) {
        throw new AppError('VALIDATION_FAILED', 'review_name_score must not exceed verified_name_score')
      }
      const policy = {
        verifiedNameScore: input.verified_name_score,
        reviewNameScore: input.review_name_score,
        isMatchRequired: input.match_required,
      }
      await db.transaction(async (tx) => {
        await repository.saveOwnershipPolicy(tx, session.workspace.id, policy)
        await audit.record(
          auditEvent(requestActor(session, origin), 'workspace.signing_policy_updated', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'workspace', id: session.workspace.id },
            details: { ...input },
          }),
          tx,
        )
      })
      return policyView(policy)
    },
  }
}
