import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import type { Database, SqlExecutor } from '../../../db/client.ts'
import type { PlaidEnvironment } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { type FoldedJobInsert, type JobQueue, QUEUES } from '../../jobs/queue.ts'
import type { JobPayload } from '../../jobs/registry.ts'
import type { PlaidConnectionResolver } from '../plaid/connections.ts'
import { type PlaidGateway, PlaidRequestError } from '../plaid/gateway.ts'
import type { ItemStateService } from '../plaid/item-state-service.ts'
import {
  type Arrival,
  createGroupCommitter,
  DEFAULT_GROUP_COMMIT,
  type GroupCommitOptions,
} from './group-commit.ts'
import type { FetchVerificationKey, PlaidVerificationJwk, VerificationKeyCache } from './key-cache.ts'
import type { KeyFetchBudget } from './key-fetch-budget.ts'
import { createOwnerLookup, OWNER_LOOKUP_GROUPING } from './owner-lookup.ts'
import { ITEM_STATUS_CODES } from './processor.ts'
import * as repository from './repository.ts'
import {
  peekItemId,
  peekKeyId,
  REJECTION_REASONS,
  type RejectionReason,
  verifyPlaidSignature,
  WebhookRejection,
} from './verifier.ts'

/** A redelivery of the same body within this window is the same webhook (Plaid retries for 24 h). */
export const DEDUPE_WINDOW_MS = 48 * 60 * 60 * 1000

export type ReceiptResult = { event_id: string; duplicate: boolean }

export type WebhookReceiver = ReturnType<typeof createWebhookReceiver>

/**
 * The acknowledgement path: verify on the raw bytes, then store the event and its job in one
 * transaction, shared with the deliveries verified at the same time (group commit, ADR 0020; a batch of
 * new deliveries is one statement, ADR 0030); the 200 goes out only after that transaction committed.
 * Nothing is parsed, looked up beyond the item's environment (and nothing at all when the kid names a
 * key that verified Plaid's webhooks in one environment), or changed before the signature, age and
 * body hash hold; a rejection only increments a counter.
 */
