// @ts-check
// Same-Day Micro-deposits: "Deposit authorized" after the numbers, and (in update mode on a Same-Day
// Item) the code from the deposit's description.
import { button, h, paneTitle } from '../dom.js'
import { endWithSuccess } from '../outcome.js'
import { showPane } from '../pane.js'
import { currentSession } from '../session.js'
import { SANDBOX_DEPOSIT_CODE, showDepositCodePane } from './deposit-code.js'

/** @param {any} linked the numbers/submit answer: the Item exists, its account is pending. */
export function showDepositAuthorized(linked) {
  const current = currentSession()
  const account = linked.accounts[0]
  const metadata = {
    institution: null,
    accounts: linked.accounts,
    link_session_id: linked.link_session_id,
    transfer_status: linked.transfer_status ?? null,
  }
  const finish = () => endWithSuccess(linked.public_token, metadata)
  const continueButton = button('Continue', 'primary', finish)
  continueButton.dataset.autofocus = ''
  showPane({ view: 'SAME_DAY_MICRODEPOSIT_AUTHORIZED' }, [
    h('div', { className: 'status-icon success', ariaHidden: 'true' }, '✓'),
    paneTitle('Deposit authorized'),
    h(
      'p',
      { className: 'lede' },
      `Plaid will send a small deposit to your ${account.subtype} account ending in ${account.mask} ` +
        `within 1–2 business days. Its description holds a 3-letter code: come back to ` +
        `${current.clientName} to enter it and finish verifying your account.`,
    ),
    h('p', { className: 'hint' }, `Sandbox: the code is ${SANDBOX_DEPOSIT_CODE}.`),
    h('div', { className: 'actions' }, continueButton),
  ])
  current.back = null
  current.finish = finish
}

/**
 * Update mode on a Same-Day Item: the code from the deposit's description.
 * @param {{ notice?: string }} [options]
 */
export function showMicrodepositCode({ notice } = {}) {
  const current = currentSession()
  const pending = /** @type {NonNullable<typeof current.microdeposit>} */ (current.microdeposit)
  showDepositCodePane({
    inputId: 'microdeposit-code-input',
    view: 'VERIFY_MICRODEPOSITS',
    title: 'Enter the code from your deposit',
    lede:
      `Find the small deposit to your ${pending.account.subtype} account ending in ${pending.account.mask}. ` +
      'Its description holds a 3-letter code.',
    notice,
    endpoint: 'microdeposits/verify',
    show: showMicrodepositCode,
    onVerified: () => {},
    onWrongCode: (result) => {
      pending.attempts_remaining = result.attempts_remaining
      pending.account = result.account
      return result.attempts_remaining
    },
    failedLede: 'The code was entered incorrectly too many times. Connect your account again to start over.',
  })
}
