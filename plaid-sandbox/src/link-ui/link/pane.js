// @ts-check
// Showing a screen: replaces the pane's content, records the view (and its exit status), announces it
// with TRANSITION_VIEW, and moves focus into it.
import { h } from './dom.js'
import { emit } from './events.js'
import { requestExit } from './exit-confirmation.js'
import { backButton, exitPane, modal, pane } from './layout.js'
import { session } from './session.js'

/** Exit statuses by pane (plaid.com/docs/link/web/#link-web-onexit-status). Other views inherit. */
const EXIT_STATUS_BY_VIEW = {
  CONSENT: 'requires_credentials',
  SELECT_INSTITUTION: 'institution_not_found',
  CREDENTIAL: 'requires_credentials',
  SELECT_ACCOUNT: 'requires_account_selection',
  OAUTH: 'requires_oauth',
  NUMBERS: 'requires_credentials',
  VERIFY_MICRODEPOSITS: 'requires_code',
  INSTANT_MICRODEPOSIT_AUTHORIZED: 'requires_code',
}

/**
 * @typedef {object} PaneOptions
 * @property {string} view the view_name
 * @property {boolean} [announce] emit TRANSITION_VIEW (default true)
 * @property {null | (() => void)} [back] what Back does; null hides it
 * @property {string} [exitStatus] instead of the view's own
 * @property {Record<string, string>} [eventDetails] extra TRANSITION_VIEW metadata
 */

/**
 * Replaces the pane content, records the view, and moves focus into the new pane.
 * @param {PaneOptions} options
 * @param {Array<Node | string>} children
 */
export function showPane({ view, announce = true, back = null, exitStatus, eventDetails = {} }, children) {
  if (!session) return
  session.view = view
  const status = exitStatus ?? EXIT_STATUS_BY_VIEW[/** @type {keyof typeof EXIT_STATUS_BY_VIEW} */ (view)]
  if (status) session.exitStatus = status
  session.back = back
  backButton.hidden = back === null
  exitPane.hidden = true
  pane.hidden = false
  modal.setAttribute('aria-labelledby', 'pane-title')
  pane.replaceChildren(...children)
  if (announce) emit('TRANSITION_VIEW', eventDetails)
  const autofocus = pane.querySelector('[data-autofocus]') ?? pane.querySelector('h1')
  if (autofocus instanceof HTMLElement) autofocus.focus()
  if (session.isExitRequested) {
    session.isExitRequested = false
    requestExit()
  }
}

/**
 * @param {string} message
 * @param {{ announce?: boolean }} [options]
 */
export function showLoading(message, { announce = true } = {}) {
  showPane({ view: 'LOADING', announce }, [
    h('div', { className: 'spinner', ariaHidden: 'true' }),
    h('h1', { className: 'loading-text', id: 'pane-title', tabIndex: -1, role: 'status' }, `${message}…`),
  ])
}
