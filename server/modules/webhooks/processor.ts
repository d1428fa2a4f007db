import type { FastifyBaseLogger } from 'fastify'
import type { Database, Queryable } from '../../../db/client.ts'
import type { ItemStatus, PlaidEnvironment } from '../../../db/schema.ts'
import { type JobQueue, QUEUES } from '../../jobs/queue.ts'
import { safeErrorMessage } from '../../logger.ts'
import { auditEvent, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { PlaidConnectionResolver } from '../plaid/connections.ts'
import { type ItemSummary, type PlaidGateway, PlaidRequestError } from '../plaid/gateway.ts'
import {
  type AccountSnapshot,
  type ItemChanges,
  type ItemStateService,
  type TrackedItem,
  toAccountSnapshot,
} from '../plaid/item-state-service.ts'
import * as repository from './repository.ts'

/** Item codes whose effect depends on the order of events: Plaid's /item/get decides. */
export const ITEM_STATUS_CODES: ReadonlySet<string> = new Set([
  'ERROR',
  'LOGIN_REPAIRED',
  'PENDING_EXPIRATION',
  'PENDING_DISCONNECT',
])
const STATUS_CODES = ITEM_STATUS_CODES
const AUTH_REFRESH_CODES = new Set(['AUTOMATICALLY_VERIFIED', 'VERIFICATION_EXPIRED', 'DEFAULT_UPDATE'])
const ITEM_CODES = new Set([
  ...STATUS_CODES,
  'USER_PERMISSION_REVOKED',
  'USER_ACCOUNT_REVOKED',
  'NEW_ACCOUNTS_AVAILABLE',
  'WEBHOOK_UPDATE_ACKNOWLEDGED',
])
/** Plaid errors that say the Item itself needs its user (update mode), not that Plaid is unwell. */
const ITEM_NEEDS_USER = new Set(['ITEM_LOGIN_REQUIRED', 'PENDING_EXPIRATION', 'ITEM_LOCKED'])
const REJECTION_RETENTION_MS = 30 * 24 * 60 * 60 * 1000
const INACTIVE: ReadonlySet<ItemStatus> = new Set(['revoked', 'removed'])

type Payload = Record<string, unknown>

/** What Plaid told us beyond the webhook itself, fetched before the processing transaction. */
type PlaidTruth =
  | { kind: 'none' }
  | { kind: 'item'; item: ItemSummary }
  | { kind: 'accounts'; accounts: AccountSnapshot[] }
  | { kind: 'needs_user'; errorCode: string }
  | { kind: 'gone'; errorCode: string }

export type WebhookProcessor = ReturnType<typeof createWebhookProcessor>

/**
 * Applies stored webhooks to Items. Idempotent: an event is applied at most once (its row is locked and
 * its state checked in the same transaction as the Item change), and order-sensitive codes take the
 * Item's state from Plaid rather than from the event, so replays and reordering converge. Failures
 * throw; the job queue retries them and the caller records the attempt.
 */
/** An Item's status as our row now says it, and the webhook code that changed it (null: reconciliation). */
export type ItemStatusChange = {
  plaidItemId: string
  status: ItemStatus
  webhookCode: string | null
  /** The webhook event that caused it; absent for a reconciliation. */
  eventId?: string
}

/** A known webhook applied to a live Item (after commit), with what it changed beyond the status. */
export type AppliedItemEvent = {
  eventId: string
  plaidItemId: string
  webhookType: string
  webhookCode: string
  /** USER_ACCOUNT_REVOKED: the account that was newly marked revoked. */
  revokedAccountId: string | null
  /** NEW_ACCOUNTS_AVAILABLE: the Item's "new accounts" flag was newly set. */
  isNewAccountsFlagged: boolean
  /** AUTH codes: accounts whose verification_status changed (micro-deposits, ADR 0018). */
  verificationChanges: Array<{ plaidAccountId: string; from: string | null; to: string | null }>
}

/**
 * How long an event naming an Item we do not know is re-checked before it is declared orphaned. Plaid
 * can send an Item's first webhook before the exchange that stores the Item has committed.
 */
export type ItemWaitOptions = { windowMs: number; firstRetryMs: number }

/**
 * When to look again for the Item of an event that has waited `waitedMs`: null when the wait is over
 * (the event is an orphan), else a delay that starts at `firstRetryMs`, then equals the time already
 * waited (so it doubles), and never overshoots the end of the window (the last look is at its end).
 */
export function nextItemCheckDelayMs(waitedMs: number, wait: ItemWaitOptions): number | null {
  const remainingMs = wait.windowMs - waitedMs
  if (remainingMs <= 0) return null
  return Math.min(Math.max(wait.firstRetryMs, waitedMs), remainingMs)
}

export function createWebhookProcessor(deps: {
  db: Database
  gateway: PlaidGateway
  /**
   * Queues the deferred re-check of an event whose Item is not known yet, and, in the transaction
   * that stores a change, the jobs that act on it elsewhere (package trails, payout alerts).
   */
  jobs: JobQueue
  itemWait: ItemWaitOptions
  items: ItemStateService
  audit: AuditService
  connections: PlaidConnectionResolver
  logger: FastifyBaseLogger
  now: () => Date
}) {
  const { db, gateway, items } = deps

  /**
   * Queues, in the transaction that stored it, the job for an Item status change: it survives a
   * crash right after the commit and is retried until it succeeds (package trails, payout alerts).
   */
  async function queueStatusChange(tx: Queryable, change: ItemStatusChange, changeKey: string) {
    await deps.jobs.enqueue(tx, QUEUES.plaidItemStatusChanged, {
      plaidItemId: change.plaidItemId,
      status: change.status,
      webhookCode: change.webhookCode,
      eventId: change.eventId ?? null,
      changeKey,
    })
  }

  /** An applied event changed something beyond the status that signing acts on (payout checks). */
  function isWorthAJob(applied: AppliedItemEvent): boolean {
    return (
      applied.revokedAccountId !== null ||
      applied.isNewAccountsFlagged ||
      applied.verificationChanges.length > 0 ||
      (applied.webhookType === 'AUTH' && applied.webhookCode === 'DEFAULT_UPDATE')
    )
  }

  async function connectionOf(item: TrackedItem) {
    const connection = await deps.connections(item.environment, item.workspaceId)
    if (!connection) throw new Error(`no Plaid credentials for the ${item.environment} environment`)
    return connection
  }

  /** Calls Plaid; an answer that says the Item needs its user or is gone is a fact, not a failure. */
  async function askPlaid(work: () => Promise<PlaidTruth>): Promise<PlaidTruth> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof PlaidRequestError && error.errorCode) {
        if (ITEM_NEEDS_USER.has(error.errorCode)) return { kind: 'needs_user', errorCode: error.errorCode }
        if (error.errorCode === 'ITEM_NOT_FOUND' || error.errorCode === 'INVALID_ACCESS_TOKEN') {
          return { kind: 'gone', errorCode: error.errorCode }
        }
      }
      throw error
    }
  }

  async function fetchItemTruth(item: TrackedItem): Promise<PlaidTruth> {
    const connection = await connectionOf(item)
    const token = items.accessTokenOf(item)
    return askPlaid(async () => ({ kind: 'item', item: await gateway.getItem(connection, token) }))
  }

  async function fetchTruth(type: string, code: string, item: TrackedItem): Promise<PlaidTruth> {
    if (type === 'ITEM' && (STATUS_CODES.has(code) || code === 'WEBHOOK_UPDATE_ACKNOWLEDGED')) {
      return fetchItemTruth(item)
    }
    if (type === 'AUTH' && AUTH_REFRESH_CODES.has(code)) {
      const connection = await connectionOf(item)
      const token = items.accessTokenOf(item)
      return askPlaid(async () => ({
        kind: 'accounts',
        accounts: (await gateway.getAccounts(connection, token)).map(toAccountSnapshot),
      }))
    }
    return { kind: 'none' }
  }

  /**
   * The Item changes an event implies, given what Plaid says now. Status codes follow Plaid's error
   * state; pending notices keep their deadline unless the Item is already broken.
   */
  function statusChanges(code: string, payload: Payload, item: TrackedItem, truth: PlaidTruth): ItemChanges {
    const plaidError =
      truth.kind === 'item' ? truth.item.errorCode : truth.kind === 'needs_user' ? truth.errorCode : null
    if (plaidError) return { status: 'login_required', errorCode: plaidError }
    if (code === 'PENDING_EXPIRATION') {
      return {
        status: 'pending_expiration',
        consentExpiresAt: dateOrNull(payload.consent_expiration_time) ?? truthConsent(truth),
      }
    }
    if (code === 'PENDING_DISCONNECT') {
      return { status: 'pending_disconnect', consentExpiresAt: dateOrNull(payload.disconnect_time) }
    }
    // ERROR or LOGIN_REPAIRED with no error at Plaid: a broken Item works again (a later repair may have
    // overtaken the error).
    return recoveredStatus(code, item.status)
  }

  function changesFor(
    type: string,
    code: string,
    payload: Payload,
    item: TrackedItem,
    truth: PlaidTruth,
  ): { changes: ItemChanges; accountToRevoke: string | null; outcome: string } {
    if (truth.kind === 'needs_user') {
      return {
        changes: { status: 'login_required', errorCode: truth.errorCode },
        accountToRevoke: null,
        outcome: 'plaid_needs_user',
      }
    }
    if (truth.kind === 'gone') return { changes: {}, accountToRevoke: null, outcome: 'item_unknown_at_plaid' }
    if (type === 'ITEM') {
      switch (code) {
        case 'USER_PERMISSION_REVOKED':
          return {
            changes: { status: 'revoked', accessTokenCiphertext: null, accessTokenKeyId: null },
            accountToRevoke: null,
            outcome: 'item_revoked',
          }
        case 'USER_ACCOUNT_REVOKED':
          return {
            changes: {},
            accountToRevoke: typeof payload.account_id === 'string' ? payload.account_id : null,
            outcome: 'account_revoked',
          }
        case 'NEW_ACCOUNTS_AVAILABLE':
          return { changes: { hasNewAccounts: true }, accountToRevoke: null, outcome: 'new_accounts_flagged' }
        case 'WEBHOOK_UPDATE_ACKNOWLEDGED':
          return {
            changes: {
              webhookUrl:
                truth.kind === 'item' ? truth.item.webhookUrl : stringOrNull(payload.new_webhook_url),
            },
            accountToRevoke: null,
            outcome: 'webhook_url_recorded',
          }
        default: {
          const changes = statusChanges(code, payload, item, truth)
          return { changes, accountToRevoke: null, outcome: `status:${changes.status ?? item.status}` }
        }
      }
    }
    if (type === 'AUTH') return { changes: {}, accountToRevoke: null, outcome: 'accounts_refreshed' }
    return { changes: {}, accountToRevoke: null, outcome: 'recorded' }
  }

  async function apply(
    tx: Queryable,
    event: repository.StoredWebhookEvent,
    item: TrackedItem,
    truth: PlaidTruth,
  ): Promise<{ outcome: string; statusChange: ItemStatusChange | null; applied: AppliedItemEvent | null }> {
    const payload = JSON.parse(event.rawBody) as Payload
    const { webhookType: type, webhookCode: code } = event
    const locked = await items.lock(tx, item.id)
    if (!locked) return { outcome: 'item_deleted', statusChange: null, applied: null }
    if (INACTIVE.has(locked.status)) {
      await items.update(tx, locked.id, { lastWebhookCode: code }, deps.now())
      return { outcome: `item_${locked.status}`, statusChange: null, applied: null }
    }
    const planned = changesFor(type, code, payload, locked, truth)
    const changed = diff(locked, planned.changes)
    const revokedAccount =
      planned.accountToRevoke && (await items.revokeAccount(tx, locked.id, planned.accountToRevoke))
        ? planned.accountToRevoke
        : null
    const verification =
      truth.kind === 'accounts' && truth.accounts.length > 0
        ? await items.syncAccounts(tx, locked.id, truth.accounts)
        : []
    await items.update(tx, locked.id, { ...planned.changes, lastWebhookCode: code }, deps.now())
    if (Object.keys(changed).length > 0 || revokedAccount || verification.length > 0) {
      await deps.audit.record(
        auditEvent('system', 'plaid.item_updated_by_webhook', {
          chain: workspaceChain(locked.workspaceId),
          subject: { type: 'plaid_item', id: locked.plaidItemId },
          details: {
            item_id: locked.plaidItemId,
            webhook_event_id: event.id,
            webhook_type: type,
            webhook_code: code,
            changes: changed,
            revoked_account_id: revokedAccount,
            verification_changes: verification,
          },
        }),
        tx,
      )
    }
    const statusChange =
      changed.status && planned.changes.status
        ? {
            plaidItemId: locked.plaidItemId,
            status: planned.changes.status,
            webhookCode: code,
            eventId: event.id,
          }
        : null
    const applied: AppliedItemEvent = {
      eventId: event.id,
      plaidItemId: locked.plaidItemId,
      webhookType: type,
      webhookCode: code,
      revokedAccountId: revokedAccount,
      isNewAccountsFlagged: Boolean(changed.hasNewAccounts) && planned.changes.hasNewAccounts === true,
      verificationChanges: verification,
    }
    return { outcome: planned.outcome, statusChange, applied }
  }

  /** Applies Plaid's view of one Item's health; true when our row changed. */
  async function reconcileOne(
    item: TrackedItem,
    options: { webhookCode: string | null } = { webhookCode: null },
  ): Promise<boolean> {
    try {
      const truth = await fetchItemTruth(item)
      if (truth.kind !== 'item' && truth.kind !== 'needs_user') return false
      const errorCode = truth.kind === 'item' ? truth.item.errorCode : truth.errorCode
      const isChanged = await db.transaction(async (tx) => {
        const locked = await items.lock(tx, item.id)
        if (!locked || INACTIVE.has(locked.status)) return false
        const changes: ItemChanges = errorCode
          ? { status: 'login_required', errorCode }
          : recoveredStatus(options.webhookCode, locked.status)
        const changed = diff(locked, changes)
        // Touch the row even without a change, so the next batch starts with other Items.
        await items.update(tx, locked.id, changes, deps.now())
        if (Object.keys(changed).length === 0) return false
        await deps.audit.record(
          auditEvent('system', 'plaid.item_reconciled', {
            chain: workspaceChain(locked.workspaceId),
            subject: { type: 'plaid_item', id: locked.plaidItemId },
            details: { item_id: locked.plaidItemId, changes: changed },
          }),
          tx,
        )
        if (changed.status && changes.status) {
          const at = deps.now()
          await queueStatusChange(
            tx,
            { plaidItemId: locked.plaidItemId, status: changes.status, webhookCode: null },
            `reconcile:${changes.status}:${at.toISOString()}`,
          )
        }
        return true
      })
      return isChanged
    } catch (error) {
      deps.logger.warn({ item_id: item.plaidItemId, error: describeFailure(error) }, 'reconciliation skipped')
      return false
    }
  }

  /**
   * Defers an event whose Item we do not know while its wait lasts: true when a re-check was queued
   * (or the event is no longer pending), false when the wait is over and the event is an orphan.
   */
  async function waitForItem(event: repository.StoredWebhookEvent): Promise<boolean> {
    const delayMs = nextItemCheckDelayMs(deps.now().getTime() - event.receivedAt.getTime(), deps.itemWait)
    if (delayMs === null) return false
    const until = new Date(event.receivedAt.getTime() + deps.itemWait.windowMs)
    await db.transaction(async (tx) => {
      const note = `Item ${event.plaidItemId} not known yet; re-checked until ${until.toISOString()}`
      if (!(await repository.markWaitingForItem(tx, event.id, note, deps.now()))) return
      await deps.jobs.enqueue(
        tx,
        QUEUES.plaidWebhook,
        { eventId: event.id },
        { startAfterSeconds: delayMs / 1000 },
      )
    })
    deps.logger.info(
      { event_id: event.id, item_id: event.plaidItemId, retry_in_ms: delayMs },
      'webhook for an Item not known yet; will check again',
    )
    return true
  }

  return {
    /**
     * Processes one stored event. Returns quietly when it was already processed (a duplicate job).
     * Plaid is asked before the transaction, so no row lock is held across a network call. An event
     * naming an Item we do not know yet is re-checked later (see `waitForItem`) before it is orphaned.
     */
    async processEvent(eventId: string): Promise<void> {
      const event = await repository.findEvent(db, eventId)
      if (!event || isFinal(event.state)) return
      const isKnownCode =
        (event.webhookType === 'ITEM' && ITEM_CODES.has(event.webhookCode)) ||
        (event.webhookType === 'AUTH' && AUTH_REFRESH_CODES.has(event.webhookCode)) ||
        event.webhookType === 'TRANSACTIONS'
      const item = event.plaidItemId ? await items.find(event.environment, event.plaidItemId) : null
      if (!item && event.plaidItemId && (await waitForItem(event))) return
      const truth =
        item && isKnownCode && !INACTIVE.has(item.status)
          ? await fetchTruth(event.webhookType, event.webhookCode, item)
          : ({ kind: 'none' } as const)

      await db.transaction(async (tx) => {
        const locked = await repository.lockEvent(tx, eventId)
        if (!locked || isFinal(locked.state)) return
        const at = deps.now()
        if (!item) {
          await repository.finishEvent(tx, eventId, { state: 'orphaned', outcome: 'unknown_item', at })
          deps.logger.info({ event_id: eventId, item_id: event.plaidItemId }, 'webhook for an unknown Item')
          return
        }
        // An early webhook was stored before its Item existed; now it is known whose it is.
        if (locked.workspaceId === null) await repository.attributeEvent(tx, eventId, item.workspaceId)
        if (!isKnownCode) {
          await items.update(tx, item.id, { lastWebhookCode: event.webhookCode }, at)
          await repository.finishEvent(tx, eventId, { state: 'ignored', outcome: 'unhandled_code', at })
          return
        }
        const applied = await apply(tx, locked, item, truth)
        // The jobs commit with the change and the "processed" mark: all of it, or none of it.
        if (applied.statusChange) await queueStatusChange(tx, applied.statusChange, `event:${eventId}`)
        if (applied.applied && isWorthAJob(applied.applied)) {
          await deps.jobs.enqueue(tx, QUEUES.plaidItemEventApplied, applied.applied)
        }
        await repository.finishEvent(tx, eventId, { state: 'processed', outcome: applied.outcome, at })
      })
    },

    /** Rejection counters older than the admin view's horizon are of no further use. */
    async pruneRejectionCounters(): Promise<void> {
      await repository.deleteRejectionsBefore(db, new Date(deps.now().getTime() - REJECTION_RETENTION_MS))
    },

    async recordFailure(eventId: string, error: unknown, isFinal: boolean): Promise<void> {
      const message = describeFailure(error)
      deps.logger.warn(
        { event_id: eventId, dead_lettered: isFinal, error: message },
        isFinal ? 'webhook processing failed for good' : 'webhook processing failed; will retry',
      )
      await repository.recordFailedAttempt(db, eventId, { error: message, isFinal, at: deps.now() })
    },

    /**
     * The backstop for webhooks lost beyond Plaid's retry window: asks Plaid for each live Item's state
     * and applies it as a LOGIN_REPAIRED/ERROR webhook would; only one workspace's Items when given
     * (an admin's request). Returns how many Items changed.
     */
    async reconcileItems(limit: number, workspaceId?: string): Promise<number> {
      let changedCount = 0
      for (const item of await items.listToReconcile(limit, workspaceId)) {
        if (await reconcileOne(item)) changedCount += 1
      }
      return changedCount
    },

    /**
     * Re-checks one Item with Plaid after a duplicate status notice (Plaid's bodies carry no time, so a
     * second LOGIN_REPAIRED has the same bytes as the first); false when nothing changed.
     */
    async reconcileItem(
      environment: PlaidEnvironment,
      plaidItemId: string,
      notice: { webhookCode: string | null; receivedAt: Date | null } = {
        webhookCode: null,
        receivedAt: null,
      },
    ): Promise<boolean> {
      // A repeated LOGIN_REPAIRED speaks only of what came before it: a pending disconnect announced
      // after it (the jobs may run in any order) is not resolved by it.
      let { webhookCode } = notice
      if (webhookCode === 'LOGIN_REPAIRED' && notice.receivedAt) {
        const pendingAt = await repository.findLatestNoticeAt(db, { environment, plaidItemId }, [
          'PENDING_DISCONNECT',
        ])
        if (pendingAt && pendingAt > notice.receivedAt) webhookCode = null
      }
      const item = await items.find(environment, plaidItemId)
      if (!item || INACTIVE.has(item.status)) return false
      const isChanged = await reconcileOne(item, { webhookCode })
      // Payout checks fetch the Item's Auth numbers again (a repeated DEFAULT_UPDATE has the same
      // bytes as the first). Queued after the re-check; if this process dies first, the re-check job
      // itself is retried and queues it then.
      await deps.jobs.enqueue(db, QUEUES.plaidItemRechecked, {
        plaidItemId,
        changeKey: `recheck:${deps.now().toISOString()}`,
      })
      return isChanged
    },
  }
}

