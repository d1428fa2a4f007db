import { randomUUID } from 'node:crypto'
import type { SandboxClock } from '../core/clock.ts'
import type { WebhookPayload, WebhookSender, WebhookUrlPolicy } from '../core/context.ts'
import type { DeliveryRecord, ItemRecord } from '../core/state.ts'
import type { StateStore } from '../core/store.ts'
import type { SandboxLogger } from '../logger.ts'
import { serializeWebhookBody, signWebhookBody } from './signing.ts'
import type { SigningKeyRing } from './signing-keys.ts'
import { isWebhookUrlAllowed } from './url-policy.ts'

/** Plaid's retry waits: 30 s, then four times longer each time, for about 24 hours. */
export const PLAID_RETRY_SCHEDULE_MS = [30_000, 120_000, 480_000, 1_920_000, 7_680_000, 30_720_000]
export const PLAID_WEBHOOK_TIMEOUT_MS = 10_000
/** The delivery log keeps this many entries; older finished ones are forgotten. */
const DELIVERY_LOG_LIMIT = 1000

export interface DispatcherOptions {
  store: StateStore
  clock: SandboxClock
  keys: SigningKeyRing
  retryScheduleMs: readonly number[]
  timeoutMs: number
  logger: SandboxLogger
  /** Checked again before each attempt: a stored URL may predate the allowlist. */
  webhookUrls: WebhookUrlPolicy
}

/**
 * Delivers webhooks like Plaid: POSTs the signed body, counts anything but a 2xx within the timeout as
 * a failure, and retries on a growing schedule. Every delivery and attempt is kept in a readable log.
 * Each attempt is signed afresh, so `iat` is always recent and the current key signs retries.
 */
export class WebhookDispatcher implements WebhookSender {
  readonly #options: DispatcherOptions
  readonly #retryTimers = new Map<string, NodeJS.Timeout>()
  readonly #inFlight = new Set<Promise<void>>()
  #idleWaiters: (() => void)[] = []
  #dropsRemaining = 0
  #isClosed = false

  constructor(options: DispatcherOptions) {
    this.#options = options
  }

