import type { PlaidEnvironment } from '../../../db/schema.ts'
import { createGroupCommitter, type GroupCommitOptions, type GroupCommitStats } from './group-commit.ts'

export type ItemOwner = { environment: PlaidEnvironment; workspaceId: string }

/** Looks up several item_ids in one query; an item_id we do not hold is absent from the map. */
export type FindOwners = (plaidItemIds: string[]) => Promise<ReadonlyMap<string, ItemOwner>>

/**
 * Grouping of the Item look-ups before verification (ADR 0029): at most two queries at once, up to
 * 64 item_ids each; a look-up waits at most 2 ms for one under way before starting beside it.
 */
export const OWNER_LOOKUP_GROUPING: GroupCommitOptions = { maxBatch: 64, windowMs: 2, maxInFlight: 2 }

/**
 * The Item look-ups of concurrent webhook deliveries, grouped (ADR 0029) with the group committer's
 * queue (group-commit.ts): a look-up goes at once, alone, when none is under way; those that come
 * while one is under way are answered together by the next query. Each caller gets the answer for
 * its own item_id. Nothing is cached: every answer comes from a query that started after the caller
 * asked, so a removed Item or a changed row is seen exactly as an ungrouped look-up would see it. If
 * a grouped query fails, each item_id is looked up again on its own and only a failing one rejects.
 */
export function createOwnerLookup(
  findOwners: FindOwners,
  options: GroupCommitOptions = OWNER_LOOKUP_GROUPING,
  onFallback?: (error: unknown, batchSize: number) => void,
): { find(plaidItemId: string): Promise<ItemOwner | null>; stats(): GroupCommitStats } {
  const group = createGroupCommitter(
    async (plaidItemIds: string[]) => {
      const owners = await findOwners(plaidItemIds)
      return plaidItemIds.map((id) => owners.get(id) ?? null)
    },
    options,
    onFallback,
  )
  return { find: (plaidItemId) => group.submit(plaidItemId), stats: () => group.stats() }
}
