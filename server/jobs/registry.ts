import Type, { type Static, type TSchema } from 'typebox'
import { ITEM_STATUSES, PLAID_ENVIRONMENTS } from '../../db/schema.ts'

/**
 * Every queue Safeclose uses and the payload its jobs carry (ADR 0022). The server and a worker
 * process agree on these names; `enqueue` takes only the payload its queue declares (checked by the
 * compiler), and the worker checks each payload against the schema before any handler sees it.
 *
 * Payload schemas accept unknown extra fields, so a job queued by a newer server still runs on an
 * older worker during a rolling deploy; what a handler reads is always checked.
 */
const Id = Type.String({ minLength: 1 })
const NullableText = Type.Union([Type.String(), Type.Null()])
const Timestamp = Type.String({ format: 'date-time' })
const VerificationChanges = Type.Array(
  Type.Object({ plaidAccountId: Id, from: NullableText, to: NullableText }),
)

export const JOB_PAYLOADS = {
  /** A stored Plaid webhook to apply (webhooks module). */
  'plaid-webhook': Type.Object({ eventId: Id }),
  /**
   * Reconciliation with /item/get. No data: the periodic pass (cron). An Item: a re-check asked for
   * by a duplicate notice. A workspace: an admin's "reconcile now".
   */
  'plaid-reconcile': Type.Union([
    Type.Null(),
    Type.Object({
      environment: Type.Enum(PLAID_ENVIRONMENTS),
      plaidItemId: Id,
      webhookCode: Type.Optional(NullableText),
      receivedAt: Type.Optional(Type.Union([Timestamp, Type.Null()])),
    }),
    /** `requested_by`: the admin who asked, for the logs of a worker process. */
    Type.Object({ workspaceId: Id, requested_by: Type.Optional(Id) }),
  ]),
  /** A replaced Item to remove at Plaid (bank linking). */
  'plaid-item-removal': Type.Object({ itemRowId: Id }),
  /** Hourly clean-up of expired rows (cron, no data). */
  housekeeping: Type.Union([Type.Null(), Type.Object({})]),
  /** A completed package to seal (signing). */
  'signing-seal': Type.Object({ packageId: Id }),
  /**
   * An Item's status changed in our row (a webhook or reconciliation): package trails and payout
   * alerts. `changeKey` names this one change, so a retried job raises nothing twice.
   */
  'plaid-item-status-changed': Type.Object({
    plaidItemId: Id,
    status: Type.Enum(ITEM_STATUSES),
    webhookCode: NullableText,
    eventId: Type.Union([Id, Type.Null()]),
    changeKey: Id,
  }),
  /** A known webhook applied to a live Item: revoked account, new accounts, Auth numbers, verification. */
  'plaid-item-event-applied': Type.Object({
    eventId: Id,
    plaidItemId: Id,
    webhookType: Id,
    webhookCode: Id,
    revokedAccountId: Type.Union([Id, Type.Null()]),
    isNewAccountsFlagged: Type.Boolean(),
    verificationChanges: VerificationChanges,
  }),
  /** A targeted re-check of one Item (a repeated notice): payout checks fetch its Auth numbers again. */
  'plaid-item-rechecked': Type.Object({ plaidItemId: Id, changeKey: Id }),
  /** A principal's Item stopped being theirs: unlinked, or replaced by a newly linked Item. */
  'plaid-item-retired': Type.Object({
    plaidItemId: Id,
    reason: Type.Union([Type.Literal('removed'), Type.Literal('replaced')]),
  }),
  /** A refresh found accounts whose verification_status changed (a Same-Day code confirmed in Link). */
  'plaid-accounts-verification-changed': Type.Object({
    plaidItemId: Id,
    changes: VerificationChanges,
    changeKey: Id,
  }),
  /** A payout alert was raised: e-mail the workspace's managers through the outbox. */
  'payout-alert-notify': Type.Object({ alertId: Id }),
} as const satisfies Record<string, TSchema>

export type QueueName = keyof typeof JOB_PAYLOADS
export type JobPayload<Q extends QueueName> = Static<(typeof JOB_PAYLOADS)[Q]>
export const QUEUE_NAMES = Object.keys(JOB_PAYLOADS) as QueueName[]

/** Short names for the queues, as the code has always spelled them. */
export const QUEUES = {
  plaidWebhook: 'plaid-webhook',
  plaidReconcile: 'plaid-reconcile',
  plaidItemRemoval: 'plaid-item-removal',
  housekeeping: 'housekeeping',
  signingSeal: 'signing-seal',
  plaidItemStatusChanged: 'plaid-item-status-changed',
  plaidItemEventApplied: 'plaid-item-event-applied',
  plaidItemRechecked: 'plaid-item-rechecked',
  plaidItemRetired: 'plaid-item-retired',
  plaidAccountsVerificationChanged: 'plaid-accounts-verification-changed',
  payoutAlertNotify: 'payout-alert-notify',
} as const satisfies Record<string, QueueName>

/** One attempt at a job, with its payload already checked against its queue's schema. */
export type JobAttempt<T> = { id: string; data: T; retryCount: number; retryLimit: number }
export type JobHandler<Q extends QueueName> = (job: JobAttempt<JobPayload<Q>>) => Promise<void>

/** How a queue is worked: its handler, how many jobs at once per process, an optional cron. */
export type JobDefinition<Q extends QueueName> = {
  handler: JobHandler<Q>
  concurrency?: number
  /** Cron (UTC) that creates a data-less job per slot; null or absent: none. */
  cron?: string | null
}

/** The handler of every queue: a queue without one does not compile. */
export type JobDefinitions = { [Q in QueueName]: JobDefinition<Q> }