export function createWebhookReceiver(deps: {
  db: Database
  /** Runs the one-statement store of new deliveries (ADR 0030), prepared on PostgreSQL. */
  execute: SqlExecutor
  gateway: PlaidGateway
  keys: VerificationKeyCache
  /** Bounds outbound key fetches per minute (forged kids would otherwise each cost one). */
  keyFetchBudget: KeyFetchBudget
  connections: PlaidConnectionResolver
  items: ItemStateService
  jobs: JobQueue
  defaultEnvironment: PlaidEnvironment
  logger: FastifyBaseLogger
  now: () => Date
  /** Window, cap and parallelism of the group commit (ADR 0020); defaults when omitted. */
  groupCommit?: GroupCommitOptions
}) {
  const { db, logger } = deps

  // The Item look-ups before verification (a kid no verified key holds, ADR 0030) share one query (ADR
  // 0029); nothing is cached.
  const ownerLookup = createOwnerLookup(
    (plaidItemIds) => deps.items.findOwners(plaidItemIds),
    OWNER_LOOKUP_GROUPING,
    (error, size) =>
      logger.warn({ err: error, batchSize: size }, 'a grouped Item look-up failed; looking up one by one'),
  )

  /**
   * The environment whose key verifies a delivery. When its kid names a key that has verified a
   * genuine webhook in exactly one environment, that one, with nothing looked up before the signature
   * holds: the commit then checks that it is the Item's (ADR 0030). Otherwise, or when `lookUp`, the
   * Item's environment, looked up, or the configured default for an Item we do not hold.
   */
  async function verificationContext(input: ReceivedDelivery, lookUp: boolean) {
    if (!lookUp) {
      const kid = peekKeyId(input.signature)
      const environment = kid ? deps.keys.soleVerifiedEnvironment(kid) : null
      if (environment) return keyAccess(environment, null, null)
    }
    const plaidItemId = peekItemId(input.rawBody)
    const owner = plaidItemId ? await ownerLookup.find(plaidItemId) : null
    // Only a delivery naming an Item we hold may draw on the key-fetch budget's reserve.
    return keyAccess(
      owner?.environment ?? deps.defaultEnvironment,
      owner?.workspaceId ?? null,
      owner ? plaidItemId : null,
    )
  }

  function keyAccess(environment: PlaidEnvironment, workspaceId: string | null, knownItemId: string | null) {
    const fetchKey: FetchVerificationKey = async (kid) => {
      const connection = await deps.connections(environment, workspaceId)
      if (!connection) throw new Error(`no Plaid credentials for the ${environment} environment`)
      try {
        return (await deps.gateway.getWebhookVerificationKey(connection, kid)) as PlaidVerificationJwk
      } catch (error) {
        if (error instanceof PlaidRequestError && error.errorCode === 'INVALID_WEBHOOK_VERIFICATION_KEY_ID') {
          return null
        }
        throw error
      }
    }
    // A refusal is logged and counted by reject() as key_fetch_budget_exhausted.
    const mayFetchKey = () => deps.keyFetchBudget.tryTake({ knownItemId })
    return { environment, fetchKey, mayFetchKey }
  }

  async function reject(rejection: WebhookRejection): Promise<never> {
    logger.warn({ reason: rejection.reason }, `Plaid webhook rejected: ${rejection.message}`)
    await countRejection(rejection.reason)
    throw toAppError(rejection)
  }

  async function countRejection(reason: RejectionReason): Promise<void> {
    try {
      await repository.countRejection(db, reason, deps.now())
    } catch (error) {
      // The rejection itself must still be answered; the counter is for operators.
      logger.error({ err: error }, 'could not count a rejected webhook')
    }
  }

  // The single statement that stores a batch of new deliveries with their jobs (ADR 0030), made once
  // pg-boss has started, from pg-boss's own job insert.
  let newEventsStatement: Promise<NewEventsStatement | null> | null = null
  let isFoldingRefused = false
  function statementForNewEvents(): Promise<NewEventsStatement | null> {
    newEventsStatement ??= deps.jobs.foldedInsert(QUEUES.plaidWebhook, 4).then(
      (jobsInsert) => ({
        name: 'webhook_store_new_events',
        text: repository.newEventsStatement(jobsInsert.text),
        jobsParameter: jobsInsert.jobsParameter,
      }),
      (error: unknown) => {
        // The transaction path stores every batch meanwhile; the next batch asks again.
        newEventsStatement = null
        if (!isFoldingRefused)
          logger.error({ err: error }, 'webhooks: no one-statement store; using transactions')
        isFoldingRefused = true
        return null
      },
    )
    return newEventsStatement
  }

  /**
   * Stores verified deliveries and their jobs durably; results are in the order of `receipts`. A batch
   * that can only hold new events (distinct bodies) goes in one statement, which refuses, storing
   * nothing, when any body was received before or any delivery was verified for another environment
   * than its Item's; every other batch, and a refused one, is decided delivery by delivery in a
   * transaction.
   */
  async function storeReceipts(receipts: PendingReceipt[]): Promise<StoreResult[]> {
    const earliest = Math.min(...receipts.map((receipt) => receipt.receivedAt.getTime()))
    const since = new Date(earliest - DEDUPE_WINDOW_MS)
    const events = newEventsOf(receipts)
    const statement = events ? await statementForNewEvents() : null
    if (events && statement) {
      const jobs = statement.jobsParameter(events.map((event) => ({ eventId: event.id })))
      const batch = { events, since, defaultEnvironment: deps.defaultEnvironment, jobs }
      if (await repository.storeNewEvents(deps.execute, statement, batch)) {
        return events.map((event) => ({ event_id: event.id, duplicate: false }))
      }
    }
    return decideAndStore(receipts, since)
  }

  /**
   * Stores verified deliveries and their jobs in one transaction. Each is decided as the single-delivery
   * path always did: under its body's lock, a body already received within the dedupe window is a
   * redelivery of that event; the first of several identical bodies in this batch is the new event and
   * the others are its redeliveries. A delivery verified for another environment than its Item's is
   * not stored: it is to be verified again (ENVIRONMENT_CHANGED). Results are in the order of `receipts`.
   */
  async function decideAndStore(receipts: PendingReceipt[], since: Date): Promise<StoreResult[]> {
    return db.transaction(async (tx) => {
      const dedupeKeys = [...new Set(receipts.map((receipt) => receipt.dedupeKey))]
      await repository.lockDedupeKeys(tx, dedupeKeys)
      const earlier = await repository.findRecentDeliveries(tx, dedupeKeys, since)
      const itemIds = receipts.flatMap((receipt) => (receipt.payload.itemId ? [receipt.payload.itemId] : []))
      const owners = await deps.items.findOwners(itemIds, tx)
      const results: StoreResult[] = []
      const stored = new Map<string, NewEvent>()
      const redeliveries = new Map<string, { count: number; at: Date }>()
      const reconciles: Array<JobPayload<typeof QUEUES.plaidReconcile>> = []
      for (const receipt of receipts) {
        const { payload, receivedAt } = receipt
        // The verified item_id decides the workspace, and whose key had to verify the delivery.
        const owner = payload.itemId ? owners.get(payload.itemId) : undefined
        if (receipt.environment !== (owner?.environment ?? deps.defaultEnvironment)) {
          results.push(ENVIRONMENT_CHANGED)
          continue
        }
        const previous = earlier.get(receipt.dedupeKey)
        if (previous && previous.receivedAt.getTime() > receivedAt.getTime() - DEDUPE_WINDOW_MS) {
          const seen = redeliveries.get(previous.id)
          redeliveries.set(previous.id, {
            count: (seen?.count ?? 0) + 1,
            at: seen && seen.at > receivedAt ? seen.at : receivedAt,
          })
          // Plaid's bodies carry no event time, so an Item that breaks (or recovers) twice within the
          // window sends the same bytes twice. The duplicate is not processed again, but the Item's
          // state is checked with Plaid once more, which is right for a retry and for a repeat alike.
          // The same goes for Auth's DEFAULT_UPDATE, whose bytes repeat whenever the same accounts'
          // numbers change again: the re-check fetches the numbers once more (payout alerts, ADR 0017).
          if (
            payload.itemId &&
            (isStatusNotice(payload) || isAuthUpdate(payload)) &&
            isSettled(previous.state)
          ) {
            reconciles.push({
              environment: receipt.environment,
              plaidItemId: payload.itemId,
              webhookCode: payload.webhookCode,
              receivedAt: receivedAt.toISOString(),
            })
          }
          results.push({ event_id: previous.id, duplicate: true })
          continue
        }
        const sameBody = stored.get(receipt.dedupeKey)
        if (sameBody) {
          // A redelivery that arrived while its first delivery waited for the same commit: queued, so
          // nothing to re-check.
          sameBody.deliveryCount += 1
          sameBody.lastDeliveredAt = receivedAt
          results.push({ event_id: sameBody.id, duplicate: true })
          continue
        }
        const event = newEvent(receipt, owner?.workspaceId ?? null)
        stored.set(receipt.dedupeKey, event)
        results.push({ event_id: event.id, duplicate: false })
      }
      const events = [...stored.values()]
      await repository.insertEvents(tx, events)
      await deps.jobs.enqueueMany(
        tx,
        QUEUES.plaidWebhook,
        events.map((event) => ({ eventId: event.id })),
      )
      for (const [id, redelivery] of redeliveries) {
        await repository.countRedeliveries(tx, id, redelivery.count, redelivery.at)
      }
      await deps.jobs.enqueueMany(tx, QUEUES.plaidReconcile, reconciles)
      return results
    })
  }

  const committer = createGroupCommitter(
    storeReceipts,
    deps.groupCommit ?? DEFAULT_GROUP_COMMIT,
    (error, size) =>
      // Each delivery of the batch is committed again on its own; only a bad one fails its request.
      logger.warn(
        { err: error, batchSize: size },
        'a webhook batch failed; storing its deliveries one by one',
      ),
  )

  async function receiveOnce(input: ReceivedDelivery, lookUp: boolean): Promise<StoreResult> {
    let arrival: Arrival<PendingReceipt, StoreResult> | null = null
    try {
      const context = await verificationContext(input, lookUp)
      // Announced before verifying, so a commit about to start waits (briefly) for this delivery too.
      arrival = committer.arrival()
      // One turn of the event loop before verifying: the requests already received get to announce
      // themselves too. Verification is synchronous CPU work (node:crypto, ADR 0029), and nothing before
      // it leaves the turn when the kid is known (ADR 0030) or, on PGlite, when the Item is looked up,
      // so without this pause a delivery would reach the group commit before anyone else could, and
      // every batch would be one delivery.
      await new Promise<void>((resolve) => setImmediate(resolve))
      const signature = await verifyPlaidSignature({
        rawBody: input.rawBody,
        signature: input.signature,
        environment: context.environment,
        keys: deps.keys,
        fetchKey: context.fetchKey,
        mayFetchKey: context.mayFetchKey,
        nowMs: deps.now().getTime(),
      })
      const payload = parsePayload(input.rawBody)
      return await arrival.submit({
        dedupeKey: signature.bodySha256,
        payload,
        environment: context.environment,
        keyId: signature.keyId,
        issuedAt: signature.issuedAt,
        receivedAt: deps.now(),
      })
    } catch (error) {
      arrival?.withdraw()
      if (error instanceof WebhookRejection) return reject(error)
      throw error
    }
  }

  return {
    countRejection,

    async receive(input: ReceivedDelivery): Promise<ReceiptResult> {
      const result = await receiveOnce(input, false)
      if (result !== ENVIRONMENT_CHANGED) return result
      // Verified with a key of another environment than its Item's (or its Item just moved): again,
      // with the Item looked up first.
      const again = await receiveOnce(input, true)
      if (again !== ENVIRONMENT_CHANGED) return again
      throw new Error('the Item of a webhook changed environment while the webhook was received')
    },
  }
}

