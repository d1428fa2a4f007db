import path from 'node:path'
import envSchema from 'env-schema'
import Type, { type Static } from 'typebox'

/**
 * Every environment variable Safeclose reads, with its type and default. Nothing else in the server
 * reads `process.env`; `.env.example` documents the same list for operators.
 */
export const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface the HTTP server listens on' }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^/]+$',
      description: 'Origin users reach Safeclose at (no path); defaults to http://HOST:PORT',
    }),
  ),
  DATA_DIR: Type.String({
    default: './.data',
    description: 'Embedded database, demo key file, sandbox state',
  }),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'Use this PostgreSQL server instead of PGlite',
    }),
  ),
  SAFECLOSE_SEED_DEMO: Type.Optional(
    Type.Boolean({ description: 'Seed the demo workspace; default: only into a new embedded database' }),
  ),
  SAFECLOSE_ENCRYPTION_KEYS: Type.Optional(
    Type.String({
      description: 'Keyring for secrets at rest: "k2:<base64 32 bytes>,k1:<...>", first is active',
    }),
  ),
  PLAID_ENV: Type.Union([Type.Literal('emulator'), Type.Literal('sandbox'), Type.Literal('production')], {
    default: 'emulator',
    description: 'Default Plaid environment for workspaces that have not chosen one',
  }),
  PLAID_CLIENT_ID: Type.Optional(Type.String({ minLength: 1 })),
  PLAID_SECRET: Type.Optional(Type.String({ minLength: 1 })),
  PLAID_SANDBOX_ENABLED: Type.Optional(
    Type.Boolean({
      description:
        'Mount the offline Plaid sandbox at /plaid-sandbox; default: only with the embedded database',
    }),
  ),
  PLAID_EMULATOR_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Plaid API base for the emulator environment; default: the mounted sandbox',
    }),
  ),
  PLAID_SANDBOX_WEBHOOK_ALLOWLIST: Type.Optional(
    Type.String({
      pattern: '^\\s*https?://[^/,\\s]+\\s*(,\\s*https?://[^/,\\s]+\\s*)*$',
      description:
        'Origins the mounted sandbox may send webhooks to, comma-separated; default: PUBLIC_URL only',
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
  SESSION_TTL_HOURS: Type.Integer({ default: 168, minimum: 1, maximum: 8760 }),
  SESSION_CACHE_MAX_ENTRIES: Type.Integer({
    default: 5000,
    minimum: 0,
    description: 'Validated sessions kept in memory per instance; 0 turns the cache off',
  }),
  SESSION_CACHE_TTL_SECONDS: Type.Integer({
    default: 30,
    minimum: 1,
    maximum: 60,
    description: 'Longest time a cached session is used before it is read again',
  }),
  IDLE_MEMORY_TRIM_SECONDS: Type.Integer({
    default: 3,
    minimum: 0,
    maximum: 3600,
    description:
      'After this many idle seconds following a burst of work, return freed memory to the system; 0 = never',
  }),
  SIGN_IN_ATTEMPTS_PER_MINUTE: Type.Integer({ default: 10, minimum: 1, description: 'Per IP and e-mail' }),
  SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE: Type.Integer({
    default: 30,
    minimum: 1,
    description: 'Per IP, whatever the e-mail',
  }),
  PASSWORD_HASH_CONCURRENCY: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 64,
    description: 'Password hashes (scrypt, 128 MiB each) computed at once per process',
  }),
  PASSWORD_HASH_QUEUE_LIMIT: Type.Integer({
    default: 32,
    minimum: 0,
    maximum: 10_000,
    description: 'Sign-ins waiting for a hash per process; one IP may hold a quarter of them',
  }),
  LINK_TOKENS_PER_MINUTE: Type.Integer({ default: 10, minimum: 1, description: 'Per user' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://',
      description: 'Send signing invitations through this SMTP server; unset: managers copy the links',
    }),
  ),
  SMTP_FROM: Type.String({
    default: 'Safeclose <no-reply@safeclose.invalid>',
    minLength: 3,
    description: 'From address of invitation e-mails',
  }),
  SIGNING_LINK_TTL_HOURS: Type.Integer({
    default: 168,
    minimum: 1,
    maximum: 2160,
    description: 'How long a signing link stays valid',
  }),
  SEAL_P12_PATH: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PKCS#12 file (certificate and private key) that seals completed packages; unset: a self-signed demo certificate per workspace',
    }),
  ),
  SEAL_P12_PASSWORD: Type.Optional(Type.String({ description: 'Password of SEAL_P12_PATH' })),
  SEAL_TSA_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'RFC 3161 timestamp authority: sealed PDFs get a signature timestamp (PAdES B-T)',
    }),
  ),
  JOB_WORKERS_IN_PROCESS: Type.Boolean({
    default: true,
    description:
      'Run the job workers (webhook processing, reconciliation, payout checks, sealing, Item removal) inside the server process; alias WEBHOOK_WORKERS_IN_PROCESS',
  }),
  JOB_WORKER_CONCURRENCY: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 64,
    description: 'Webhook jobs processed at once per process; alias WEBHOOK_WORKER_CONCURRENCY',
  }),
  JOB_RETRY_LIMIT: Type.Integer({
    default: 8,
    minimum: 0,
    maximum: 50,
    description:
      'Retries of a failing job (webhook processing, payout checks, Item removal at Plaid) before it fails for good; alias WEBHOOK_RETRY_LIMIT',
  }),
  JOB_RETRY_DELAY_SECONDS: Type.Integer({
    default: 30,
    minimum: 0,
    description:
      'First retry delay; later retries back off exponentially (0 = retry at once); alias WEBHOOK_RETRY_DELAY_SECONDS',
  }),
  JOB_EXPIRE_SECONDS: Type.Integer({
    default: 300,
    minimum: 1,
    description: 'A job whose worker died is handed out again after this long',
  }),
  JOB_POLLING_INTERVAL_SECONDS: Type.Number({ default: 2, minimum: 0.5, description: 'Idle worker poll' }),
  PLAID_RECONCILE_CRON: Type.String({
    default: '*/30 * * * *',
    description: 'When to re-check live Items with /item/get (cron, UTC); "off" disables',
  }),
  PLAID_RECONCILE_BATCH_SIZE: Type.Integer({ default: 100, minimum: 1, maximum: 10_000 }),
  WEBHOOK_KEY_FETCHES_PER_MINUTE: Type.Integer({
    default: 10,
    minimum: 2,
    maximum: 1000,
    description:
      'Outbound /webhook_verification_key/get calls per minute and process; half are kept for deliveries naming a known Item',
  }),
  WEBHOOK_GROUP_COMMIT_MAX_BATCH: Type.Integer({
    default: 64,
    minimum: 1,
    maximum: 1000,
    description:
      'Most verified webhook deliveries stored in one transaction (group commit, ADR 0020); 1 stores each alone',
  }),
  WEBHOOK_GROUP_COMMIT_WINDOW_MS: Type.Integer({
    default: 5,
    minimum: 0,
    maximum: 10_000,
    description:
      'Longest a verified delivery waits for others being verified, or for a commit in flight, before its batch starts',
  }),
  WEBHOOK_ITEM_WAIT_SECONDS: Type.Integer({
    default: 600,
    minimum: 0,
    maximum: 86_400,
    description:
      'How long a verified webhook for an Item not (yet) known is retried before it is declared orphaned',
  }),
  WEBHOOK_ITEM_WAIT_FIRST_RETRY_SECONDS: Type.Number({
    default: 5,
    minimum: 0.5,
    maximum: 600,
    description: 'First re-check of such a webhook; the delay then doubles until the wait is over',
  }),
})

