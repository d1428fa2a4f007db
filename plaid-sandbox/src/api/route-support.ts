import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import type { FaultInjector } from '../control/faults.ts'
import type { SandboxContext } from '../core/context.ts'
import { newRequestId } from '../core/ids.ts'
import { PlaidApiError, plaidError, toErrorBody } from '../errors.ts'
import type { SandboxLogger } from '../logger.ts'
import { compileRequestValidator } from '../schemas/validate.ts'
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts'
import type { SigningKeyRing } from '../webhooks/signing-keys.ts'

export interface SandboxClient {
  clientId: string
  secret: string
}

/** What the route modules need; built once per sandbox. */
export interface RouteDependencies {
  ctx: SandboxContext
  keys: SigningKeyRing
  dispatcher: WebhookDispatcher
  faults: FaultInjector
  clients: readonly SandboxClient[]
  logger: SandboxLogger
}

const requestIds = new WeakMap<FastifyRequest, string>()

/** The Plaid-style request_id of a request, made on first use. */
export function requestIdOf(request: FastifyRequest): string {
  let requestId = requestIds.get(request)
  if (!requestId) {
    requestId = newRequestId()
    requestIds.set(request, requestId)
  }
  return requestId
}

/** Path of the route relative to the sandbox mount point, as fault rules name endpoints. */
function endpointOf(request: FastifyRequest, prefix: string): string {
  const url = request.routeOptions.url ?? request.url
  return url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url
}

async function applyFault(deps: RouteDependencies, endpoint: string): Promise<void> {
  const fault = deps.faults.take(endpoint)
  if (!fault) return
  if (fault.delayMs > 0) await sleep(fault.delayMs)
  if (fault.error) throw fault.error
}

function requireJsonObject(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw plaidError('INVALID_BODY')
  return body as Record<string, unknown>
}

/** Plaid takes credentials from the body first, then from the PLAID-CLIENT-ID / PLAID-SECRET headers. */
function authenticate(
  deps: RouteDependencies,
  request: FastifyRequest,
  body: Record<string, unknown>,
): string {
  const header = (name: string) => {
    const value = request.headers[name]
    return typeof value === 'string' ? value : undefined
  }
  const clientId = typeof body.client_id === 'string' ? body.client_id : header('plaid-client-id')
  const secret = typeof body.secret === 'string' ? body.secret : header('plaid-secret')
  const missing = [clientId ? null : 'client_id', secret ? null : 'secret'].filter(Boolean)
  if (missing.length > 0) {
    throw plaidError('MISSING_FIELDS', `the following required fields are missing: ${missing.join(', ')}`)
  }
  const isKnown = deps.clients.some((client) => client.clientId === clientId && client.secret === secret)
  if (!isKnown) throw plaidError('INVALID_API_KEYS')
  return clientId as string
}

export interface PlaidCall {
  clientId: string
}

/**
 * Registers one Plaid endpoint: fault injection, client credentials, schema validation, then the
 * handler; the response gets its request_id. Errors go through the plugin's error handler.
 */
export function plaidEndpoint<Body>(
  app: FastifyInstance,
  deps: RouteDependencies,
  path: string,
  schema: TSchema,
  handler: (body: Body, call: PlaidCall) => Record<string, unknown> | Promise<Record<string, unknown>>,
): void {
  const validate = compileRequestValidator(schema)
  app.post(path, async (request, reply) => {
    await applyFault(deps, endpointOf(request, app.prefix))
    const body = requireJsonObject(request.body)
    const clientId = authenticate(deps, request, body)
    validate(body)
    const result = await handler(body as Body, { clientId })
    return reply.send({ ...result, request_id: requestIdOf(request) })
  })
}

/** Link UI endpoints: same envelope and validation, but the link token is the only credential. */
export function linkUiEndpoint<Body>(
  app: FastifyInstance,
  deps: RouteDependencies,
  path: string,
  schema: TSchema,
  handler: (body: Body) => Record<string, unknown>,
): void {
  const validate = compileRequestValidator(schema)
  app.post(path, async (request, reply) => {
    await applyFault(deps, endpointOf(request, app.prefix))
    const body = requireJsonObject(request.body)
    validate(body)
    return reply.send({ ...handler(body as Body), request_id: requestIdOf(request) })
  })
}

/** Errors a Link user may simply try again after; everything else ends the Link flow. */
const RETRYABLE_LINK_ERRORS = new Set([
  'INVALID_CREDENTIALS',
  'INVALID_MFA',
  'RECAPTCHA_BAD',
  'INSTITUTION_DOWN',
  'INSTITUTION_NOT_RESPONDING',
  'INSTITUTION_NOT_AVAILABLE',
  'INTERNAL_SERVER_ERROR',
  'PLANNED_MAINTENANCE',
  'RATE_LIMIT',
])

/** One error handler for the whole sandbox: every failure leaves in Plaid's envelope. */
export function installErrorHandling(
  app: FastifyInstance,
  deps: RouteDependencies,
  linkUiPrefix: string,
): void {
  app.setErrorHandler(
    (failure: FastifyError | PlaidApiError, request: FastifyRequest, reply: FastifyReply) => {
      let error: PlaidApiError
      if (failure instanceof PlaidApiError) {
        error = failure
      } else if (typeof failure.code === 'string' && failure.code.startsWith('FST_ERR_CTP_')) {
        // Fastify's content-type parsing failures: not JSON, malformed JSON, empty or oversized body.
        error = plaidError('INVALID_BODY')
      } else {
        deps.logger.error({ err: failure, url: request.url }, 'plaid-sandbox: unexpected error')
        error = plaidError('INTERNAL_SERVER_ERROR')
      }
      const body = toErrorBody(error, requestIdOf(request))
      const isLinkUi = request.url.startsWith(`${app.prefix}${linkUiPrefix}`)
      return reply
        .status(error.status)
        .send(isLinkUi ? { ...body, retryable: RETRYABLE_LINK_ERRORS.has(error.code) } : body)
    },
  )
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(toErrorBody(plaidError('NOT_FOUND'), requestIdOf(request)))
  })
}
