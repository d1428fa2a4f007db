// @ts-check
// The pane that takes the 3-letter code of a micro-deposit (Same-Day in update mode, Instant in the
// same session), and the pane after too many wrong codes.
import { callApi } from '../api.js'
import { button, h, paneTitle, submitButton, textField } from '../dom.js'
import { endWithExit } from '../outcome.js'
import { showLoading, showPane } from '../pane.js'
import { currentSession } from '../session.js'
import { runStep } from '../steps.js'
import { showConnected } from './accounts.js'

/** Sandbox code of a micro-deposit (plaid.com/docs/auth/coverage/testing/). */
export const SANDBOX_DEPOSIT_CODE = 'ABC'

/**
 * @typedef {object} DepositCodePane
 * @property {string} inputId
 * @property {string} view
 * @property {string} title
 * @property {string} lede
 * @property {string} [notice] a correction shown above the field (re-rendering without TRANSITION_VIEW)
 * @property {'microdeposits/verify' | 'instant-microdeposits/verify'} endpoint
 * @property {(options?: { notice?: string }) => void} show shows this pane again
 * @property {() => void} onVerified
 * @property {(result: any) => number} onWrongCode records the answer, returns the attempts remaining
 * @property {string} failedLede
 */

/**
 * A right code connects, a wrong one asks again until no attempts remain.
 * @param {DepositCodePane} codePane
 */
export function showDepositCodePane(codePane) {
  const current = currentSession()
  const code = textField(codePane.inputId, 'Deposit code', 'text')
  code.input.autocomplete = 'one-time-code'
  code.input.maxLength = 3
  code.input.dataset.autofocus = ''
  const form = h(
    'form',
    { className: 'pane-form', noValidate: true },
    codePane.notice ? h('p', { className: 'notice', role: 'alert' }, codePane.notice) : '',
    code.field,
    h('p', { className: 'hint' }, `Sandbox: the code is ${SANDBOX_DEPOSIT_CODE}.`),
    h('div', { className: 'actions' }, submitButton('Verify')),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const entered = code.input.value.trim()
    if (entered === '') {
      codePane.show({ notice: 'Enter the 3-letter code.' })
      return
    }
    showLoading('Verifying')
    void runStep(
      () => callApi(codePane.endpoint, { link_session_id: current.linkSessionId, code: entered }),
      (result) => {
        if (result.verified) {
          codePane.onVerified()
          showConnected(result)
          return
        }
        const remaining = codePane.onWrongCode(result)
        if (remaining > 0) {
          const attempts = remaining === 1 ? 'attempt' : 'attempts'
          codePane.show({ notice: `That code is not correct. ${remaining} ${attempts} remaining.` })
        } else {
          showVerificationFailed(codePane.view, codePane.failedLede)
        }
      },
      () => codePane.show(),
    )
  })
  showPane({ view: codePane.view, announce: !codePane.notice }, [
    paneTitle(codePane.title),
    h('p', { className: 'lede' }, codePane.lede),
    form,
  ])
}

/**
 * Too many wrong codes: Link can only be left.
 * @param {string} view
 * @param {string} lede
 */
function showVerificationFailed(view, lede) {
  const exitButton = button('Exit', 'primary', endWithExit)
  exitButton.dataset.autofocus = ''
  showPane({ view, announce: false }, [
    h('div', { className: 'status-icon error', ariaHidden: 'true' }, '!'),
    paneTitle('We could not verify your account'),
    h('p', { className: 'lede', role: 'alert' }, lede),
    h('div', { className: 'actions' }, exitButton),
  ])
}