type ReceivedDelivery = { rawBody: Buffer; signature: string | undefined }

/** A delivery verified with a key of another environment than its Item's: not stored, verify again. */
const ENVIRONMENT_CHANGED = Symbol('environment changed')

type StoreResult = ReceiptResult | typeof ENVIRONMENT_CHANGED

/** A verified delivery waiting for its group commit. */
type PendingReceipt = {
  dedupeKey: string
  payload: WebhookPayload
  /** The environment whose key verified it. */
  environment: PlaidEnvironment
  keyId: string
  issuedAt: Date
  receivedAt: Date
}

type NewEvent = repository.NewWebhookEvent

type NewEventsStatement = {
  name: string
  text: string
  jobsParameter: FoldedJobInsert<typeof QUEUES.plaidWebhook>['jobsParameter']
}

/**
 * The batch's events if it can only hold new ones (distinct bodies); the one statement files each under
 * its Item's workspace itself.
 */
function newEventsOf(receipts: PendingReceipt[]): NewEvent[] | null {
  if (new Set(receipts.map((receipt) => receipt.dedupeKey)).size < receipts.length) return null
  return receipts.map((receipt) => newEvent(receipt, null))
}

function newEvent(receipt: PendingReceipt, workspaceId: string | null): NewEvent {
  const { payload, receivedAt } = receipt
  return {
    id: randomUUID(),
    dedupeKey: receipt.dedupeKey,
    environment: receipt.environment,
    workspaceId,
    webhookType: payload.webhookType,
    webhookCode: payload.webhookCode,
    plaidItemId: payload.itemId,
    rawBody: payload.text,
    keyId: receipt.keyId,
    issuedAt: receipt.issuedAt,
    receivedAt,
    deliveryCount: 1,
    lastDeliveredAt: receivedAt,
    updatedAt: receivedAt,
  }
}

