import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import fastifyCookie from '@fastify/cookie'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify'
import { type DatabaseHandle, followInvalidations } from '../db/client.ts'
import type { Config } from './config.ts'
import { registerApiDocs } from './http/api-docs.ts'
import { plaidBrowserSources } from './http/content-security-policy.ts'
import { registerErrorHandling } from './http/error-handler.ts'
import { registerOriginCheck } from './http/origin-check.ts'
import { pruneRateLimitCounters, registerRateLimits } from './http/rate-limit.ts'
import { registerSecurityHeaders } from './http/security-headers.ts'
import { textAjvPlugins } from './http/text.ts'
import { registerWebApp } from './http/web-app.ts'
import { housekeepingJob } from './jobs/housekeeping.ts'
import { createJobQueue, type JobAttemptHooks, type JobQueue, startJobWorkers } from './jobs/queue.ts'
import { lazyRequestLoggerFactory, loggerOptions } from './logger.ts'
import { auditRoutes } from './modules/audit/routes.ts'
import { createAuditService } from './modules/audit/service.ts'
import { passwordRoutes } from './modules/auth/password-routes.ts'
import { createPasswordService } from './modules/auth/password-service.ts'
import { authRoutes } from './modules/auth/routes.ts'
import { createAuthService } from './modules/auth/service.ts'
import { createSessionCache, SESSION_CACHE_CHANNEL } from './modules/auth/session-cache.ts'
import { registerSessionSupport } from './modules/auth/session-guard.ts'
import { createSecondFactorGate, createTwoFactorService } from './modules/auth/two-factor.ts'
import { twoFactorRoutes } from './modules/auth/two-factor-routes.ts'
import { createMailer, type Mailer } from './modules/email/mailer.ts'
import { createOutbox } from './modules/email/outbox.ts'
import { outboxRoutes } from './modules/email/routes.ts'
import { healthRoutes } from './modules/health/routes.ts'
import { createBootstrap } from './modules/members/bootstrap.ts'
import { membersRoutes } from './modules/members/routes.ts'
import { createMembersService } from './modules/members/service.ts'
import { createPlaidConnectionResolver } from './modules/plaid/connections.ts'
import { createPlaidGateway, type PlaidGateway } from './modules/plaid/gateway.ts'
import { createItemStateService } from './modules/plaid/item-state-service.ts'
import { plaidRoutes } from './modules/plaid/routes.ts'
import { createBankLinkingService, type StatusResult } from './modules/plaid/service.ts'
import { createStatusCache, PLAID_STATUS_CHANNEL } from './modules/plaid/status-cache.ts'
import { bankLinkingJobs } from './modules/plaid/workers.ts'
import { createAuditTrailService } from './modules/signing/audit-trail.ts'
import { createSigningManagerService } from './modules/signing/manager-service.ts'
import { payoutRoutes } from './modules/signing/payout-routes.ts'
import { createPayoutService } from './modules/signing/payout-service.ts'
import { SIGNER_DOCUMENTS_PATH } from './modules/signing/pdf-response.ts'
import { signingRoutes, verifyRoutes } from './modules/signing/routes.ts'
import { createSealCertificateService } from './modules/signing/seal-certificate.ts'
import { createSealingService } from './modules/signing/sealing.ts'
import { createSignerFlowService } from './modules/signing/signer-service.ts'
import { signingJobs } from './modules/signing/workers.ts'
import { createWebhookAdminService } from './modules/webhooks/admin-service.ts'
import { DEFAULT_GROUP_COMMIT } from './modules/webhooks/group-commit.ts'
import { createVerificationKeyCache } from './modules/webhooks/key-cache.ts'
import { createKeyFetchBudget } from './modules/webhooks/key-fetch-budget.ts'
import { createWebhookProcessor } from './modules/webhooks/processor.ts'
import { createWebhookReceiver } from './modules/webhooks/receiver.ts'
import { plaidWebhookRoute, webhookAdminRoutes } from './modules/webhooks/routes.ts'
import { webhookJobs } from './modules/webhooks/workers.ts'
import { workspaceRoutes } from './modules/workspace/routes.ts'
import { createWorkspaceSettingsService } from './modules/workspace/service.ts'
import type { Keyring } from './security/keyring.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** Settles once the in-process job workers are attached (rejects when they could not be). */
    workersStarted(): Promise<void>
  }
}

