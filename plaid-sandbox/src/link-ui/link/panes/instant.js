// @ts-check
// Instant Micro-deposits: numbers typed in, a real-time deposit sent at once, its code entered in the
// same session (plaid.com/docs/auth/coverage/instant/). The NUMBERS pane asks this module for its
// wording and for what its answer leads to.
import { currentSession, session } from '../session.js'
import { showDepositCodePane } from './deposit-code.js'
import { showNumbers } from './numbers.js'
import { showDepositAuthorized } from './same-day.js'

/** @import { LinkSession } from '../session.js' */
/** @import { EnteredNumbers } from './numbers.js' */

/** Sandbox values of Plaid's testing guide for Instant Micro-deposits (Windowpane Bank). */
const INSTANT_SANDBOX_ROUTING = '333333334'
const SANDBOX_ACCOUNT_NUMBER = '1111222233330000'

/** @param {string} institutionId */
export function isInstantMicrodepositInstitution(institutionId) {
  return session?.instantMicrodeposits?.institution_ids.includes(institutionId) === true
}

/**
 * Which deposit the NUMBERS pane will send: instant when the user came from an instant bank, or when
 * instant is the only manual flow; the routing number decides when both flows are on.
 * @param {LinkSession} current
 * @returns {'instant' | 'same_day' | 'either'}
 */
function numbersFlow(current) {
  if (!current.instantMicrodeposits) return 'same_day'
  if (current.institution || !current.manualEntry) return 'instant'
  return 'either'
}

/** @param {LinkSession} current */
export function numbersLede(current) {
  const flow = numbersFlow(current)
  if (flow === 'instant') {
    return 'Plaid will send a small deposit to your account right away. You will confirm its code in a moment.'
  }
  if (flow === 'either') {
    return 'Plaid will send a small deposit to your account: right away if your bank takes instant payments, otherwise within 1–2 business days.'
  }
  return 'Plaid will send a small deposit to your account. You will confirm it in 1–2 business days.'
}

/** @param {LinkSession} current */
export function numbersHint(current) {
  const flow = numbersFlow(current)
  const sandbox =
    flow === 'instant'
      ? `Sandbox: routing number ${INSTANT_SANDBOX_ROUTING}, account number ${SANDBOX_ACCOUNT_NUMBER}.`
      : flow === 'either'
        ? `Sandbox: routing number ${INSTANT_SANDBOX_ROUTING} (instant) or 110000000 (same-day), account number ${SANDBOX_ACCOUNT_NUMBER}.`
        : `Sandbox: routing number 110000000, account number ${SANDBOX_ACCOUNT_NUMBER}.`
  return `${sandbox} By selecting Continue you authorize Plaid to send a small deposit to this account.`
}

/**
 * The numbers/submit answer: an instant deposit to confirm now, a Same-Day Item, or a bank that cannot
 * take instant payments (only Instant Micro-deposits on): then the pane asks for other numbers.
 * @param {any} answer
 * @param {EnteredNumbers} entered
 */
export function showNumbersOutcome(answer, entered) {
  const current = currentSession()
  if (answer.flow === 'instant') {
    current.instantDeposit = answer.deposit
    showInstantDepositCode()
  } else if (answer.flow === 'not_eligible') {
    showNumbers({
      ...entered,
      notice: 'This bank can’t receive an instant deposit. Check the routing number, or use another account.',
    })
  } else {
    showDepositAuthorized(answer)
  }
}

/**
 * The deposit is on its way (in seconds): the code from its description, entered here and now.
 * @param {{ notice?: string }} [options]
 */
function showInstantDepositCode({ notice } = {}) {
  const current = currentSession()
  const deposit = /** @type {NonNullable<typeof current.instantDeposit>} */ (current.instantDeposit)
  showDepositCodePane({
    inputId: 'instant-code-input',
    view: 'INSTANT_MICRODEPOSIT_AUTHORIZED',
    title: 'Deposit sent',
    lede:
      `Plaid sent $0.01 to your ${deposit.subtype} account ending in ${deposit.mask}. It arrives within ` +
      'seconds: open your bank’s app or website, find the deposit and enter the 3-letter code from its description.',
    notice,
    endpoint: 'instant-microdeposits/verify',
    show: showInstantDepositCode,
    onVerified: () => {
      current.instantDeposit = null
    },
    onWrongCode: (result) => {
      current.instantDeposit = result.deposit
      return result.deposit.attempts_remaining
    },
    failedLede: 'The code was entered incorrectly too many times. Start again to get a new deposit.',
  })
}
