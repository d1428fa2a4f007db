import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../../db/client.ts'
import type { ItemStatus, PlaidEnvironment } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { type JobQueue, QUEUES } from '../../jobs/queue.ts'
import { type Keyring, rotateStoredValues } from '../../security/keyring.ts'
import type { AuditService } from '../audit/service.ts'
import { auditActorOf, principalOf, type RequestOrigin, type SessionContext } from '../auth/service.ts'
import type { WorkspaceSettingsService } from '../workspace/service.ts'
import type { PlaidConnectionResolver } from './connections.ts'
import {
  type AuthNumbers,
  appErrorFromPlaid,
  type PlaidConnection,
  type PlaidGateway,
  PlaidRequestError,
} from './gateway.ts'
import * as itemStateRepository from './item-state-repository.ts'
import { toAccountSnapshot } from './item-state-repository.ts'
import * as repository from './repository.ts'

export const ACCESS_TOKEN_PURPOSE = 'plaid_items.access_token'
const LINK_TOKEN_PURPOSE = 'plaid_link_resumes.link_token'
/** How long a link token is kept for an OAuth return: a bank sign-in takes minutes, not hours. */
const LINK_RESUME_TTL_MS = 30 * 60_000

/** Where each principal links banks, and so where an OAuth return continues. */
export const LINK_HOME = { member: '/signing/plaid-lab', signer: '/signing/sign' } as const
export const WEBHOOK_PATH = '/api/webhooks/plaid'

export const PERSIST_HINT =
  'Your bank connection could not be saved, so it has been disconnected again. ' +
  'Ask your administrator to check the encryption key configuration, then link your account again.'

/** Item states in which Plaid needs the user back in Link (update mode) before the Item works again. */
const NEEDS_UPDATE: ReadonlySet<ItemStatus> = new Set([
  'login_required',
  'pending_expiration',
  'pending_disconnect',
])

export type LinkTokenResult = {
  link_token: string
  expiration: string
  environment: PlaidEnvironment
  mode: 'create' | 'update'
  persist_ready: boolean
}

/** What `/oauth-return` needs to re-open Link where the principal left it. */
export type OAuthResume = {
  link_token: string
  mode: 'create' | 'update'
  environment: PlaidEnvironment
  return_to: string
}

export type ExchangeResult = {
  item_id: string
  institution_id: string | null
  persisted: boolean
  persist_hint: string | null
}

export type StatusResult = {
  connected: boolean
  environment: PlaidEnvironment
  item: null | {
    item_id: string
    institution_id: string | null
    institution_name: string | null
    status: Exclude<ItemStatus, 'removed'>
    accounts: repository.StatusAccount[]
    /** When the user's consent ends (pending expiration) or the institution disconnects; else null. */
    consent_expires_at: string | null
    linked_at: string
    updated_at: string
  }
  action: null | 'link' | 'update'
}

export type LinkEventInput = {
  type: 'event' | 'exit'
  event_name?: string | null
  view_name?: string | null
  link_session_id?: string | null
  request_id?: string | null
  error_type?: string | null
  error_code?: string | null
  institution_id?: string | null
  exit_status?: string | null
  timestamp?: string | null
}

/** What the signing flow learns about a chosen payout account: display data and scores, never tokens. */
export type OwnershipCheck = {
  item: {
    rowId: string
    plaidItemId: string
    institutionId: string | null
    institutionName: string | null
    status: ItemStatus
  }
  account: { accountId: string; name: string; mask: string | null; verificationStatus: string | null }
  /** Plaid's /identity/match legal-name and e-mail scores; null when Plaid had no identity data. */
  nameScore: number | null
  emailScore: number | null
  /** Why there are no scores, when Plaid refused the match (e.g. PRODUCTS_NOT_SUPPORTED). */
  identityErrorCode: string | null
}

