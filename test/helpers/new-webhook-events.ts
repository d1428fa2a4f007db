import { randomBytes, randomUUID } from 'node:crypto'
import type { DatabaseHandle } from '../../db/client.ts'
import { createJobQueue, QUEUES } from '../../server/jobs/queue.ts'
import * as repository from '../../server/modules/webhooks/repository.ts'

export const DAY_MS = 24 * 60 * 60 * 1000

/**
 * The webhook repository's one-statement store (ADR 0030) over `database`, with a started job queue
 * whose options the stored jobs must carry, as the receiver builds it: events made to measure, and
 * `store` with the refusal window (`since`, two days back by default) and the default environment
 * `sandbox`.
 */
export async function startNewEventsStore(
  database: DatabaseHandle,
  queueOptions: { retryLimit: number; retryDelaySeconds: number; expireSeconds: number },
) {
  const queue = createJobQueue(database, { ...queueOptions, pollingIntervalSeconds: 0.5 })
  await queue.start()
  const insert = await queue.foldedInsert(QUEUES.plaidWebhook, 4)
  const statement = { name: 'test_store_new_events', text: repository.newEventsStatement(insert.text) }

  function store(
    events: repository.NewWebhookEvent[],
    options: { since?: Date; jobsFor?: repository.NewWebhookEvent[] } = {},
  ): Promise<boolean> {
    return repository.storeNewEvents(database.executeSql, statement, {
      events,
      since: options.since ?? new Date(Date.now() - 2 * DAY_MS),
      defaultEnvironment: 'sandbox',
      jobs: insert.jobsParameter((options.jobsFor ?? events).map((event) => ({ eventId: event.id }))),
    })
  }

  return { store, stop: () => queue.stop() }
}

/** A new event for an Item we do not hold, received at `receivedAt`, of a body of its own unless given. */
export function newWebhookEvent(
  receivedAt = new Date(),
  dedupeKey = randomBytes(32).toString('hex'),
): repository.NewWebhookEvent {
  return {
    id: randomUUID(),
    dedupeKey,
    environment: 'sandbox',
    workspaceId: null,
    webhookType: 'ITEM',
    webhookCode: 'NEW_ACCOUNTS_AVAILABLE',
    plaidItemId: `item${randomUUID().replaceAll('-', '')}`,
    rawBody: `{"webhook_type":"ITEM","webhook_code":"NEW_ACCOUNTS_AVAILABLE","n":"${randomUUID()}"}`,
    keyId: 'kid-1',
    issuedAt: new Date(receivedAt.getTime() - 1000),
    receivedAt,
    deliveryCount: 1,
    lastDeliveredAt: receivedAt,
    updatedAt: receivedAt,
  }
}
