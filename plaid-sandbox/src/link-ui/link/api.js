// @ts-check
// The sandbox's private Link API (`api/<path>` next to link.html; routes: plaid-sandbox/src/api/
// link-ui-routes.ts). Request bodies are checked against the sandbox's own request schemas.
import { apiBase, linkToken } from './frame.js'
import { currentSession } from './session.js'

/** @import { LinkUiPath, LinkUiRequest } from '../../schemas/link-ui-requests.ts' */
/** @import { PlaidLinkError } from './session.js' */

/**
 * A request body without the link token, which callApi adds.
 * @template {LinkUiPath} P
 * @typedef {Omit<LinkUiRequest<P>, 'link_token'>} LinkUiBody
 */

export class LinkApiError extends Error {
  /** @param {PlaidLinkError & { retryable?: boolean }} envelope */
  constructor(envelope) {
    super(envelope.error_message)
    /** @type {PlaidLinkError} */
    this.linkError = {
      error_type: envelope.error_type,
      error_code: envelope.error_code,
      error_message: envelope.error_message,
      display_message: envelope.display_message ?? null,
    }
    this.isRetryable = envelope.retryable === true
  }
}

/**
 * Calls the API for the current session; its answer's request_id becomes the session's.
 * @template {LinkUiPath} P
 * @param {P} path
 * @param {LinkUiBody<P>} body
 * @returns {Promise<any>}
 */
export async function callApi(path, body) {
  const current = currentSession()
  let response
  try {
    response = await fetch(new URL(path, apiBase), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ link_token: linkToken, ...body }),
      signal: current.abort.signal,
      credentials: 'omit',
    })
  } catch (error) {
    if (current.abort.signal.aborted) throw error
    throw linkUiError(`the Link UI could not reach the Plaid sandbox (${path})`)
  }
  const payload = await response.json().catch(() => null)
  if (payload && typeof payload.request_id === 'string') current.requestId = payload.request_id
  if (!response.ok || !payload) {
    throw new LinkApiError(
      payload?.error_code ? payload : linkUiError(`unexpected HTTP ${response.status} from ${path}`),
    )
  }
  return payload
}

/**
 * Bookkeeping for the sandbox's control API only: never awaited, never allowed to affect the flow,
 * and kept out of `requestId` so the app sees the request ids of the flow's own calls.
 * @param {string} eventName
 * @param {{ view_name: string | null, link_session_id: string }} metadata
 */
export function reportEventToSandbox(eventName, metadata) {
  if (!metadata.link_session_id) return
  /** @type {LinkUiRequest<'events'>} */
  const body = {
    link_token: linkToken,
    link_session_id: metadata.link_session_id,
    event_name: eventName,
    view_name: metadata.view_name,
  }
  fetch(new URL('events', apiBase), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
    keepalive: true,
  }).catch(() => {})
}

/**
 * A failure on this side of the API (network, unexpected answer): reported as Plaid reports its own
 * internal errors, so the app sees the usual error shape.
 * @param {string} message
 * @returns {PlaidLinkError}
 */
export function linkUiError(message) {
  return {
    error_type: 'API_ERROR',
    error_code: 'INTERNAL_SERVER_ERROR',
    error_message: message,
    display_message: null,
  }
}