export const WEB_DIST_DIR = fileURLToPath(new URL('../web/dist', import.meta.url))
export const PLAID_SANDBOX_PREFIX = '/plaid-sandbox'
export const EMULATOR_CREDENTIALS = { clientId: 'safeclose-demo', secret: 'sandbox-secret-demo' }

export type AppDependencies = {
  database: DatabaseHandle
  keyring: Keyring
  /** Overrides the logger built from config (tests pass a stream to capture output). */
  logger?: FastifyServerOptions['loggerInstance'] | FastifyServerOptions['logger']
  /** The offline Plaid sandbox, mounted at /plaid-sandbox when configuration enables it. */
  plaidSandboxPlugin?: FastifyPluginAsync
  now?: () => Date
  webDistDir?: string
  /** Overrides the Plaid gateway (its base URL for the emulator comes from config otherwise). */
  plaidGateway?: PlaidGateway
  /** Overrides the e-mail transport built from SMTP_URL (tests capture invitations this way). */
  mailer?: Mailer
  /**
   * The job queue (pg-boss). By default the app makes one over `database`, starts it when ready and
   * stops it on close; a queue passed in is started and stopped by whoever passed it.
   */
  jobs?: JobQueue
  /** Run the job workers in this process; defaults to JOB_WORKERS_IN_PROCESS. */
  runWorkers?: boolean
  /**
   * Attach the workers after `ready` instead of before (serve.ts: the server listens sooner and then
   * awaits `app.workersStarted()`). Tests leave it off, so their workers run once the app is ready.
   */
  attachWorkersAfterReady?: boolean
  /** Test hooks around every job attempt (crash tests throw there; see JobAttemptHooks). */
  jobAttemptHooks?: JobAttemptHooks
  /** Test hook of the sealing job: runs before its transaction commits (crash tests throw here). */
  sealingBeforeCommit?: (packageId: string) => Promise<void>
}

/**
 * Composes the whole HTTP application. It opens nothing and listens on nothing: serve.ts owns the
 * process, tests call this with their own database and inject requests.
 */
