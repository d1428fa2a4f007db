import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { ADMIN_PREFIX, registerAdminRoutes } from './api/admin-routes.ts'
import { registerInstitutionRoutes } from './api/institution-routes.ts'
import { registerItemRoutes } from './api/item-routes.ts'
import { registerLinkTokenRoutes } from './api/link-token-routes.ts'
import { LINK_UI_API_PREFIX, registerLinkUiRoutes } from './api/link-ui-routes.ts'
import { registerProductRoutes } from './api/product-routes.ts'
import { installErrorHandling, type RouteDependencies, type SandboxClient } from './api/route-support.ts'
import { registerSandboxRoutes } from './api/sandbox-routes.ts'
import { registerWebhookKeyRoutes } from './api/webhook-key-routes.ts'
import { type ActiveFault, FaultInjector, type FaultSpec } from './control/faults.ts'
import { SandboxClock } from './core/clock.ts'
import type { SandboxContext } from './core/context.ts'
import { changeAuthNumbers } from './core/microdeposits.ts'
import type { DeliveryRecord, LinkSessionRecord } from './core/state.ts'
import { StateStore } from './core/store.ts'
import { type SandboxLogger, silentLogger } from './logger.ts'
import {
  PLAID_RETRY_SCHEDULE_MS,
  PLAID_WEBHOOK_TIMEOUT_MS,
  WebhookDispatcher,
} from './webhooks/dispatcher.ts'
import { SigningKeyRing } from './webhooks/signing-keys.ts'
import { webhookUrlPolicy } from './webhooks/url-policy.ts'

export type { SandboxClient } from './api/route-support.ts'
export type { ActiveFault, FaultSpec } from './control/faults.ts'
export type { DeliveryRecord } from './core/state.ts'
export type { SandboxLogger } from './logger.ts'

/** The documented demo credentials, accepted when no `clients` are configured. */
export const DEFAULT_SANDBOX_CLIENTS: readonly SandboxClient[] = [
  { clientId: 'safeclose-demo', secret: 'sandbox-secret-demo' },
]

export interface PlaidSandboxOptions {
  /** client_id/secret pairs the API accepts. Default: {@link DEFAULT_SANDBOX_CLIENTS}. */
  clients?: readonly SandboxClient[]
  /** Directory for the state file; without it state lives in memory only. */
  dataDir?: string
  /** Base clock (ms since epoch). The control API adds its offset on top. Default `Date.now`. */
  now?: () => number
  /** Waits between webhook delivery attempts, in ms. Default: Plaid's 30 s × 4ⁿ schedule. */
  webhookRetrySchedule?: readonly number[]
  /** How long a webhook receiver may take to answer. Default 10 000 ms, as Plaid. */
  webhookTimeoutMs?: number
  logger?: SandboxLogger
  /**
   * Serve the unauthenticated `/__admin` control API (reset, clock, faults, key rotation). Default
   * true; an app that mounts the sandbox for its users turns it off, since anyone who can reach the
   * app could otherwise wipe the sandbox or break its webhooks. `control` works either way.
   */
  controlApi?: boolean
  /**
   * Origins (`https://app.example`) the sandbox may deliver webhooks to. Default: any http(s) URL, as
   * Plaid. With a list, a webhook URL elsewhere is refused with INVALID_FIELD where it is set
   * (`/link/token/create`, `/sandbox/public_token/create`, `/item/webhook/update`), and a delivery to
   * such a URL that is already stored (state from an earlier run) fails without a request.
   */
  allowedWebhookOrigins?: readonly string[]
}

/** Programmatic twin of the `/__admin` control API. */
export interface SandboxControl {
  now(): number
  clockOffsetMs(): number
  /** Moves the sandbox clock forward, e.g. to expire link and public tokens. */
  advanceClock(ms: number): void
  /** Forgets every item, token, key, delivery, session and fault, and the clock offset. */
  reset(): void
  /** Makes a new signing key current; the old one expires after `graceMs` (default 24 h). Returns the new kid. */
  rotateSigningKey(options?: { graceMs?: number }): string
  signingKeys(): Record<string, unknown>[]
  /**
   * Makes the next `times` calls to `endpoint` fail and/or wait.
   * @example control.failNext({ endpoint: '/auth/get', errorCode: 'ITEM_LOGIN_REQUIRED' })
   * @example control.failNext({ endpoint: '/item/get', httpStatus: 500, times: 2 })
   */
  failNext(spec: FaultSpec): ActiveFault
  /** Delays the next `times` calls to `endpoint` by `ms` (real time). */
  delayNext(endpoint: string, ms: number, times?: number): ActiveFault
  faults(): readonly ActiveFault[]
  clearFaults(): void
  /** The next `count` webhooks are logged as `dropped` and never sent. */
  dropWebhooks(count: number): void
  deliveries(): readonly DeliveryRecord[]
  /** Resolves when every webhook has been delivered or has given up (retries included). */
  flushWebhooks(): Promise<void>
  linkSessions(): readonly LinkSessionRecord[]
  /**
   * The bank changed an account's ACH numbers: /auth/get returns the new ones and the Item's webhook
   * receives AUTH DEFAULT_UPDATE with `account_ids_with_updated_auth`.
   */
  changeAuthNumbers(change: { itemId: string; accountId: string; account?: string; routing?: string }): void
}

