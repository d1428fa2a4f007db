// @ts-check
// The ERROR pane: "Try again" for retryable errors (back to the pane the request came from), Exit.
import { button, capitalize, h } from '../dom.js'
import { endWithExit } from '../outcome.js'
import { showPane } from '../pane.js'

/** @import { LinkApiError } from '../api.js' */

/**
 * @param {LinkApiError} error
 * @param {() => void} retry
 */
export function showError(error, retry) {
  const { error_code, error_message, display_message } = error.linkError
  const tryAgain = error.isRetryable ? button('Try again', 'primary', retry) : null
  const exitButton = button('Exit', tryAgain ? 'secondary' : 'primary', endWithExit)
  const actions = tryAgain ? [tryAgain, exitButton] : [exitButton]
  const firstAction = tryAgain ?? exitButton
  firstAction.dataset.autofocus = ''
  showPane({ view: 'ERROR', announce: false }, [
    h('div', { className: 'status-icon error', ariaHidden: 'true' }, '!'),
    h(
      'h1',
      { id: 'pane-title', tabIndex: -1 },
      error.isRetryable ? 'Please try again' : 'Something went wrong',
    ),
    h('p', { className: 'lede', role: 'alert' }, display_message ?? capitalize(error_message)),
    h('p', { className: 'error-code' }, `Error code: ${error_code}`),
    h('div', { className: 'actions' }, ...actions),
  ])
}