export async function buildApp(config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    ...(isLoggerInstance(deps.logger)
      ? { loggerInstance: deps.logger }
      : { logger: deps.logger ?? loggerOptions(config.logLevel) }),
    bodyLimit: config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    childLoggerFactory: lazyRequestLoggerFactory,
    requestIdHeader: false,
    trustProxy: false,
    return503OnClosing: true,
    // Reject what clients send wrong instead of repairing it: no silent type coercion
    // ({"email": 42} is an error, not "42") and no silent removal of unknown fields.
    // Every request string is declared with `Text()` (http/text.ts): its format refuses NUL and
    // unpaired surrogates.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false },
      plugins: textAjvPlugins,
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  const db = deps.database.db
  const audit = createAuditService({ db, now: deps.now })
  const sessionCache = createSessionCache({
    maxEntries: config.sessionCache.maxEntries,
    ttlMs: config.sessionCache.ttlSeconds * 1000,
    now: deps.now ?? (() => new Date()),
  })
  const auth = createAuthService({
    db,
    audit,
    sessionTtlHours: config.sessionTtlHours,
    secondFactor: createSecondFactorGate({ db, now: deps.now }),
    sessionCache,
    now: deps.now,
  })
  // Bank-linking status per principal, revoked the same way (ADR 0027), within the same bounds.
  const statusCache = createStatusCache<StatusResult>({
    maxEntries: config.sessionCache.maxEntries,
    ttlMs: config.sessionCache.ttlSeconds * 1000,
    now: deps.now ?? (() => new Date()),
  })
  // Each cache stores nothing until it hears its channel's invalidations (ADRs 0019, 0027).
  const notifiedCaches = [
    { channel: SESSION_CACHE_CHANNEL, cache: sessionCache },
    { channel: PLAID_STATUS_CHANNEL, cache: statusCache },
  ]
  const stopFollowing: Array<() => Promise<void>> = []
  app.addHook('onReady', async () => {
    if (config.sessionCache.maxEntries <= 0) return
    for (const { channel, cache } of notifiedCaches) {
      stopFollowing.push(await followInvalidations(deps.database, channel, cache))
    }
  })
  app.addHook('onClose', async () => {
    await Promise.all(stopFollowing.map((stop) => stop()))
    for (const { cache } of notifiedCaches) cache.setListening(false)
  })
  // A request that may have written has committed by now: its workspace's cached statuses go before
  // the answer does, so the caller's next read is fresh without waiting for the notification.
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && request.session) {
      statusCache.invalidateWorkspace(request.session.workspace.id)
    }
    done(null, payload)
  })
  const twoFactor = createTwoFactorService({ db, keyring: deps.keyring, audit, auth, now: deps.now })
  const settings = createWorkspaceSettingsService({
    db,
    keyring: deps.keyring,
    audit,
    defaults: {
      environment: config.plaid.defaultEnvironment,
      clientId: config.plaid.clientId,
      secret: config.plaid.secret,
      emulatorClientId: EMULATOR_CREDENTIALS.clientId,
      emulatorSecret: EMULATOR_CREDENTIALS.secret,
      publicUrl: config.publicUrl,
    },
  })

  const now = deps.now ?? (() => new Date())
  const jobs =
    deps.jobs ??
    createJobQueue(deps.database, {
      ...config.jobs,
      onError: (error) => app.log.error({ err: error }, 'job queue error'),
      onInvalidPayload: (problem) =>
        app.log.error(
          { queue: problem.queue, job_id: problem.jobId, error: problem.message },
          'job failed for good: its payload does not match its queue',
        ),
    })
  const plaidConnections = createPlaidConnectionResolver({
    settings,
    emulator: EMULATOR_CREDENTIALS,
    serverCredentials: { clientId: config.plaid.clientId, secret: config.plaid.secret },
  })
  const gateway = deps.plaidGateway ?? createPlaidGateway({ emulatorUrl: config.plaid.emulatorUrl })
  const bankLinking = createBankLinkingService({
    db,
    gateway,
    keyring: deps.keyring,
    audit,
    settings,
    defaultEnvironment: config.plaid.defaultEnvironment,
    connections: plaidConnections,
    jobs,
    logger: app.log,
  })

  const outbox = createOutbox({
    db,
    mailer:
      deps.mailer ??
      createMailer({ smtpUrl: config.email.smtpUrl, from: config.email.from, logger: app.log }),
    now: deps.now,
  })
  const members = createMembersService({
    db,
    auth,
    audit,
    outbox,
    publicUrl: config.publicUrl,
    now: deps.now,
  })
  const passwords = createPasswordService({
    db,
    auth,
    audit,
    outbox,
    publicUrl: config.publicUrl,
    logger: app.log,
    now: deps.now,
  })
  const sealCertificates = createSealCertificateService({
    db,
    keyring: deps.keyring,
    audit,
    p12: config.sealP12,
    now: deps.now,
  })
  const signingDeps = {
    db,
    audit,
    auth,
    outbox,
    publicUrl: config.publicUrl,
    linkTtlHours: config.signingLinkTtlHours,
    logger: app.log,
    now: deps.now,
    jobs,
    sealCertificates,
  }
  const signingManager = createSigningManagerService(signingDeps)
  const payout = createPayoutService({
    db,
    keyring: deps.keyring,
    audit,
    outbox,
    bankLinking,
    jobs,
    publicUrl: config.publicUrl,
    logger: app.log,
    now: deps.now,
  })
  const signerFlow = createSignerFlowService({ ...signingDeps, bankLinking, payout })
  const signingAuditTrail = createAuditTrailService({ db, audit, manager: signingManager, now: deps.now })
  const sealing = createSealingService({
    db,
    audit,
    manager: signingManager,
    auditTrail: signingAuditTrail,
    certificates: sealCertificates,
    tsaUrl: config.sealTsaUrl,
    logger: app.log,
    now: deps.now,
    beforeCommit: deps.sealingBeforeCommit,
  })

  const itemState = createItemStateService({ db, keyring: deps.keyring })
  const webhookReceiver = createWebhookReceiver({
    db,
    execute: deps.database.executeSql,
    gateway,
    keys: createVerificationKeyCache({ now: () => now().getTime() }),
    keyFetchBudget: createKeyFetchBudget({
      perMinute: config.webhooks.keyFetchesPerMinute,
      now: () => now().getTime(),
    }),
    connections: plaidConnections,
    items: itemState,
    jobs,
    defaultEnvironment: config.plaid.defaultEnvironment,
    logger: app.log,
    now,
    groupCommit: {
      ...DEFAULT_GROUP_COMMIT,
      maxBatch: config.webhooks.groupCommitMaxBatch,
      windowMs: config.webhooks.groupCommitWindowMs,
    },
  })
  const webhookProcessor = createWebhookProcessor({
    db,
    gateway,
    jobs,
    itemWait: {
      windowMs: config.webhooks.itemWaitSeconds * 1000,
      firstRetryMs: config.webhooks.itemWaitFirstRetrySeconds * 1000,
    },
    items: itemState,
    audit,
    connections: plaidConnections,
    logger: app.log,
    now,
  })
  const webhookAdmin = createWebhookAdminService({ db, jobs, audit, now })
  async function startWorkers() {
    // Every queue of the registry (server/jobs/registry.ts) gets its handler here; one left out
    // does not compile.
    await startJobWorkers(
      jobs,
      {
        ...webhookJobs(webhookProcessor, {
          concurrency: config.jobs.concurrency,
          reconcileCron: config.jobs.reconcileCron,
          reconcileBatchSize: config.jobs.reconcileBatchSize,
        }),
        ...bankLinkingJobs(bankLinking, app.log),
        ...signingJobs({ sealing, manager: signingManager, payout, logger: app.log }),
        housekeeping: housekeepingJob({
          deleteExpiredSessions: () => auth.deleteExpiredSessions(),
          deleteStaleRateLimitCounters: () => pruneRateLimitCounters(db, now()),
          deleteExpiredLinkResumes: () => bankLinking.deleteExpiredLinkResumes(),
        }),
      },
      deps.jobAttemptHooks,
    )
  }
  let workersStarted: Promise<void> = Promise.resolve()
  app.decorate('workersStarted', () => workersStarted)
  app.addHook('onReady', async () => {
    // The queue starts before the server answers: a request may enqueue a job at once.
    if (!deps.jobs) await jobs.start()
    if (!(deps.runWorkers ?? config.jobs.workersInProcess)) return
    workersStarted = startWorkers()
    // Workers only consume jobs: the server may listen while they attach (serve.ts waits for them
    // after listen and stops the process if they fail). Otherwise they are attached before ready.
    if (!deps.attachWorkersAfterReady) await workersStarted
  })
  // Runs after the server stopped accepting requests and in-flight ones finished: workers finish
  // their current job, then the queue lets go of the database.
  app.addHook('onClose', async () => {
    await workersStarted.catch(() => {})
    if (!deps.jobs) await jobs.stop()
  })

  registerErrorHandling(app)
  // The API speaks JSON only; anything else is 415 rather than a string body that fails validation.
  app.removeContentTypeParser('text/plain')
  registerSecurityHeaders(app, {
    // API responses are never rendered: one fixed policy, built once, on every response. HTML pages
    // replace it with their own, with a fresh nonce each (web-app.ts); only they pay for randomness.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
    // Plaid Link opens bank OAuth pages in popups that must be able to report back.
    crossOriginOpenerPolicy: { policy: 'same-origin-allow-popups' },
    // The Link iframe (Plaid's CDN or the sandbox) is cross-origin and does not send CORP headers.
    crossOriginEmbedderPolicy: false,
  })
  await app.register(fastifyCookie)
  registerOriginCheck(app, { trustedOrigins: config.trustedOrigins })
  await registerRateLimits(app, db)
  registerSessionSupport(app, auth, twoFactor)
  // Before the routes: it learns them as they are registered.
  await registerApiDocs(app, { publicUrl: config.publicUrl })

  await app.register(healthRoutes, { database: deps.database })
  await app.register(authRoutes, {
    auth,
    isSecureOrigin: config.isSecureOrigin,
    signInAttemptsPerMinute: config.signInAttemptsPerMinute,
    signInAttemptsPerIpPerMinute: config.signInAttemptsPerIpPerMinute,
    passwordHashing: config.passwordHashing,
  })
  await app.register(twoFactorRoutes, {
    twoFactor,
    isSecureOrigin: config.isSecureOrigin,
    attemptsPerMinute: config.signInAttemptsPerMinute,
  })
  await app.register(workspaceRoutes, { settings })
  await app.register(plaidRoutes, {
    bankLinking,
    statusCache,
    linkTokensPerMinute: config.linkTokensPerMinute,
  })
  await app.register(plaidWebhookRoute, { receiver: webhookReceiver })
  await app.register(webhookAdminRoutes, { admin: webhookAdmin })
  await app.register(outboxRoutes, { outbox })
  await app.register(auditRoutes, { audit })
  await app.register(passwordRoutes, { passwords, resetRequestsPerMinute: 5 })
  await app.register(membersRoutes, {
    members,
    bootstrap: createBootstrap({ db, auth, audit, publicUrl: config.publicUrl, now: deps.now }),
    isSecureOrigin: config.isSecureOrigin,
    acceptsPerMinute: 20,
  })
  await app.register(signingRoutes, {
    manager: signingManager,
    signerFlow,
    auditTrail: signingAuditTrail,
    sealing,
    sealCertificates,
    isSecureOrigin: config.isSecureOrigin,
  })
  await app.register(verifyRoutes, { sealing })
  await app.register(payoutRoutes, { payout, manager: signingManager })

  if (config.plaid.isSandboxMounted && deps.plaidSandboxPlugin) {
    const sandboxPlugin = deps.plaidSandboxPlugin
    await app.register(async (sandboxScope) => {
      // The sandbox stands in for Plaid's own hosts, which send their own headers. Our page policy
      // (frame-ancestors 'none') would forbid our pages to frame its Link UI, so its routes opt out.
      sandboxScope.addHook('onRoute', (route) => {
        route.config = { ...route.config, securityHeaders: false }
      })
      await sandboxScope.register(sandboxPlugin, { prefix: PLAID_SANDBOX_PREFIX })
    })
  }

  const emulatorBrowserBaseUrl =
    config.plaid.isSandboxMounted && config.plaid.emulatorUrl === `${config.publicUrl}${PLAID_SANDBOX_PREFIX}`
      ? PLAID_SANDBOX_PREFIX
      : config.plaid.emulatorUrl
  await registerWebApp(app, {
    distDir: deps.webDistDir ?? WEB_DIST_DIR,
    // The signer page shows PDF documents in a frame; nothing else of ours is framed.
    framePaths: [SIGNER_DOCUMENTS_PATH],
    async resolvePlaidSources(request) {
      const session = await app.loadOptionalSession(request)
      const environment = session
        ? await settings.getActiveEnvironment(session.workspace.id)
        : config.plaid.defaultEnvironment
      return plaidBrowserSources(environment, { browserBaseUrl: emulatorBrowserBaseUrl })
    },
  })

  return app
}

function isLoggerInstance(
  logger: AppDependencies['logger'],
): logger is NonNullable<FastifyServerOptions['loggerInstance']> {
  return (
    typeof logger === 'object' &&
    logger !== null &&
    typeof (logger as { child?: unknown }).child === 'function'
  )
}
