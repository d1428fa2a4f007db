// @ts-check
// Link events for the parent (which buffers them for onEvent) and the sandbox's event log, with the
// full PlaidLinkOnEventMetadata, and the exit plan that travels with each of them.
import { reportEventToSandbox } from './api.js'
import { postToParent } from './frame.js'
import { currentSession, session } from './session.js'

/**
 * @param {string} eventName
 * @param {Partial<Record<string, string | null>>} [details]
 */
export function emit(eventName, details = {}) {
  if (!session) return
  const metadata = { ...eventMetadata(), ...details, timestamp: new Date().toISOString() }
  postToParent({ type: 'event', session: session.number, eventName, metadata, exitPlan: exitPlan() })
  reportEventToSandbox(eventName, metadata)
}

/** The full PlaidLinkOnEventMetadata key set; keys that do not apply stay null. */
export function eventMetadata() {
  const current = currentSession()
  return {
    account_number_mask: null,
    error_type: null,
    error_code: null,
    error_message: null,
    exit_status: null,
    institution_id: current.institution?.institution_id ?? null,
    institution_name: current.institution?.name ?? null,
    institution_search_query: null,
    is_update_mode: null,
    match_reason: null,
    mfa_type: null,
    routing_number: null,
    view_name: current.view,
    selection: null,
    timestamp: '',
    link_session_id: current.linkSessionId,
    request_id: current.requestId,
  }
}

/** @typedef {ReturnType<typeof exitPlan>} ExitPlan */

/** What the app receives if the session ends now: kept current in the parent for exit({ force }). */
export function exitPlan() {
  const current = currentSession()
  const error = current.lastError
  return {
    error,
    metadata: {
      institution: current.institution,
      status: current.exitStatus,
      link_session_id: current.linkSessionId,
      request_id: current.requestId,
    },
    eventMetadata: {
      ...eventMetadata(),
      exit_status: current.exitStatus,
      error_type: error?.error_type ?? null,
      error_code: error?.error_code ?? null,
      error_message: error?.error_message ?? null,
    },
  }
}