type RawConfig = Static<typeof ConfigSchema>

/**
 * Old names still read, for deployments written before the job settings were renamed (ADR 0022).
 * The new name wins; both set to different values is an error rather than a silent choice.
 */
export const CONFIG_ALIASES: Readonly<Record<string, keyof RawConfig>> = {
  WEBHOOK_WORKERS_IN_PROCESS: 'JOB_WORKERS_IN_PROCESS',
  WEBHOOK_WORKER_CONCURRENCY: 'JOB_WORKER_CONCURRENCY',
  WEBHOOK_RETRY_LIMIT: 'JOB_RETRY_LIMIT',
  WEBHOOK_RETRY_DELAY_SECONDS: 'JOB_RETRY_DELAY_SECONDS',
}

export type DatabaseConfig = { kind: 'pglite'; dataDir: string | null } | { kind: 'postgres'; url: string }

/** The validated configuration with every default resolved; this is what the rest of the server sees. */
export type Config = {
  host: string
  port: number
  publicUrl: string
  /** Origins whose browsers may change state (origin check): PUBLIC_URL's, see {@link trustedOriginsFor}. */
  trustedOrigins: string[]
  isSecureOrigin: boolean
  dataDir: string
  database: DatabaseConfig
  shouldSeedDemo: boolean
  encryptionKeys: string | null
  plaid: {
    defaultEnvironment: 'emulator' | 'sandbox' | 'production'
    clientId: string | null
    secret: string | null
    isSandboxMounted: boolean
    emulatorUrl: string
    /** Origins the mounted sandbox delivers webhooks to; anything else is refused at the API call. */
    sandboxWebhookAllowlist: string[]
  }
  logLevel: string
  sessionTtlHours: number
  sessionCache: { maxEntries: number; ttlSeconds: number }
  /** Idle seconds after which freed memory goes back to the system; 0 = never (server/idle-memory.ts). */
  idleMemoryTrimSeconds: number
  signInAttemptsPerMinute: number
  signInAttemptsPerIpPerMinute: number
  passwordHashing: { concurrency: number; maxWaiting: number }
  linkTokensPerMinute: number
  bodyLimitBytes: number
  email: { smtpUrl: string | null; from: string }
  signingLinkTtlHours: number
  /** The configured sealing PKCS#12; null = a generated demo certificate per workspace. */
  sealP12: { path: string; password: string } | null
  /** RFC 3161 timestamp authority for sealed PDFs; null = none. */
  sealTsaUrl: string | null
  jobs: {
    workersInProcess: boolean
    concurrency: number
    retryLimit: number
    retryDelaySeconds: number
    expireSeconds: number
    pollingIntervalSeconds: number
    reconcileCron: string | null
    reconcileBatchSize: number
  }
  webhooks: {
    keyFetchesPerMinute: number
    groupCommitMaxBatch: number
    groupCommitWindowMs: number
    itemWaitSeconds: number
    itemWaitFirstRetrySeconds: number
  }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * Validates the environment once at boot. A bad value fails here with the variable named, instead of
 * surfacing later as a confusing runtime error.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  let raw: RawConfig
  const { data, spelledAs } = withAliasesResolved(definedOnly(env))
  try {
    raw = envSchema<RawConfig>({ schema: ConfigSchema, data, dotenv: false, env: false })
  } catch (error) {
    throw new ConfigError(`Invalid configuration: ${describeEnvError(error, spelledAs)}`)
  }
  const publicUrl = raw.PUBLIC_URL ?? `http://${raw.HOST}:${raw.PORT}`
  const isEmbeddedDatabase = raw.DATABASE_URL === undefined
  const isSandboxMounted = raw.PLAID_SANDBOX_ENABLED ?? isEmbeddedDatabase
  const dataDir = path.resolve(raw.DATA_DIR)
  if (raw.SEAL_P12_PASSWORD !== undefined && raw.SEAL_P12_PATH === undefined) {
    throw new ConfigError('Invalid configuration: SEAL_P12_PASSWORD is set but SEAL_P12_PATH is not')
  }
  return {
    host: raw.HOST,
    port: raw.PORT,
    publicUrl,
    trustedOrigins: trustedOriginsFor(raw.PUBLIC_URL, raw.HOST, raw.PORT),
    isSecureOrigin: publicUrl.startsWith('https://'),
    dataDir,
    database: isEmbeddedDatabase
      ? { kind: 'pglite', dataDir: path.join(dataDir, 'pglite') }
      : { kind: 'postgres', url: raw.DATABASE_URL as string },
    shouldSeedDemo: raw.SAFECLOSE_SEED_DEMO ?? isEmbeddedDatabase,
    encryptionKeys: raw.SAFECLOSE_ENCRYPTION_KEYS ?? null,
    plaid: {
      defaultEnvironment: raw.PLAID_ENV,
      clientId: raw.PLAID_CLIENT_ID ?? null,
      secret: raw.PLAID_SECRET ?? null,
      isSandboxMounted,
      emulatorUrl: raw.PLAID_EMULATOR_URL ?? `${publicUrl}/plaid-sandbox`,
      sandboxWebhookAllowlist: raw.PLAID_SANDBOX_WEBHOOK_ALLOWLIST
        ? parseOrigins('PLAID_SANDBOX_WEBHOOK_ALLOWLIST', raw.PLAID_SANDBOX_WEBHOOK_ALLOWLIST)
        : [new URL(publicUrl).origin],
    },
    logLevel: raw.LOG_LEVEL,
    sessionTtlHours: raw.SESSION_TTL_HOURS,
    sessionCache: { maxEntries: raw.SESSION_CACHE_MAX_ENTRIES, ttlSeconds: raw.SESSION_CACHE_TTL_SECONDS },
    idleMemoryTrimSeconds: raw.IDLE_MEMORY_TRIM_SECONDS,
    signInAttemptsPerMinute: raw.SIGN_IN_ATTEMPTS_PER_MINUTE,
    signInAttemptsPerIpPerMinute: raw.SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE,
    passwordHashing: {
      concurrency: raw.PASSWORD_HASH_CONCURRENCY,
      maxWaiting: raw.PASSWORD_HASH_QUEUE_LIMIT,
    },
    linkTokensPerMinute: raw.LINK_TOKENS_PER_MINUTE,
    bodyLimitBytes: raw.BODY_LIMIT_BYTES,
    email: { smtpUrl: raw.SMTP_URL ?? null, from: raw.SMTP_FROM },
    signingLinkTtlHours: raw.SIGNING_LINK_TTL_HOURS,
    sealP12: raw.SEAL_P12_PATH
      ? { path: path.resolve(raw.SEAL_P12_PATH), password: raw.SEAL_P12_PASSWORD ?? '' }
      : null,
    sealTsaUrl: raw.SEAL_TSA_URL ?? null,
    jobs: {
      workersInProcess: raw.JOB_WORKERS_IN_PROCESS,
      concurrency: raw.JOB_WORKER_CONCURRENCY,
      retryLimit: raw.JOB_RETRY_LIMIT,
      retryDelaySeconds: raw.JOB_RETRY_DELAY_SECONDS,
      expireSeconds: raw.JOB_EXPIRE_SECONDS,
      pollingIntervalSeconds: raw.JOB_POLLING_INTERVAL_SECONDS,
      reconcileCron: raw.PLAID_RECONCILE_CRON === 'off' ? null : raw.PLAID_RECONCILE_CRON,
      reconcileBatchSize: raw.PLAID_RECONCILE_BATCH_SIZE,
    },
    webhooks: {
      keyFetchesPerMinute: raw.WEBHOOK_KEY_FETCHES_PER_MINUTE,
      groupCommitMaxBatch: raw.WEBHOOK_GROUP_COMMIT_MAX_BATCH,
      groupCommitWindowMs: raw.WEBHOOK_GROUP_COMMIT_WINDOW_MS,
      itemWaitSeconds: raw.WEBHOOK_ITEM_WAIT_SECONDS,
      itemWaitFirstRetrySeconds: raw.WEBHOOK_ITEM_WAIT_FIRST_RETRY_SECONDS,
    },
  }
}

