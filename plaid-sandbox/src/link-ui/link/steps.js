// @ts-check
// Every API request of the flow runs as a step: the pane shows progress, an answer for a session that
// has ended meanwhile is dropped, and a failure becomes the ERROR pane (or ends Link).
import { LinkApiError, linkUiError } from './api.js'
import { emit } from './events.js'
import { endWithExit } from './outcome.js'
import { showError } from './panes/error.js'
import { session } from './session.js'

/**
 * Runs one request while the pane shows progress; every request goes through here so an exit
 * requested meanwhile (Escape, ×, handler.exit()) waits for the next pane instead of racing it.
 * @template T
 * @param {() => Promise<T>} request
 * @param {(result: T) => void} onResult
 * @param {() => void} retry shows again the pane the failed request came from
 */
export async function runStep(request, onResult, retry) {
  const current = session
  if (!current || current.isBusy) return
  current.isBusy = true
  let result
  try {
    result = await request()
  } catch (error) {
    if (session !== current) return
    current.isBusy = false
    handleFailure(error, retry)
    return
  }
  if (session !== current) return
  current.isBusy = false
  onResult(result)
}

/**
 * @param {unknown} error
 * @param {() => void} retry
 */
export function handleFailure(error, retry) {
  if (!session || session.abort.signal.aborted) return
  const apiError =
    error instanceof LinkApiError
      ? error
      : new LinkApiError(linkUiError(error instanceof Error ? error.message : String(error)))
  session.lastError = apiError.linkError
  const { error_type, error_code, error_message } = apiError.linkError
  session.view = 'ERROR'
  emit('ERROR', { error_type, error_code, error_message })
  // An unusable link token ends Link at once: the app must create a new token and handler.
  if (error_code === 'INVALID_LINK_TOKEN' || session.endsOnError) {
    endWithExit()
    return
  }
  showError(apiError, retry)
}
