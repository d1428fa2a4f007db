import type { Database, Queryable } from '../../../db/client.ts'
import type { PlaidEnvironment } from '../../../db/schema.ts'
import type { Keyring } from '../../security/keyring.ts'
import * as repository from './repository.ts'
import { ACCESS_TOKEN_PURPOSE } from './service.ts'

export {
  type AccountSnapshot,
  type ItemChanges,
  type TrackedItem,
  toAccountSnapshot,
} from './repository.ts'

export type ItemStateService = ReturnType<typeof createItemStateService>

/**
 * What the rest of the server may do to a linked Item after it was linked: look it up by Plaid's
 * item_id, read its access token, and apply the changes Plaid's notifications cause. Bank linking
 * owns the tables; webhook processing reaches them only through here.
 *
 * Methods that change rows take the caller's transaction, because a webhook's effect on the Item and
 * the "processed" mark on its event must commit together.
 */
export function createItemStateService(deps: { db: Database; keyring: Keyring }) {
  const { db, keyring } = deps
  return {
    /** The environment and workspace of a Plaid item_id (the live row first); null when unknown. */
    findOwner: (plaidItemId: string, tx: Queryable = db) => repository.findItemOwner(tx, plaidItemId),

    /** findOwner for several item_ids in one query; unknown ones are absent from the map. */
    findOwners: (plaidItemIds: readonly string[], tx: Queryable = db) =>
      repository.findItemOwners(tx, plaidItemIds),

    find: (environment: PlaidEnvironment, plaidItemId: string) =>
      repository.findItem(db, environment, plaidItemId),

    /** Live Items with a token, least recently touched first. */
    listToReconcile: (limit: number, workspaceId?: string) =>
      repository.listItemsToReconcile(db, limit, workspaceId),

    /** The Item's access token in clear; throws when there is none or no key to read it with. */
    accessTokenOf(item: repository.TrackedItem): string {
      if (!item.accessTokenCiphertext || !item.accessTokenKeyId)
        throw new Error('the Item has no access token')
      if (!keyring.status.isConfigured) throw new Error('no encryption key is configured')
      return keyring.decrypt(
        { keyId: item.accessTokenKeyId, ciphertext: item.accessTokenCiphertext },
        { purpose: ACCESS_TOKEN_PURPOSE, rowId: item.id },
      )
    },

    /** Locks the Item row for the rest of the transaction; null when it was deleted meanwhile. */
    lock: (tx: Queryable, id: string) => repository.lockItem(tx, id),
    update: (tx: Queryable, id: string, changes: repository.ItemChanges, at: Date) =>
      repository.updateItem(tx, id, changes, at),
    revokeAccount: (tx: Queryable, itemId: string, plaidAccountId: string) =>
      repository.revokeAccount(tx, itemId, plaidAccountId),
    syncAccounts: (tx: Queryable, itemId: string, accounts: repository.AccountSnapshot[]) =>
      repository.syncAccounts(tx, itemId, accounts),
  }
}
