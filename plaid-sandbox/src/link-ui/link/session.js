// @ts-check
// The Link session being shown: one per `open` message from the parent, null while the frame waits
// hidden. Every screen reads and updates it through `session`; only this module replaces it.
import { DEFAULT_WORDMARK, exitPane, modal, pane, wordmark } from './layout.js'

/** @typedef {{ error_type: string, error_code: string, error_message: string, display_message: string | null }} PlaidLinkError */
/** @typedef {{ institution_id: string, name: string }} InstitutionRef */

/**
 * @typedef {object} LinkSession
 * @property {number} number the parent's session number: messages about any other are ignored
 * @property {string} linkSessionId
 * @property {string} requestId the request_id of the flow's last API answer
 * @property {boolean} isUpdateMode
 * @property {string} clientName
 * @property {InstitutionRef | null} institution
 * @property {string | null} view the current view_name
 * @property {string | null} exitStatus what onExit's status would be now
 * @property {PlaidLinkError | null} lastError
 * @property {AbortController} abort aborts the session's requests when it ends
 * @property {boolean} isBusy a request is running (see steps.js)
 * @property {boolean} isExitRequested an exit asked for while busy, shown with the next pane
 * @property {null | (() => void)} back what the Back button does on this pane
 * @property {null | (() => void)} finish ends a success pane (Continue, ×, Escape)
 * @property {string | null} viewBeforeExit
 * @property {Element | null} focusBeforeExitPane
 * @property {boolean} hasRedirectUri the link token has a redirect_uri (OAuth may redirect)
 * @property {boolean} endsOnError an error ends Link at once instead of offering a retry
 * @property {Window | null} oauthPopup
 * @property {ReturnType<typeof setInterval> | undefined} oauthPoll
 * @property {null | { asks_name: boolean }} manualEntry Same-Day Micro-deposits offered
 * @property {null | { account: any, attempts_remaining: number }} microdeposit a Same-Day deposit waiting for its code
 * @property {null | { asks_name: boolean, institution_ids: string[] }} instantMicrodeposits
 * @property {null | { mask: string, subtype: string, attempts_remaining: number }} instantDeposit
 */

/** @type {LinkSession | null} */
export let session = null

/**
 * @param {number} number
 * @param {{ endsOnError: boolean }} options
 * @returns {LinkSession}
 */
export function createSession(number, { endsOnError }) {
  session = {
    number,
    linkSessionId: '',
    requestId: '',
    isUpdateMode: false,
    clientName: '',
    institution: null,
    view: null,
    exitStatus: null,
    lastError: null,
    abort: new AbortController(),
    isBusy: false,
    isExitRequested: false,
    back: null,
    finish: null,
    viewBeforeExit: null,
    focusBeforeExitPane: null,
    hasRedirectUri: false,
    endsOnError,
    oauthPopup: null,
    oauthPoll: undefined,
    manualEntry: null,
    microdeposit: null,
    instantMicrodeposits: null,
    instantDeposit: null,
  }
  modal.hidden = false
  return session
}

/**
 * The session, for a screen or step that only runs while one is shown (a pane's handlers die with the
 * pane, and runStep drops answers for a session that ended).
 */
export function currentSession() {
  return /** @type {LinkSession} */ (session)
}

/** Ends the session on this side: aborts its requests, closes an OAuth popup, hides the dialog. */
export function discardSession() {
  if (!session) return
  session.abort.abort()
  clearInterval(session.oauthPoll)
  if (session.oauthPopup && !session.oauthPopup.closed) session.oauthPopup.close()
  session = null
  modal.hidden = true
  exitPane.hidden = true
  pane.hidden = false
  pane.replaceChildren()
  wordmark.textContent = DEFAULT_WORDMARK
}
