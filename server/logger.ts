import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'
import type { LoggerOptions } from 'pino'

/** Keys whose values must never reach a log line, at any of the depths our log objects use. */
const SECRET_KEYS = [
  'password',
  'secret',
  'access_token',
  'public_token',
  'link_token',
  'accessToken',
  'publicToken',
  'linkToken',
  'client_secret',
  'PLAID-SECRET',
  'cookie',
  'set-cookie',
  'authorization',
  'plaid-verification',
]

function redactionPaths(): string[] {
  const paths: string[] = []
  for (const key of SECRET_KEYS) {
    const segment = /^[A-Za-z_]\w*$/.test(key) ? key : `["${key}"]`
    const join = (prefix: string) =>
      segment.startsWith('[') ? `${prefix}${segment}` : `${prefix}.${segment}`
    paths.push(segment.startsWith('[') ? segment : key, join('*'), join('*.*'), join('*.*.*'))
  }
  // An axios error (thrown by the Plaid SDK) carries the request config, whose headers hold the
  // Plaid secret: drop those subtrees whole wherever an error is logged.
  paths.push('err.config', 'err.request', 'err.response.config', 'error.config', 'error.request')
  return paths
}

export const REDACTED = '[redacted]'

// --- URLs -------------------------------------------------------------------------------------------

/** Query parameters that carry a credential (compared lower-case, after decoding). */
const TOKEN_QUERY_PARAMETERS = new Set([
  'token',
  'link_token',
  'public_token',
  'access_token',
  'oauth_state_id',
  'receivedredirecturi',
  'received_redirect_uri',
  'code',
  'state',
  'secret',
  'password',
  // A page's return path can carry a token page (?next=/invite/<token>).
  'next',
])
/** Plaid's token format, wherever it appears in a URL: link-sandbox-…, public-production-…. */
const PLAID_TOKEN = /^(link|public|access|processor)-(sandbox|development|production)-/i
/**
 * Pages whose last segment is a credential: a signing link (/signing/s/<token>, a sign-in for days),
 * a member invitation, a password reset and the first-run setup link. `%2F` counts as a slash.
 */
const SIGNING_LINK_PATH = /(\/(?:signing(?:\/|%2f)+s|invite|reset-password|setup)(?:\/|%2f)+)[^/]+/gi

/**
 * A request URL fit for a log line: the token of a signing link, credential-carrying query parameters
 * and anything shaped like a Plaid token become `[redacted]`. The rest (path, other parameters, their
 * raw encoding) stays, so the line still says which page or endpoint was asked for.
 */
export function redactUrl(url: string): string {
  const queryStart = url.indexOf('?')
  const path = queryStart === -1 ? url : url.slice(0, queryStart)
  const safePath = path
    .replace(SIGNING_LINK_PATH, `$1${REDACTED}`)
    .split('/')
    .map((segment) => (PLAID_TOKEN.test(decode(segment)) ? REDACTED : segment))
    .join('/')
  if (queryStart === -1) return safePath
  const safeQuery = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=')
      const key = separator === -1 ? pair : pair.slice(0, separator)
      const value = separator === -1 ? '' : pair.slice(separator + 1)
      if (PLAID_TOKEN.test(decode(key))) return REDACTED
      const isSecret =
        TOKEN_QUERY_PARAMETERS.has(decode(key).toLowerCase()) || PLAID_TOKEN.test(decode(value))
      return isSecret && separator !== -1 ? `${key}=${REDACTED}` : pair
    })
    .join('&')
  return `${safePath}?${safeQuery}`
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '))
  } catch {
    return text
  }
}

type LoggedRequest = {
  method: string
  url: string
  host?: string
  ip?: string
  headers?: Record<string, unknown>
  socket?: { remotePort?: number }
}

/** Fastify's own request serializer, with the URL redacted; it covers the automatic request logs. */
export function serializeRequest(request: LoggedRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }
}

// --- Errors -----------------------------------------------------------------------------------------

/**
 * Error fields that can carry the values a statement worked on: drizzle's `query`/`params`, PGlite's
 * `query`/`params`/`queryOptions`, PostgreSQL's `detail` ("Key (email)=(x@y) already exists"),
 * `where` (PL/pgSQL context with values) and `internalQuery`, and the usual names other clients use.
 */
const VALUE_CARRYING_ERROR_FIELDS = new Set([
  'query',
  'params',
  'parameters',
  'detail',
  'where',
  'internalQuery',
  'queryOptions',
  'sql',
  'values',
  'bindings',
])
const MAX_CAUSE_DEPTH = 5

type ErrorLike = Record<string, unknown> & { message?: unknown; stack?: unknown; name?: unknown }

/**
 * The message of an error as it may be logged or stored. A failed drizzle query's message is its SQL
 * and parameters, so only "Failed query" remains. A PostgreSQL error keeps its text up to the first
 * ": " ("invalid input syntax for type uuid: "<value>"" loses the value, "duplicate key value violates
 * unique constraint "users_email_unique"" stays whole). Anything else keeps its message.
 */