/** What the lab shows of an account's Auth numbers: the last four digits only, never a number. */
export type AuthMask = {
  account_id: string
  account_mask: string
  routing_mask: string
  wire_routing_mask: string | null
  is_tokenized_account_number: boolean | null
  verification_status: string | null
}

export type BankLinkingService = ReturnType<typeof createBankLinkingService>

export function createBankLinkingService(deps: {
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
}) {
  const { db, gateway, keyring, audit, settings } = deps

  const now = deps.now ?? (() => new Date())

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

  function auditEvent(
    session: SessionContext,
    origin: RequestOrigin,
    action: string,
    details: Record<string, unknown>,
  ) {
    return {
      chainKey: `workspace:${session.workspace.id}`,
      workspaceId: session.workspace.id,
      ...auditActorOf(session),
      action,
      subjectType: 'plaid_item',
      subjectId: typeof details.item_id === 'string' ? details.item_id : null,
      details,
      ipAddress: origin.ipAddress,
      userAgent: origin.userAgent,
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
        auditEvent(session, origin, 'plaid.item_not_persisted', {
          item_id: exchanged.itemId,
          institution_id: plaidItem.institutionId,
          environment: connection.environment,
          removed_at_plaid: isRemoved,
          reason: 'encryption_key_missing',
        }),
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
        auditEvent(session, origin, isSameItem ? 'plaid.item_relinked' : 'plaid.item_linked', {
          item_id: exchanged.itemId,
          institution_id: plaidItem.institutionId,
          institution_name: institutionName,
          environment: connection.environment,
          account_masks: accounts.map((account) => account.mask),
          replaced_item_id: replacedItemId,
        }),
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
    async createLinkToken(
      session: SessionContext,
      request: { mode?: 'create' | 'update' },
    ): Promise<LinkTokenResult> {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const isUpdateWanted =
        request.mode === 'update' || (item !== null && (NEEDS_UPDATE.has(item.status) || item.hasNewAccounts))
      if (request.mode === 'update' && (!item || item.status === 'revoked')) {
        throw new AppError('CONFLICT', 'There is no bank connection to update. Link an account first.')
      }
      const accessToken = isUpdateWanted && item ? decryptAccessToken(item) : null
      if (request.mode === 'update' && !accessToken) {
        throw new AppError(
          'ENCRYPTION_KEY_MISSING',
          'The stored bank connection cannot be read. Ask your administrator to check the encryption key configuration.',
        )
      }
      const token = await plaidCall(() =>
        gateway.createLinkToken(connection, {
          // Our opaque principal id: Plaid never learns the user's name or e-mail from us.
          clientUserId: session.principal === 'member' ? session.user.id : session.signer.id,
          webhookUrl: connection.webhookUrl,
          redirectUri: connection.oauthRedirectUri,
          ...(accessToken ? { accessToken, shouldSelectNewAccounts: item?.hasNewAccounts ?? false } : {}),
        }),
      )
      const mode = accessToken ? 'update' : 'create'
      // An OAuth bank may send a mobile browser away and back to /oauth-return: keep the token here
      // (encrypted, never in a URL) so that page can re-open Link with it.
      if (connection.oauthRedirectUri && keyring.status.isConfigured) {
        const id = randomUUID()
        const encrypted = keyring.encrypt(token.linkToken, { purpose: LINK_TOKEN_PURPOSE, rowId: id })
        const tokenExpiry = new Date(token.expiration).getTime()
        await repository.saveLinkResume(db, principalOf(session), {
          id,
          environment: connection.environment,
          mode,
          linkTokenCiphertext: encrypted.ciphertext,
          linkTokenKeyId: encrypted.keyId,
          expiresAt: new Date(Math.min(now().getTime() + LINK_RESUME_TTL_MS, tokenExpiry || Infinity)),
        })
      }
      return {
        link_token: token.linkToken,
        expiration: token.expiration,
        environment: connection.environment,
        mode,
        persist_ready: keyring.status.isConfigured,
      }
    },

    /**
     * The link token the principal had in flight when a bank's OAuth redirect took them away, and
     * where to continue. 404 when there is none (expired, already used, or never an OAuth hand-off).
     */
    async getOAuthResume(session: SessionContext): Promise<OAuthResume> {
      const resume = await repository.findLinkResume(db, principalOf(session), now())
      const linkToken =
        resume && keyring.status.isConfigured
          ? keyring.decrypt(
              { keyId: resume.linkTokenKeyId, ciphertext: resume.linkTokenCiphertext },
              { purpose: LINK_TOKEN_PURPOSE, rowId: resume.id },
            )
          : null
      if (!resume || !linkToken) {
        throw new AppError(
          'NOT_FOUND',
          'This bank sign-in can no longer be resumed. Start linking your bank account again.',
        )
      }
      return {
        link_token: linkToken,
        mode: resume.mode,
        environment: resume.environment,
        return_to: LINK_HOME[session.principal],
      }
    },

    deleteExpiredLinkResumes(): Promise<number> {
      return repository.deleteExpiredLinkResumes(db, now())
    },

    async exchangePublicToken(
      session: SessionContext,
      publicToken: string,
      origin: RequestOrigin,
    ): Promise<ExchangeResult> {
      const connection = await connectionFor(session.workspace.id)
      const exchanged = await plaidCall(() => gateway.exchangePublicToken(connection, publicToken))
      try {
        const result = await keepExchangedItem(session, origin, connection, exchanged)
        // The token in flight is spent: an OAuth return must not re-open Link with it.
        await repository.deleteLinkResume(db, principalOf(session))
        return result
      } catch (error) {
        // The Item exists at Plaid but we could not keep it: remove it, so no orphaned, billable
        // connection stays behind, unless it is the user's current Item (a relink of the same one).
        const current = await repository
          .findLiveItem(db, principalOf(session), connection.environment)
          .catch(() => null)
        if (current?.plaidItemId !== exchanged.itemId) {
          const isRemoved = await removeAtPlaid(connection, exchanged.accessToken)
          deps.logger.warn(
            { item_id: exchanged.itemId, removed_at_plaid: isRemoved },
            'exchanged Item not kept',
          )
        }
        throw error
      }
    },

    async getStatus(session: SessionContext): Promise<StatusResult> {
      const row = await repository.findStatus(db, {
        owner: principalOf(session),
        defaultEnvironment: deps.defaultEnvironment,
      })
      const item = row.item
      const status = item?.status === 'removed' ? null : item
      return {
        connected: status !== null && status !== undefined && status.status !== 'revoked',
        environment: row.environment,
        item: status
          ? {
              item_id: status.plaidItemId,
              institution_id: status.institutionId,
              institution_name: status.institutionName,
              status: status.status as Exclude<ItemStatus, 'removed'>,
              accounts: status.accounts,
              consent_expires_at: status.consentExpiresAt?.toISOString() ?? null,
              linked_at: status.linkedAt.toISOString(),
              updated_at: status.updatedAt.toISOString(),
            }
          : null,
        action:
          !status || status.status === 'revoked'
            ? 'link'
            : NEEDS_UPDATE.has(status.status) || status.hasNewAccounts
              ? 'update'
              : null,
      }
    },

    /**
     * For the signing flow: finds the chosen account on the user's live Item and asks Plaid how well
     * the signer's legal name and e-mail match its owners. The access token never leaves this module.
     */
    async checkAccountOwnership(
      session: SessionContext,
      input: { accountId: string; legalName: string; email: string },
    ): Promise<OwnershipCheck> {
      const connection = await connectionFor(session.workspace.id)
      const owner = principalOf(session)
      const item = await repository.findLiveItem(db, owner, connection.environment)
      if (!item || item.status === 'revoked') {
        throw new AppError('STEP_NOT_READY', 'Link a bank account first.')
      }
      const { item: status } = await repository.findStatus(db, {
        owner,
        defaultEnvironment: deps.defaultEnvironment,
      })
      const account = status?.accounts.find((candidate) => candidate.account_id === input.accountId)
      if (!account) throw new AppError('NOT_FOUND', 'That account is not part of your bank connection.')
      const accessToken = decryptAccessToken(item)
      if (!accessToken) {
        throw new AppError(
          'ENCRYPTION_KEY_MISSING',
          'The stored bank connection cannot be read. Ask your administrator to check the encryption key configuration.',
        )
      }
      let scores: { nameScore: number | null; emailScore: number | null } | null = null
      let identityErrorCode: string | null = null
      try {
        const matches = await gateway.matchIdentity(connection, accessToken, {
          legalName: input.legalName,
          email: input.email,
        })
        scores = matches.find((match) => match.accountId === input.accountId) ?? null
      } catch (error) {
        if (!(error instanceof PlaidRequestError)) throw error
        if (error.errorCode === null) throw appErrorFromPlaid(error)
        if (error.errorCode === 'ITEM_LOGIN_REQUIRED') {
          throw new AppError('STEP_NOT_READY', 'Your bank asks you to sign in again. Reconnect your account.')
        }
        // The Item works but Plaid has no identity data for it: the check is answered, with no scores.
        deps.logger.warn(
          { plaid_error_code: error.errorCode, plaid_request_id: error.requestId },
          'identity match unavailable',
        )
        identityErrorCode = error.errorCode
      }
      return {
        item: {
          rowId: item.id,
          plaidItemId: item.plaidItemId,
          institutionId: item.institutionId,
          institutionName: item.institutionName,
          status: item.status,
        },
        account: {
          accountId: account.account_id,
          name: account.name,
          mask: account.mask,
          verificationStatus: account.verification_status,
        },
        nameScore: scores?.nameScore ?? null,
        emailScore: scores?.emailScore ?? null,
        identityErrorCode,
      }
    },

    /**
     * For the signing flow: the Auth numbers and holder names of an account on the signer's live Item
     * (/auth/get, /identity/get). The caller encrypts the numbers at once; they are never logged.
     * Null numbers when Plaid has none for the account (the payout step then goes on without them).
     */
    async fetchPayoutDetails(session: SessionContext, accountId: string) {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item ? decryptAccessToken(item) : null
      if (!item || !accessToken) return { numbers: null, holderNames: [], errorCode: 'NO_ITEM' }
      return payoutDetailsOf(connection, accessToken, accountId)
    },

    /**
     * The Auth numbers of an account on an Item named by Plaid's item_id, for the payout checks that
     * follow a webhook (no session). Null when the Item or its token is gone or Plaid has none.
     */
    async fetchAuthNumbersOfItem(plaidItemId: string, accountId: string): Promise<AuthNumbers | null> {
      const owner = await itemStateRepository.findItemOwner(db, plaidItemId)
      if (!owner) return null
      const item = await itemStateRepository.findItem(db, owner.environment, plaidItemId)
      if (!item?.accessTokenCiphertext || !item.accessTokenKeyId || !keyring.status.isConfigured) return null
      const connection = await deps.connections(item.environment, item.workspaceId)
      if (!connection) return null
      const accessToken = keyring.decrypt(
        { keyId: item.accessTokenKeyId, ciphertext: item.accessTokenCiphertext },
        { purpose: ACCESS_TOKEN_PURPOSE, rowId: item.id },
      )
      return gateway.getAuthNumbers(connection, accessToken, accountId)
    },

    /** Unlinks the user's Item in the active environment; calling it again is harmless. */
    removeRetiredItem,

    async unlink(session: SessionContext, origin: RequestOrigin): Promise<{ removed: boolean }> {
      const connection = await connectionFor(session.workspace.id)
      const owner = principalOf(session)
      const item = await repository.findLiveItem(db, owner, connection.environment)
      if (!item) return { removed: false }
      const accessToken = decryptAccessToken(item)
      const isRemovedAtPlaid = accessToken ? await removeAtPlaid(connection, accessToken) : true
      if (!isRemovedAtPlaid) {
        throw new AppError(
          'PLAID_UNAVAILABLE',
          'Plaid could not remove the connection right now. Please try again.',
        )
      }
      await db.transaction(async (tx) => {
        await repository.markItemRemoved(tx, owner, item.id)
        await deps.jobs.enqueue(tx, QUEUES.plaidItemRetired, {
          plaidItemId: item.plaidItemId,
          reason: 'removed',
        })
        await audit.record(
          auditEvent(session, origin, 'plaid.item_removed', {
            item_id: item.plaidItemId,
            institution_id: item.institutionId,
            environment: item.environment,
          }),
          tx,
        )
      })
      return { removed: true }
    },

    /** The latest Link callbacks this principal reported in the active environment (the lab's timeline). */
    async listLinkEvents(session: SessionContext) {
      const environment = await settings.getActiveEnvironment(session.workspace.id)
      const rows = await repository.listLinkEvents(db, principalOf(session), environment, 100)
      return {
        events: rows.map((row) => ({
          type: row.kind,
          event_name: row.eventName,
          view_name: row.viewName,
          link_session_id: row.linkSessionId,
          request_id: row.requestId,
          error_type: row.errorType,
          error_code: row.errorCode,
          institution_id: row.institutionId,
          exit_status: row.exitStatus,
          timestamp: (row.occurredAt ?? row.receivedAt).toISOString(),
        })),
      }
    },

    async recordLinkEvents(session: SessionContext, events: LinkEventInput[]): Promise<void> {
      const environment = await settings.getActiveEnvironment(session.workspace.id)
      await repository.insertLinkEvents(
        db,
        principalOf(session),
        events.map((event) => ({
          environment,
          kind: event.type,
          eventName: event.event_name ?? null,
          viewName: event.view_name ?? null,
          linkSessionId: event.link_session_id ?? null,
          requestId: event.request_id ?? null,
          errorType: event.error_type ?? null,
          errorCode: event.error_code ?? null,
          institutionId: event.institution_id ?? null,
          exitStatus: event.exit_status ?? null,
          occurredAt: event.timestamp ? new Date(event.timestamp) : null,
        })),
      )
    },

    /**
     * Asks Plaid for the principal's accounts again and stores their verification status: after a
     * Same-Day deposit code was confirmed in Link (update mode), which sends no webhook. Returns the
     * status; signing hears about changed accounts through a job queued with them.
     */
    async refreshAccounts(session: SessionContext, origin: RequestOrigin): Promise<StatusResult> {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item && item.status !== 'revoked' ? decryptAccessToken(item) : null
      if (!item || !accessToken) throw new AppError('CONFLICT', 'Link a bank account first.')
      const accounts = await plaidCall(() => gateway.getAccounts(connection, accessToken))
      await db.transaction(async (tx) => {
        const changed = await itemStateRepository.syncAccounts(tx, item.id, accounts.map(toAccountSnapshot))
        if (changed.length > 0) {
          await audit.record(
            auditEvent(session, origin, 'plaid.accounts_refreshed', {
              item_id: item.plaidItemId,
              verification_changes: changed,
            }),
            tx,
          )
          await deps.jobs.enqueue(tx, QUEUES.plaidAccountsVerificationChanged, {
            plaidItemId: item.plaidItemId,
            changes: changed,
            changeKey: `refresh:${randomUUID()}`,
          })
        }
      })
      return this.getStatus(session)
    },

    /**
     * For the lab: each account's Auth numbers as masks (last four digits), or Plaid's error code
     * (PRODUCT_NOT_READY while a micro-deposit is pending). The numbers never leave this function.
     */
    async getAuthMasks(
      session: SessionContext,
    ): Promise<{ accounts: AuthMask[]; error_code: string | null }> {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item && item.status !== 'revoked' ? decryptAccessToken(item) : null
      if (!item || !accessToken) throw new AppError('CONFLICT', 'Link a bank account first.')
      try {
        const all = await gateway.getAllAuthNumbers(connection, accessToken)
        return {
          accounts: all.map((numbers) => ({
            account_id: numbers.accountId,
            account_mask: numbers.account.slice(-4),
            routing_mask: numbers.routing.slice(-4),
            wire_routing_mask: numbers.wireRouting ? numbers.wireRouting.slice(-4) : null,
            is_tokenized_account_number: numbers.isTokenizedAccountNumber,
            verification_status: numbers.verificationStatus,
          })),
          error_code: null,
        }
      } catch (error) {
        if (!(error instanceof PlaidRequestError) || error.errorCode === null) {
          throw error instanceof PlaidRequestError ? appErrorFromPlaid(error) : error
        }
        return { accounts: [], error_code: error.errorCode }
      }
    },

    /** Sandbox-only simulations for the lab: make Plaid put the user's Item into a state. */
    async simulate(
      session: SessionContext,
      simulation:
        | { kind: 'reset_login' }
        | { kind: 'fire_webhook'; webhookCode: string }
        | {
            kind: 'set_verification_status'
            accountId: string
            status: 'automatically_verified' | 'verification_expired'
          },
      origin: RequestOrigin,
    ): Promise<void> {
      const connection = await connectionFor(session.workspace.id)
      if (connection.environment === 'production') {
        throw new AppError('FORBIDDEN', 'Simulations are only available in the emulator and Plaid Sandbox.')
      }
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item ? decryptAccessToken(item) : null
      if (!item || !accessToken) throw new AppError('CONFLICT', 'Link a bank account first.')
      await plaidCall(() =>
        simulation.kind === 'reset_login'
          ? gateway.resetLoginInSandbox(connection, accessToken)
          : simulation.kind === 'set_verification_status'
            ? gateway.setVerificationStatusInSandbox(
                connection,
                accessToken,
                simulation.accountId,
                simulation.status,
              )
            : gateway.fireWebhookInSandbox(
                connection,
                accessToken,
                simulation.webhookCode,
                // Safeclose links Auth Items: their DEFAULT_UPDATE is Auth's (Plaid's default type is
                // TRANSACTIONS, which an Auth Item refuses with SANDBOX_PRODUCT_NOT_ENABLED).
                simulation.webhookCode === 'DEFAULT_UPDATE' ? 'AUTH' : undefined,
              ),
      )
      await audit.record(
        auditEvent(session, origin, 'plaid.sandbox_simulation', {
          item_id: item.plaidItemId,
          simulation: simulation.kind,
          webhook_code: simulation.kind === 'fire_webhook' ? simulation.webhookCode : null,
          ...(simulation.kind === 'set_verification_status'
            ? { account_id: simulation.accountId, verification_status: simulation.status }
            : {}),
        }),
      )
    },
  }
}

/** Re-encrypts stored access tokens under the active key (`npm run keys:rotate`); returns how many. */
export async function rotateStoredAccessTokens(deps: { db: Database; keyring: Keyring }): Promise<number> {
  const stored = (await repository.listEncryptedAccessTokens(deps.db)).map((row) => ({
    rowId: row.id,
    value: { keyId: row.accessTokenKeyId, ciphertext: row.accessTokenCiphertext },
  }))
  return rotateStoredValues(deps.keyring, ACCESS_TOKEN_PURPOSE, stored, (rowId, encrypted) =>
    repository.replaceAccessTokenCiphertext(deps.db, rowId, {
      accessTokenCiphertext: encrypted.ciphertext,
      accessTokenKeyId: encrypted.keyId,
    }),
  )
}
