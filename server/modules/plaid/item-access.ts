import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../../db/client.ts'
import type { ItemStatus, PlaidEnvironment } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { WEBHOOK_PATH } from '../../http/paths.ts'
import { type JobQueue, QUEUES } from '../../jobs/queue.ts'
import type { Keyring } from '../../security/keyring.ts'
import { auditEvent, requestActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import { principalOf, type RequestOrigin, type SessionContext } from '../auth/service.ts'
import type { WorkspaceSettingsService } from '../workspace/service.ts'
import type { PlaidConnectionResolver } from './connections.ts'
import {
  type AuthNumbers,
  appErrorFromPlaid,
  type PlaidConnection,
  type PlaidGateway,
  PlaidRequestError,
} from './gateway.ts'
import * as repository from './repository.ts'
import { toAccountSnapshot } from './repository.ts'
import type { ExchangeResult } from './service.ts'

export const ACCESS_TOKEN_PURPOSE = 'plaid_items.access_token'
export const LINK_TOKEN_PURPOSE = 'plaid_link_resumes.link_token'
/** How long a link token is kept for an OAuth return: a bank sign-in takes minutes, not hours. */
export const LINK_RESUME_TTL_MS = 30 * 60_000

/** Where each principal links banks, and so where an OAuth return continues. */
export const LINK_HOME = { member: '/signing/plaid-lab', signer: '/signing/sign' } as const

export const PERSIST_HINT =
  'Your bank connection could not be saved, so it has been disconnected again. ' +
  'Ask your administrator to check the encryption key configuration, then link your account again.'

/** Item states in which Plaid needs the user back in Link (update mode) before the Item works again. */
export const NEEDS_UPDATE: ReadonlySet<ItemStatus> = new Set([
  'login_required',
  'pending_expiration',
  'pending_disconnect',
])

export type BankLinkingDeps = {
  db: Database
  gateway: PlaidGateway
  keyring: Keyring
  audit: AuditService
  settings: WorkspaceSettingsService
  defaultEnvironment: PlaidEnvironment
  /** Credentials for an Item's own environment, which may no longer be the workspace's active one. */
  connections: PlaidConnectionResolver
  /**
   * Item removal at Plaid, and the jobs through which signing hears, durably, that a principal's
   * Item stopped being theirs (`plaid-item-retired`: unlinked or replaced; payout alerts) or that a
   * refresh changed an account's verification_status (`plaid-accounts-verification-changed`).
   * Each is queued in the transaction that stores the change.
   */
  jobs: JobQueue
  logger: FastifyBaseLogger
  now?: () => Date
}

export type ItemAccess = ReturnType<typeof createItemAccess>

/**
 * What the bank-linking use cases share: the Plaid connection of a workspace or an Item, calling Plaid
 * (its errors as ours), access tokens decrypted for one call, removing Items at Plaid, and storing a
 * newly exchanged Item (replacing the principal's older one).
 */
export function createItemAccess(deps: BankLinkingDeps) {
  const { db, gateway, keyring, audit, settings } = deps

  const _now = deps.now ?? (() => new Date())

  /** The workspace's active environment with usable credentials, or 503 for the administrator to fix. */
  async function connectionFor(
    workspaceId: string,
  ): Promise<PlaidConnection & { webhookUrl: string; oauthRedirectUri: string | null }> {
    const credentials = await settings.resolvePlaidCredentials(workspaceId)
    if (!credentials.clientId || !credentials.secret) {
      throw new AppError(
        'PLAID_NOT_CONFIGURED',
        'Bank linking is not set up for this workspace yet. Ask your administrator to add the Plaid credentials.',
      )
    }
    return {
      environment: credentials.environment,
      clientId: credentials.clientId,
      secret: credentials.secret,
      webhookUrl: `${credentials.webhookBaseUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`,
      oauthRedirectUri: credentials.oauthRedirectUri,
    }
  }

  function decryptAccessToken(item: repository.StoredItem): string | null {
    if (!item.accessTokenCiphertext || !item.accessTokenKeyId || !keyring.status.isConfigured) return null
    return keyring.decrypt(
      { keyId: item.accessTokenKeyId, ciphertext: item.accessTokenCiphertext },
      { purpose: ACCESS_TOKEN_PURPOSE, rowId: item.id },
    )
  }

  async function plaidCall<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof PlaidRequestError) {
        deps.logger.warn(
          {
            plaid_error_code: error.errorCode,
            plaid_error_type: error.errorType,
            plaid_request_id: error.requestId,
          },
          error.message,
        )
        throw appErrorFromPlaid(error)
      }
      throw error
    }
  }

  /** Removes an Item at Plaid; an Item Plaid no longer knows is already what we want. Throws otherwise. */
  async function removeAtPlaidOrThrow(connection: PlaidConnection, accessToken: string): Promise<void> {
    try {
      await gateway.removeItem(connection, accessToken)
    } catch (error) {
      const isGone =
        error instanceof PlaidRequestError &&
        (error.errorCode === 'ITEM_NOT_FOUND' || error.errorCode === 'INVALID_ACCESS_TOKEN')
      if (!isGone) throw error
    }
  }

  /** Like removeAtPlaidOrThrow, but a failure is logged and answered with false. */
  async function removeAtPlaid(connection: PlaidConnection, accessToken: string): Promise<boolean> {
    try {
      await removeAtPlaidOrThrow(connection, accessToken)
      return true
    } catch (error) {
      deps.logger.error(
        { plaid_error_code: (error as PlaidRequestError).errorCode ?? null },
        'could not remove an Item at Plaid',
      )
      return false
    }
  }

  async function payoutDetailsOf(connection: PlaidConnection, accessToken: string, accountId: string) {
    let numbers: AuthNumbers | null = null
    let errorCode: string | null = null
    try {
      numbers = await gateway.getAuthNumbers(connection, accessToken, accountId)
    } catch (error) {
      if (!(error instanceof PlaidRequestError)) throw error
      // Plaid unreachable: the choice fails and the signer tries again, rather than going on without numbers.
      if (error.errorCode === null) throw appErrorFromPlaid(error)
      errorCode = error.errorCode
      deps.logger.warn(
        { plaid_error_code: error.errorCode, plaid_request_id: error.requestId },
        'auth numbers unavailable',
      )
    }
    const holderNames = await gateway.getHolderNames(connection, accessToken, accountId).catch((error) => {
      deps.logger.warn(
        { plaid_error_code: error instanceof PlaidRequestError ? error.errorCode : null },
        'holder names unavailable',
      )
      return [] as string[]
    })
    return { numbers, holderNames, errorCode }
  }

  /**
   * Removes a retired (replaced) Item at Plaid and then forgets its token. Safe to repeat and to run
   * concurrently: once the token is gone there is nothing left to do.
   */
  async function removeRetiredItem(itemRowId: string): Promise<void> {
    const item = await repository.findRetiredItemWithToken(db, itemRowId)
    if (!item) return
    const connection = await deps.connections(item.environment, item.workspaceId)
    if (!connection) throw new Error(`no Plaid credentials for the ${item.environment} environment`)
    const accessToken = decryptAccessToken(item)
    if (!accessToken) throw new Error('the stored access token cannot be read: no encryption key')
    await removeAtPlaidOrThrow(connection, accessToken)
    await repository.clearRetiredAccessToken(db, item.id)
  }

  /** Stores a freshly exchanged Item (replacing the user's previous one), or removes it without a key. */
  async function keepExchangedItem(
    session: SessionContext,
    origin: RequestOrigin,
    connection: PlaidConnection,
    exchanged: { itemId: string; accessToken: string },
  ): Promise<ExchangeResult> {
    // Accounts are needed only when the Item can be kept; fetch them beside the Item, not after it.
    const [plaidItem, accounts] = await plaidCall(() =>
      Promise.all([
        gateway.getItem(connection, exchanged.accessToken),
        keyring.status.isConfigured ? gateway.getAccounts(connection, exchanged.accessToken) : [],
      ]),
    )

    if (!keyring.status.isConfigured) {
      // Without a key the token cannot be stored; remove the Item at once so no orphaned,
      // billable connection stays behind at Plaid.
      const isRemoved = await removeAtPlaid(connection, exchanged.accessToken)
      await audit.record(
        auditEvent(
          requestActor(session, origin),
          'plaid.item_not_persisted',
          itemEventTarget(session, {
            item_id: exchanged.itemId,
            institution_id: plaidItem.institutionId,
            environment: connection.environment,
            removed_at_plaid: isRemoved,
            reason: 'encryption_key_missing',
          }),
        ),
      )
      return {
        item_id: exchanged.itemId,
        institution_id: plaidItem.institutionId,
        persisted: false,
        persist_hint: PERSIST_HINT,
      }
    }

    const institutionName = plaidItem.institutionId
      ? await gateway.getInstitutionName(connection, plaidItem.institutionId).catch(() => null)
      : null

    const owner = principalOf(session)
    await db.transaction(async (tx) => {
      await repository.lockPrincipalEnvironment(tx, owner, connection.environment)
      const previous = await repository.findLiveItem(tx, owner, connection.environment)
      const isSameItem = previous?.plaidItemId === exchanged.itemId
      const rowId = isSameItem && previous ? previous.id : randomUUID()
      const encrypted = keyring.encrypt(exchanged.accessToken, { purpose: ACCESS_TOKEN_PURPOSE, rowId })
      const consentExpiresAt = plaidItem.consentExpiresAt ? new Date(plaidItem.consentExpiresAt) : null
      let replacedItemId: string | null = null

      if (isSameItem) {
        await repository.refreshItem(tx, owner, rowId, {
          institutionName,
          accessTokenCiphertext: encrypted.ciphertext,
          accessTokenKeyId: encrypted.keyId,
          consentExpiresAt,
        })
      } else {
        if (previous) {
          replacedItemId = previous.plaidItemId
          await repository.markItemReplaced(tx, owner, previous.id)
          await deps.jobs.enqueue(tx, QUEUES.plaidItemRetired, {
            plaidItemId: previous.plaidItemId,
            reason: 'replaced',
          })
          // Removing it at Plaid is a job committed with the replacement, so it survives a failed
          // call or a crash right after this transaction, is retried with backoff, and keeps the
          // call out of the user's wait.
          if (previous.accessTokenCiphertext)
            await deps.jobs.enqueue(tx, QUEUES.plaidItemRemoval, { itemRowId: previous.id })
        }
        await repository.insertItem(tx, {
          id: rowId,
          owner,
          environment: connection.environment,
          plaidItemId: exchanged.itemId,
          institutionId: plaidItem.institutionId,
          institutionName,
          webhookUrl: plaidItem.webhookUrl,
          consentExpiresAt,
          accessTokenCiphertext: encrypted.ciphertext,
          accessTokenKeyId: encrypted.keyId,
        })
      }
      await repository.replaceAccounts(tx, rowId, accounts.map(toAccountSnapshot))
      await audit.record(
        auditEvent(
          requestActor(session, origin),
          isSameItem ? 'plaid.item_relinked' : 'plaid.item_linked',
          itemEventTarget(session, {
            item_id: exchanged.itemId,
            institution_id: plaidItem.institutionId,
            institution_name: institutionName,
            environment: connection.environment,
            account_masks: accounts.map((account) => account.mask),
            replaced_item_id: replacedItemId,
          }),
        ),
        tx,
      )
    })

    return {
      item_id: exchanged.itemId,
      institution_id: plaidItem.institutionId,
      persisted: true,
      persist_hint: null,
    }
  }

  return {
    connectionFor,
    decryptAccessToken,
    plaidCall,
    removeAtPlaidOrThrow,
    removeAtPlaid,
    payoutDetailsOf,
    removeRetiredItem,
    keepExchangedItem,
  }
}

/** Events about a bank Item join the workspace's chain with the Item (Plaid's `item_id`) as subject. */
export function itemEventTarget(session: SessionContext, details: Record<string, unknown>) {
  return {
    chain: workspaceChain(session.workspace.id),
    subject: { type: 'plaid_item', id: typeof details.item_id === 'string' ? details.item_id : null },
    details,
  }
}