export interface PlaidSandbox {
  /** Registers the whole sandbox; mount it under any prefix. */
  plugin: FastifyPluginAsync
  control: SandboxControl
  /** Stops retry timers, waits for running deliveries and writes state to disk. */
  close(): Promise<void>
}

const LINK_UI_DIRECTORY = fileURLToPath(new URL('./link-ui/', import.meta.url))
/** The fake OAuth bank's page: its own strict policy (no inline code, talks to its own origin only). */
const BANK_PAGE_FILE = join('oauth-bank', 'bank.html')
const BANK_PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ')

export function createPlaidSandbox(options: PlaidSandboxOptions = {}): PlaidSandbox {
  const logger = options.logger ?? silentLogger
  const clock = new SandboxClock(options.now)
  const store = new StateStore(options.dataDir)
  const keys = new SigningKeyRing(store, clock)
  const webhookUrls = webhookUrlPolicy(options.allowedWebhookOrigins)
  const dispatcher = new WebhookDispatcher({
    webhookUrls,
    store,
    clock,
    keys,
    retryScheduleMs: options.webhookRetrySchedule ?? PLAID_RETRY_SCHEDULE_MS,
    timeoutMs: options.webhookTimeoutMs ?? PLAID_WEBHOOK_TIMEOUT_MS,
    logger,
  })
  const faults = new FaultInjector()
  const ctx: SandboxContext = { store, clock, webhooks: dispatcher, webhookUrls }
  const deps: RouteDependencies = {
    ctx,
    keys,
    dispatcher,
    faults,
    clients: options.clients ?? DEFAULT_SANDBOX_CLIENTS,
    logger,
  }
  dispatcher.resumePending()

  const control: SandboxControl = {
    now: () => clock.now(),
    clockOffsetMs: () => clock.offsetMs,
    advanceClock: (ms) => clock.advance(ms),
    reset: () => {
      dispatcher.cancelScheduled()
      faults.clear()
      clock.resetOffset()
      keys.forgetCachedKeys()
      store.reset()
    },
    rotateSigningKey: (rotation = {}) => keys.rotate(rotation.graceMs),
    signingKeys: () => keys.list(),
    failNext: (spec) => faults.add(spec),
    delayNext: (endpoint, ms, times = 1) => faults.add({ endpoint, delayMs: ms, times }),
    faults: () => faults.list(),
    clearFaults: () => faults.clear(),
    dropWebhooks: (count) => dispatcher.dropNext(count),
    deliveries: () => dispatcher.deliveries(),
    flushWebhooks: () => dispatcher.idle(),
    linkSessions: () => Object.values(store.state.linkSessions),
    changeAuthNumbers: ({ itemId, ...change }) => changeAuthNumbers(ctx, itemId, change),
  }

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    installErrorHandling(app, deps, LINK_UI_API_PREFIX)
    registerLinkTokenRoutes(app, deps)
    registerItemRoutes(app, deps)
    registerProductRoutes(app, deps)
    registerInstitutionRoutes(app, deps)
    registerWebhookKeyRoutes(app, deps)
    registerSandboxRoutes(app, deps)
    registerLinkUiRoutes(app, deps)
    if (options.controlApi ?? true) registerAdminRoutes(app, control)
    await app.register(fastifyStatic, {
      root: LINK_UI_DIRECTORY,
      prefix: '/link/v2/stable/',
      // The host app may use @fastify/static itself; a second reply decorator would clash.
      decorateReply: false,
      cacheControl: false,
      setHeaders: (response, path) => {
        if (!path.endsWith(BANK_PAGE_FILE)) return
        response.header('content-security-policy', BANK_PAGE_CSP)
        // Link watches the popup (window.closed); a host app's blanket COOP `same-origin` on this page
        // would cut it off from its opener.
        response.header('cross-origin-opener-policy', 'unsafe-none')
      },
    })
  }

  return {
    plugin,
    control,
    close: async () => {
      await dispatcher.close()
      store.flush()
    },
  }
}

export { ADMIN_PREFIX, LINK_UI_API_PREFIX }
