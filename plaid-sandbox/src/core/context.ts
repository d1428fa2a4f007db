import type { SandboxClock } from './clock.ts'
import type { ItemRecord } from './state.ts'
import type { StateStore } from './store.ts'

/** A webhook body before signing: type, code and the fields of that webhook. */
export interface WebhookPayload {
  webhook_type: string
  webhook_code: string
  [field: string]: unknown
}

export interface WebhookSender {
  /**
   * Queues a webhook for the Item, to `url` or else the Item's own webhook URL.
   * Returns false when there is no URL to send to.
   */
  send(item: ItemRecord, payload: WebhookPayload, url?: string | null): boolean
}

/**
 * Which webhook URLs the sandbox may POST to. Plaid sends anywhere, and so does the sandbox by default;
 * an app that mounts it for its users narrows it to origins it trusts, or the sandbox becomes a way to
 * make that app's server send requests to any host (SSRF).
 */
export interface WebhookUrlPolicy {
  /** Normalised origins (`https://hooks.example`), or null: any http(s) URL. */
  readonly allowedOrigins: ReadonlySet<string> | null
}

/** What the core use cases share: state, time and a way to emit webhooks. */
export interface SandboxContext {
  store: StateStore
  clock: SandboxClock
  webhooks: WebhookSender
  webhookUrls: WebhookUrlPolicy
}