function parseOrigins(variable: string, list: string): string[] {
  return list.split(',').map((entry) => {
    if (!URL.canParse(entry.trim()))
      throw new ConfigError(`Invalid configuration: ${variable} has "${entry}"`)
    return new URL(entry.trim()).origin
  })
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1'])

/**
 * PUBLIC_URL's origin. Only when PUBLIC_URL is not set and the server listens on loopback (the
 * zero-setup demo) are the other loopback spellings of the same port trusted too, so a browser
 * opened at http://localhost:3000 can sign in. Derived from configuration, never from a request.
 */
function trustedOriginsFor(publicUrl: string | undefined, host: string, port: number): string[] {
  if (publicUrl !== undefined) return [new URL(publicUrl).origin]
  if (!LOOPBACK_HOSTS.has(host)) return [new URL(`http://${host}:${port}`).origin]
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]
}

const BOOLEAN_SPELLINGS: Record<string, string> = {
  '1': 'true',
  yes: 'true',
  on: 'true',
  '0': 'false',
  no: 'false',
  off: 'false',
}

// Empty strings in an env file mean "not set", as in `.env.example`; the schema then applies defaults.
// Booleans accept the usual shell spellings (SAFECLOSE_SEED_DEMO=1).
function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const result: Record<string, string> = {}
  const properties: Record<string, unknown> = ConfigSchema.properties
  for (const key of [...Object.keys(properties), ...Object.keys(CONFIG_ALIASES)]) {
    const value = env[key]
    if (value === undefined || value === '') continue
    const schema = properties[CONFIG_ALIASES[key] ?? key] as { type?: string }
    result[key] = schema.type === 'boolean' ? (BOOLEAN_SPELLINGS[value.toLowerCase()] ?? value) : value
  }
  return result
}

