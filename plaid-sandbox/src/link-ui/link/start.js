// @ts-check
// The start of a session: `open` from the parent, or a Link re-created after an OAuth redirect.
import { callApi } from './api.js'
import { emit } from './events.js'
import { receivedRedirectUri } from './frame.js'
import { wordmark } from './layout.js'
import { resumeAfterRedirect } from './oauth.js'
import { showLoading } from './pane.js'
import { showConsent } from './panes/consent.js'
import { createSession } from './session.js'
import { runStep } from './steps.js'

/** @param {number} sessionNumber the parent's number for this `open` */
export function beginSession(sessionNumber) {
  // A failed resume from an OAuth redirect ends Link at once: retrying cannot fix the URL.
  const current = createSession(sessionNumber, { endsOnError: receivedRedirectUri !== null })
  showLoading('Loading', { announce: false })
  void runStep(
    () =>
      callApi(
        'session/start',
        receivedRedirectUri === null ? {} : { received_redirect_uri: receivedRedirectUri },
      ),
    (started) => {
      current.linkSessionId = started.link_session_id
      current.clientName = started.client_name
      current.isUpdateMode = started.mode === 'update'
      current.hasRedirectUri = started.has_redirect_uri === true
      current.endsOnError = false
      if (current.isUpdateMode && started.update) current.institution = started.update.institution
      current.manualEntry = started.manual_entry ?? null
      current.microdeposit = started.update?.microdeposit ?? null
      current.instantMicrodeposits = started.instant_microdeposits ?? null
      wordmark.textContent = current.clientName
      if (started.oauth) {
        resumeAfterRedirect(started.oauth)
        return
      }
      emit('OPEN', { view_name: 'CONSENT', is_update_mode: String(current.isUpdateMode) })
      showConsent({ announce: false })
    },
    () => {
      current.abort.abort()
      beginSession(sessionNumber)
    },
  )
}
