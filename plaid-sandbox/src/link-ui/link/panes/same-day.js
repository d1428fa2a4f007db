// @ts-check
// Same-Day Micro-deposits: "Deposit authorized" after the numbers, and (in update mode on a Same-Day
// Item) the code from the deposit's description.
import { h } from '../dom.js'
import { currentSession } from '../session.js'
import { SANDBOX_DEPOSIT_CODE, showDepositCodePane } from './deposit-code.js'
import { showLinkedPane } from './linked.js'

/** @param {any} linked the numbers/submit answer: the Item exists, its account is pending. */
export function showDepositAuthorized(linked) {
  const account = linked.accounts[0]
  showLinkedPane({
    view: 'SAME_DAY_MICRODEPOSIT_AUTHORIZED',
    title: 'Deposit authorized',
    institution: null,
    linked,
    body: [
      h(
        'p',
        { className: 'lede' },
        `Plaid will send a small deposit to your ${account.subtype} account ending in ${account.mask} ` +
          `within 1–2 business days. Its description holds a 3-letter code: come back to ` +
          `${currentSession().clientName} to enter it and finish verifying your account.`,
      ),
      h('p', { className: 'hint' }, `Sandbox: the code is ${SANDBOX_DEPOSIT_CODE}.`),
    ],
  })
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
