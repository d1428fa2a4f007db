/**
 * The one place the web app talks HTTP to the Safeclose API.
 *
 * `sendApiRequest` never throws for an HTTP status: it returns the whole exchange, which the Plaid lab
 * shows to the user step by step. `apiRequest` builds on it for ordinary callers and turns every
 * non-2xx answer into an `ApiError` carrying the server's human-readable message.
 */

import {
  friendlyValidationMessage,
  inputNameOf,
  type RefusedValue,
  refusedValueOf,
} from '../friendly-errors.ts'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export type ApiExchange = {
  method: HttpMethod
  path: string
  requestBody: unknown
  status: number
  ok: boolean
  responseBody: unknown
  requestId: string | null
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly requestId: string | null
  /** For VALIDATION_FAILED: the request field that was refused (e.g. `body.legal_name`) and why. */
  readonly refused: RefusedValue | null

  constructor(
    status: number,
    code: string,
    message: string,
    requestId: string | null,
    refused: RefusedValue | null = null,
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.requestId = requestId
    this.refused = refused
  }
}

/** What a route action hands back to its form when the API refused the change. */
export type Refusal = { message: string; field: string | null; requestId: string | null }

/**
 * The refusal an action returns for an ApiError: its sentence, the form input to mark (`field`, the
 * input's name) and the request id. Anything else is not a refusal and is thrown on, to the route's
 * error page.
 */
export function refusalOf(error: unknown): Refusal {
  if (!(error instanceof ApiError)) throw error
  return {
    message: error.message,
    field: error.refused ? inputNameOf(error.refused.field) : null,
    requestId: error.requestId,
  }
}

const NETWORK_ERROR_MESSAGE = 'Could not reach Safeclose. Check your connection and try again.'

export async function sendApiRequest(
  method: HttpMethod,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<ApiExchange> {
  // The server's CSRF defence expects JSON on every state-changing request, so those always carry a body.
  const requestBody = method === 'GET' ? undefined : (body ?? {})
  let response: Response
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers:
        requestBody === undefined
          ? { Accept: 'application/json' }
          : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: requestBody === undefined ? undefined : JSON.stringify(requestBody),
      signal,
    })
  } catch (error) {
    if (signal?.aborted) throw error
    throw new ApiError(0, 'NETWORK_ERROR', NETWORK_ERROR_MESSAGE, null)
  }
  const responseBody = await readJsonBody(response)
  return {
    method,
    path,
    requestBody,
    status: response.status,
    ok: response.ok,
    responseBody,
    requestId: readRequestId(responseBody),
  }
}

export async function apiRequest<T>(
  method: HttpMethod,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const exchange = await sendApiRequest(method, path, body, signal)
  if (!exchange.ok) throw apiErrorFrom(exchange)
  return exchange.responseBody as T
}

export function apiErrorFrom(exchange: ApiExchange): ApiError {
  const error = readErrorEnvelope(exchange.responseBody)
  // The server words a refused value for API clients; people get a sentence from friendly-errors.ts.
  const refused = error?.code === 'VALIDATION_FAILED' ? error.refused : null
  return new ApiError(
    exchange.status,
    error?.code ?? `HTTP_${exchange.status}`,
    refused
      ? friendlyValidationMessage(refused)
      : (error?.message ?? `Safeclose answered with an unexpected error (HTTP ${exchange.status}).`),
    exchange.requestId,
    refused,
  )
}

async function readJsonBody(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

function readErrorEnvelope(
  body: unknown,
): { code: string; message: string; refused: RefusedValue | null } | null {
  if (!isRecord(body) || !isRecord(body.error)) return null
  const { code, message } = body.error
  return typeof code === 'string' && typeof message === 'string'
    ? { code, message, refused: refusedValueOf(body.error) }
    : null
}

function readRequestId(body: unknown): string | null {
  return isRecord(body) && typeof body.request_id === 'string' ? body.request_id : null
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
