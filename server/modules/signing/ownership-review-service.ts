import type { OwnershipReviewDecision } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { auditEvent, requestActor, signingChain } from '../audit/events.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import type { SigningDeps } from './manager-service.ts'
import type { PackageAccess } from './package-access.ts'
import * as repository from './repository.ts'
import { isBankStepComplete, isOwnershipReviewable } from './rules.ts'
import type { PackageView } from './views.ts'

export type OwnershipReviewInput = {
  decision: OwnershipReviewDecision
  note: string
  /** The verification the manager looked at (its `verified_at`); a newer one is not theirs to judge. */
  verified_at?: string
}

const VERDICT_NAMES = { verified: 'verified', needs_review: 'needs review', mismatch: 'mismatch' } as const

/** A manager's review of a signer's payout account whose holder name did not clearly match. */
export function createOwnershipReviewService(
  deps: Pick<SigningDeps, 'db' | 'audit' | 'now'>,
  access: PackageAccess,
) {
  const { db, audit } = deps
  const now = deps.now ?? (() => new Date())

  return {
    /**
     * A manager's decision on a signer's needs-review or mismatch verdict, stored next to the scores
     * (which stay as they were) and appended to the package's chain. Accepting completes the bank
     * step even where the workspace requires a match; rejecting sends the signer to link another
     * account. One decision per verification, while the package is active and the signer has not signed.
     */
    async reviewOwnership(
      session: MemberSession,
      packageId: string,
      signerId: string,
      input: OwnershipReviewInput,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const note = input.note.trim()
      await db.transaction(async (tx) => {
        const pkg = await access.lockInState(
          tx,
          session,
          packageId,
          ['active'],
          'ownership can be reviewed only while it is active.',
        )
        await repository.lockBankVerification(tx, signerId)
        const signer = (await repository.listSigners(tx, packageId, now())).find((row) => row.id === signerId)
        if (!signer) throw new AppError('NOT_FOUND', 'No such signer in this package.')
        if (signer.status === 'signed') {
          throw new AppError(
            'CONFLICT',
            'This signer has already signed; their account can no longer be reviewed.',
          )
        }
        const bank = signer.bank
        if (!bank) {
          throw new AppError(
            'CONFLICT',
            'This signer has not chosen a payout account yet; there is nothing to review.',
          )
        }
        if (!isOwnershipReviewable(bank.verdict)) {
          throw new AppError(
            'CONFLICT',
            `The ownership verdict is ${VERDICT_NAMES[bank.verdict]}; only "needs review" and "mismatch" verdicts are reviewed.`,
            { details: { verdict: bank.verdict } },
          )
        }
        if (bank.review) {
          throw new AppError(
            'CONFLICT',
            `This account was already ${bank.review.decision === 'accept' ? 'accepted' : 'rejected'}; a new review needs a new account from the signer.`,
            { details: { decision: bank.review.decision } },
          )
        }
        if (input.verified_at !== undefined && Date.parse(input.verified_at) !== bank.verifiedAt.getTime()) {
          throw new AppError(
            'CONFLICT',
            'The signer chose another payout account after this page was loaded. Refresh and review the new one.',
          )
        }
        const reviewedAt = now()
        await repository.saveOwnershipReview(tx, signerId, {
          decision: input.decision,
          note,
          reviewedBy: session.user.id,
          reviewedAt,
        })
        if (signer.isBankRequired) {
          // The review decides the bank step whatever the workspace policy (see isBankStepComplete).
          const isComplete = isBankStepComplete({
            bank: {
              itemStatus: bank.itemStatus,
              verdict: bank.verdict,
              review: input.decision,
              verificationStatus: bank.accountVerificationStatus,
              nameScore: bank.nameScore,
            },
            isMatchRequired: true,
          })
          await repository.setBankStepStatus(tx, signerId, isComplete)
        }
        await audit.record(
          auditEvent(requestActor(session, origin), 'bank.ownership_reviewed', {
            chain: signingChain(pkg),
            subject: { type: 'signer', id: signerId },
            details: {
              item_id: bank.plaidItemId,
              account_mask: bank.accountMask,
              verdict: bank.verdict,
              name_score: bank.nameScore,
              decision: input.decision,
              note,
            },
          }),
          tx,
        )
      })
      return access.view(session, packageId)
    },
  }
}