  send(item: ItemRecord, payload: WebhookPayload, url: string | null = item.webhook): boolean {
    if (!url || this.#isClosed) return false
    const { store, clock } = this.#options
    const record: DeliveryRecord = {
      id: randomUUID(),
      itemId: item.itemId,
      url,
      webhookType: payload.webhook_type,
      webhookCode: payload.webhook_code,
      payload: { ...payload, environment: 'sandbox' },
      status: 'pending',
      createdAt: clock.now(),
      attempts: [],
      nextAttemptAt: clock.now(),
    }
    item.lastWebhook = { sentAt: clock.now(), code: payload.webhook_code }
    this.#appendToLog(record)
    if (this.#dropsRemaining > 0) {
      this.#dropsRemaining--
      record.status = 'dropped'
      record.nextAttemptAt = null
      store.changed()
      return true
    }
    this.#startAttempt(record)
    return true
  }

  /** The next `count` webhooks are logged as dropped and never sent. */
  dropNext(count: number): void {
    this.#dropsRemaining += count
  }

  deliveries(): readonly DeliveryRecord[] {
    return this.#options.store.state.deliveries
  }

  /** Resolves once no attempt is running and no retry is scheduled. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  /** After a restart, deliveries that were still pending carry on where they stopped. */
  resumePending(): void {
    for (const record of this.deliveries()) {
      if (record.status === 'pending')
        this.#scheduleAttempt(record, Math.max(0, (record.nextAttemptAt ?? 0) - this.#options.clock.now()))
    }
  }

  /** Forgets scheduled retries (reset) without touching the log. */
  cancelScheduled(): void {
    for (const timer of this.#retryTimers.values()) clearTimeout(timer)
    this.#retryTimers.clear()
    this.#dropsRemaining = 0
    this.#notifyIfIdle()
  }

  async close(): Promise<void> {
    this.#isClosed = true
    this.cancelScheduled()
    await Promise.allSettled([...this.#inFlight])
  }

  #appendToLog(record: DeliveryRecord): void {
    const log = this.#options.store.state.deliveries
    log.push(record)
    const excess = log.length - DELIVERY_LOG_LIMIT
    if (excess > 0) {
      const finishedIndexes = log
        .flatMap((entry, index) => (entry.status === 'pending' ? [] : [index]))
        .slice(0, excess)
      this.#options.store.state.deliveries = log.filter((_, index) => !finishedIndexes.includes(index))
    }
    this.#options.store.changed()
  }

  #scheduleAttempt(record: DeliveryRecord, delayMs: number): void {
    const timer = setTimeout(() => {
      this.#retryTimers.delete(record.id)
      this.#startAttempt(record)
    }, delayMs)
    this.#retryTimers.set(record.id, timer)
  }

  #startAttempt(record: DeliveryRecord): void {
    const attempt = this.#attempt(record).finally(() => {
      this.#inFlight.delete(attempt)
      this.#notifyIfIdle()
    })
    this.#inFlight.add(attempt)
  }

  async #attempt(record: DeliveryRecord): Promise<void> {
    const { clock, keys, store, timeoutMs, retryScheduleMs, logger } = this.#options
    const startedAt = clock.now()
    const started = performance.now()
    const body = serializeWebhookBody(record.payload)
    let statusCode: number | null = null
    let error: string | null = null
    if (!isWebhookUrlAllowed(this.#options.webhookUrls, record.url)) {
      // Not a network failure, so no retries: the URL will not become allowed by waiting.
      record.attempts.push({
        at: startedAt,
        statusCode,
        error: 'webhook URL not on the allowlist',
        durationMs: 0,
      })
      record.status = 'failed'
      record.nextAttemptAt = null
      logger.warn(
        { deliveryId: record.id, itemId: record.itemId, webhookCode: record.webhookCode },
        'webhook not delivered: its URL is not on the allowlist',
      )
      store.changed()
      return
    }
    try {
      const signature = await signWebhookBody(body, keys.current(), clock.nowSeconds())
      const response = await fetch(record.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'plaid-verification': signature },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      })
      statusCode = response.status
      await response.body?.cancel()
    } catch (failure) {
      const isTimeout = failure instanceof Error && failure.name === 'TimeoutError'
      error = isTimeout ? `no response within ${timeoutMs} ms` : describeNetworkError(failure)
    }
    record.attempts.push({
      at: startedAt,
      statusCode,
      error,
      durationMs: Math.round(performance.now() - started),
    })

    if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
      record.status = 'delivered'
      record.nextAttemptAt = null
    } else {
      const retryDelay = this.#isClosed ? undefined : retryScheduleMs[record.attempts.length - 1]
      logger.warn(
        { deliveryId: record.id, itemId: record.itemId, webhookCode: record.webhookCode, statusCode, error },
        retryDelay === undefined
          ? 'webhook delivery failed; no retries left'
          : 'webhook delivery failed; will retry',
      )
      if (retryDelay === undefined) {
        record.status = 'failed'
        record.nextAttemptAt = null
      } else {
        record.nextAttemptAt = clock.now() + retryDelay
        this.#scheduleAttempt(record, retryDelay)
      }
    }
    store.changed()
  }

  #isIdle(): boolean {
    return this.#inFlight.size === 0 && this.#retryTimers.size === 0
  }

  #notifyIfIdle(): void {
    if (!this.#isIdle()) return
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const resolve of waiters) resolve()
  }
}

function describeNetworkError(failure: unknown): string {
  if (!(failure instanceof Error)) return String(failure)
  const cause = failure.cause instanceof Error ? `: ${failure.cause.message}` : ''
  return `${failure.message}${cause}`
}