/**
 * Moves each old name's value to its new name. `spelledAs` remembers which variable a value came
 * from, so an error names the variable the operator actually set.
 */
function withAliasesResolved(defined: Record<string, string>): {
  data: Record<string, string>
  spelledAs: Record<string, string>
} {
  const data = { ...defined }
  const spelledAs: Record<string, string> = {}
  for (const [alias, name] of Object.entries(CONFIG_ALIASES)) {
    const value = data[alias]
    if (value === undefined) continue
    delete data[alias]
    if (data[name] === undefined) {
      data[name] = value
      spelledAs[name] = alias
    } else if (data[name] !== value) {
      throw new ConfigError(
        `Invalid configuration: ${name} and its old name ${alias} are both set, to different values; keep ${name}`,
      )
    }
  }
  return { data, spelledAs }
}

function describeEnvError(error: unknown, spelledAs: Record<string, string>): string {
  const validationErrors = (
    error as { errors?: Array<{ instancePath: string; message?: string; params?: object }> }
  ).errors
  if (!validationErrors?.length) return error instanceof Error ? error.message : String(error)
  return validationErrors
    .map((issue) => {
      const name = issue.instancePath.replace(/^\//, '')
      const variable = spelledAs[name] ?? (name || 'environment')
      return `${variable} ${issue.message ?? 'is invalid'}`
    })
    .join('; ')
}

/** For process entry points: a bad configuration prints the reason and exits with EX_CONFIG (78). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(78)
    }
    throw error
  }
}
