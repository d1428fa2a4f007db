import type { ItemStatus } from '../../../db/schema.ts'
import { auditEvent, signingChain } from '../audit/events.ts'
import type { SigningDeps } from './manager-service.ts'
import * as repository from './repository.ts'

/** Notes Plaid's news about a bank Item in the chains of the packages whose signers chose it. */
export function createItemNotesService(deps: Pick<SigningDeps, 'db' | 'audit'>) {
  const { db, audit } = deps
  return {
    /**
     * For webhook processing: appends an Item status change to the audit chain of every active
     * package whose signer chose a payout account on this Item. Call it after the new status is
     * stored (the package page reads the live status from plaid_items). `plaidItemId` is Plaid's
     * `item_id`; the actor is Plaid, so there is no user, IP or user agent.
     */
    async recordItemStatusChange(input: {
      plaidItemId: string
      status: ItemStatus
      webhookCode: string | null
    }) {
      const affected = await repository.findActiveSignersByPlaidItem(db, input.plaidItemId)
      for (const signer of affected) {
        await audit.record(
          auditEvent('system', 'bank.item_status_changed', {
            chain: signingChain({ id: signer.packageId, workspaceId: signer.workspaceId }),
            subject: { type: 'signer', id: signer.signerId },
            details: { item_id: input.plaidItemId, status: input.status, webhook_code: input.webhookCode },
          }),
        )
      }
      return { recorded: affected.length }
    },
  }
}
