import type { ItemStatus } from '../../../db/schema.ts'
import { auditEvent, signingChain } from '../audit/events.ts'
import type { SigningDeps } from './manager-service.ts'
import * as repository from './repository.ts'

/** Notes Plaid's news about a bank Item in the chains of the packages whose signers chose it. */
export function createItemNotesService(deps: Pick<SigningDeps, 'db' | 'audit'>) {
  const { db, audit } = deps
  return {
    /**
     * The package trails' side of the `plaid-item-status-changed` job: appends an Item status change
     * to the audit chain of every active package whose signer chose a payout account on this Item,
     * once per change (`changeKey`) however often the job runs. Called after the new status is stored
     * (the package page reads the live status from plaid_items). `plaidItemId` is Plaid's `item_id`;
     * the actor is Plaid, so there is no user, IP or user agent.
     */
    async recordItemStatusChange(input: {
      plaidItemId: string
      status: ItemStatus
      webhookCode: string | null
      changeKey: string
    }) {
      const affected = await repository.findActiveSignersByPlaidItem(db, input.plaidItemId)
      const recorded = await db.transaction(async (tx) => {
        let count = 0
        for (const signer of affected) {
          const chain = signingChain({ id: signer.packageId, workspaceId: signer.workspaceId })
          if (await audit.hasChangeEvent(chain.key, signer.signerId, input.changeKey, tx)) continue
          count += 1
          await audit.record(
            auditEvent('system', 'bank.item_status_changed', {
              chain,
              subject: { type: 'signer', id: signer.signerId },
              details: {
                item_id: input.plaidItemId,
                status: input.status,
                webhook_code: input.webhookCode,
                change_key: input.changeKey,
              },
            }),
            tx,
          )
        }
        return count
      })
      return { recorded }
    },
  }
}