export function safeErrorMessage(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error)
  const candidate = error as ErrorLike
  const message = typeof candidate.message === 'string' ? candidate.message : ''
  if (isFailedQuery(candidate)) return 'Failed query'
  if (isDatabaseError(candidate)) {
    const cut = message.indexOf(': ')
    return cut === -1 ? message : message.slice(0, cut)
  }
  return message
}

/**
 * The `err` serializer: pino's usual shape (type, message, stack, own fields, cause) without the
 * fields that carry SQL text or parameter values, and with messages (also in `stack`) made safe by
 * {@link safeErrorMessage}. Kept: error codes, constraint, schema, table, column, data type, routine.
 */
export function serializeError(value: unknown): unknown {
  return serializeErrorAt(value, 0, new WeakSet())
}

function serializeErrorAt(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value)) return '[Circular]'
  seen.add(value)
  const error = value as ErrorLike
  // PGlite's DatabaseError class has a minified name; pg's is DatabaseError already.
  const type = isDatabaseError(error)
    ? 'DatabaseError'
    : value instanceof Error
      ? value.constructor.name
      : 'Object'
  const message = safeErrorMessage(value)
  const result: Record<string, unknown> = { type, message }
  if (typeof error.stack === 'string') result.stack = safeStack(error.stack, type, message)
  for (const [key, field] of Object.entries(error)) {
    if (key in result || key === 'cause' || key === 'errors' || VALUE_CARRYING_ERROR_FIELDS.has(key)) continue
    result[key] = field instanceof Error ? serializeErrorAt(field, depth + 1, seen) : field
  }
  if (depth < MAX_CAUSE_DEPTH && error.cause !== undefined) {
    result.cause = serializeErrorAt(error.cause, depth + 1, seen)
  }
  if (depth < MAX_CAUSE_DEPTH && Array.isArray(error.errors)) {
    result.errors = error.errors.map((inner) => serializeErrorAt(inner, depth + 1, seen))
  }
  return result
}

// A stack starts with "<name>: <message>", which may span lines; only the frames are kept after it.
function safeStack(stack: string, type: string, message: string): string {
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line))
  return [`${type}: ${message}`, ...frames].join('\n')
}

function isFailedQuery(error: ErrorLike): boolean {
  return (
    (error as object).constructor?.name === 'DrizzleQueryError' ||
    (typeof error.message === 'string' && error.message.startsWith('Failed query:'))
  )
}

// pg's DatabaseError and PGlite's errors: a five-character SQLSTATE plus the server's severity.
function isDatabaseError(error: ErrorLike): boolean {
  return (
    typeof error.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(error.code) &&
    (typeof error.severity === 'string' || error.name === 'DatabaseError')
  )
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactionPaths(), censor: REDACTED },
    serializers: {
      req: serializeRequest,
      err: serializeError,
      error: serializeError,
      url: (url: unknown) => (typeof url === 'string' ? redactUrl(url) : url),
    },
  }
}

// --- Request loggers --------------------------------------------------------------------------------

type LevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type LevelAwareLogger = FastifyBaseLogger & { isLevelEnabled(level: string): boolean }

/**
 * Fastify's per-request logger, made lazily: the pino child (with the request id) is built the first
 * time the request logs at an enabled level. Our redaction paths make building a child cost tens of
 * microseconds (its bindings go through the redaction), which a request that logs nothing below the
 * level (`warn` in production: no request lines) should not pay.
 */
export const lazyRequestLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => {
  const parent = logger as Partial<LevelAwareLogger> & FastifyBaseLogger
  if (typeof parent.isLevelEnabled !== 'function' || options.level || options.serializers) {
    return logger.child(bindings, options)
  }
  return new LazyRequestLogger(parent as LevelAwareLogger, bindings) as unknown as FastifyBaseLogger
}

class LazyRequestLogger {
  readonly #parent: LevelAwareLogger
  readonly #bindings: Record<string, unknown>
  #child: LevelAwareLogger | undefined

  constructor(parent: LevelAwareLogger, bindings: Record<string, unknown>) {
    this.#parent = parent
    this.#bindings = bindings
  }

  #logger(): LevelAwareLogger {
    this.#child ??= this.#parent.child(this.#bindings) as LevelAwareLogger
    return this.#child
  }

  #log(level: LevelName, args: unknown[]): void {
    if (!(this.#child ?? this.#parent).isLevelEnabled(level)) return
    ;(this.#logger()[level] as (...values: unknown[]) => void)(...args)
  }

  get level(): string {
    return (this.#child ?? this.#parent).level
  }
  set level(level: string) {
    this.#logger().level = level
  }
  fatal(...args: unknown[]): void {
    this.#log('fatal', args)
  }
  error(...args: unknown[]): void {
    this.#log('error', args)
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args)
  }
  info(...args: unknown[]): void {
    this.#log('info', args)
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args)
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args)
  }
  silent(): void {}
  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.#parent).isLevelEnabled(level)
  }
  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): FastifyBaseLogger {
    return this.#logger().child(bindings, options)
  }
}