type WebhookPayload = { text: string; webhookType: string; webhookCode: string; itemId: string | null }

const MAX_FIELD_LENGTH = 128

function parsePayload(rawBody: Buffer): WebhookPayload {
  let text: string
  let parsed: unknown
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(rawBody)
    parsed = JSON.parse(text)
  } catch (error) {
    throw new WebhookRejection('malformed_body', 'The webhook body is not UTF-8 JSON.', { cause: error })
  }
  const fields = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>
  const { webhook_type: webhookType, webhook_code: webhookCode, item_id: itemId } = fields
  if (!isShortText(webhookType) || !isShortText(webhookCode) || (itemId != null && !isShortText(itemId))) {
    throw new WebhookRejection('malformed_body', 'The webhook body lacks webhook_type or webhook_code.')
  }
  return { text, webhookType, webhookCode, itemId: (itemId as string | null | undefined) ?? null }
}

function isSettled(state: string): boolean {
  return state !== 'queued' && state !== 'retrying'
}

function isStatusNotice(payload: WebhookPayload): boolean {
  return payload.webhookType === 'ITEM' && ITEM_STATUS_CODES.has(payload.webhookCode)
}

function isAuthUpdate(payload: WebhookPayload): boolean {
  return payload.webhookType === 'AUTH' && payload.webhookCode === 'DEFAULT_UPDATE'
}

function isShortText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH
}

export function toAppError(rejection: WebhookRejection): AppError {
  const status = REJECTION_REASONS[rejection.reason]
  const code =
    status === 503
      ? 'WEBHOOK_VERIFIER_UNAVAILABLE'
      : status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : status === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : status === 400
            ? 'WEBHOOK_MALFORMED'
            : 'WEBHOOK_UNVERIFIED'
  return new AppError(code, rejection.message, { cause: rejection, details: { reason: rejection.reason } })
}