/**
 * What an Item with no error at Plaid becomes. A broken login works again. LOGIN_REPAIRED also means the
 * user went through update mode (perhaps in another app), which is what resolves a pending disconnect;
 * a pending consent expiration keeps its own clock.
 */
function recoveredStatus(webhookCode: string | null, status: ItemStatus): ItemChanges {
  if (status === 'login_required') return { status: 'good', errorCode: null }
  if (webhookCode === 'LOGIN_REPAIRED' && status === 'pending_disconnect') {
    return { status: 'good', errorCode: null, consentExpiresAt: null }
  }
  return {}
}

function isFinal(state: string): boolean {
  return state === 'processed' || state === 'ignored' || state === 'orphaned'
}

/** The fields that actually change, as `{ field: { from, to } }`; never includes token material. */
function diff(item: TrackedItem, changes: ItemChanges): Record<string, { from: unknown; to: unknown }> {
  const result: Record<string, { from: unknown; to: unknown }> = {}
  for (const [field, to] of Object.entries(changes)) {
    if (field === 'accessTokenCiphertext' || field === 'accessTokenKeyId') {
      if (item.accessTokenCiphertext !== null) result.access_token = { from: 'stored', to: 'deleted' }
      continue
    }
    const from = item[field as keyof TrackedItem]
    const same = from instanceof Date && to instanceof Date ? from.getTime() === to.getTime() : from === to
    if (!same)
      result[field] = {
        from: from instanceof Date ? from.toISOString() : from,
        to: to instanceof Date ? to.toISOString() : to,
      }
  }
  return result
}

function truthConsent(truth: PlaidTruth): Date | null {
  return truth.kind === 'item' ? dateOrNull(truth.item.consentExpiresAt) : null
}

function dateOrNull(value: unknown): Date | null {
  if (typeof value !== 'string') return null
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? null : date
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null
}

/** A short, safe description: Plaid errors carry only their safe fields; nothing else is echoed raw. */
function describeFailure(error: unknown): string {
  if (error instanceof PlaidRequestError) {
    return `${error.message}${error.requestId ? ` (request ${error.requestId})` : ''}`
  }
  // Logged and stored: a failed query's message would carry its SQL parameters.
  return error instanceof Error ? safeErrorMessage(error).slice(0, 500) : 'unknown failure'
}
