// @ts-check
// NUMBERS: manual entry of routing and account numbers (Same-Day or Instant Micro-deposits). Typing
// mistakes are caught here and keep the user on the pane with what they typed.
import { callApi } from '../api.js'
import { h, paneTitle, radioGroup, submitButton, textField } from '../dom.js'
import { emit } from '../events.js'
import { showLoading, showPane } from '../pane.js'
import { currentSession } from '../session.js'
import { runStep } from '../steps.js'
import { numbersHint, numbersLede, showNumbersOutcome } from './instant.js'
import { showInstitutionSearch } from './search.js'

/** @typedef {{ routing: string, account: string, name: string, subtype: 'checking' | 'savings' }} EnteredNumbers */

/**
 * The NUMBERS pane: routing and account number, the holder's name (unless the link token had
 * user.legal_name) and the account type. Checked here first, so typing mistakes stay on the pane.
 * @param {Partial<EnteredNumbers> & { notice?: string }} [values]
 */
export function showNumbers(values = {}) {
  const current = currentSession()
  const asksName = (current.manualEntry ?? current.instantMicrodeposits)?.asks_name !== false
  const routing = textField('numbers-routing-input', 'Routing number', 'text')
  const account = textField('numbers-account-input', 'Account number', 'text')
  const name = textField('numbers-name-input', 'Full name', 'text')
  for (const field of [routing, account]) {
    field.input.inputMode = 'numeric'
  }
  name.input.autocomplete = 'name'
  routing.input.value = values.routing ?? ''
  account.input.value = values.account ?? ''
  name.input.value = values.name ?? ''
  routing.input.dataset.autofocus = ''
  const type = radioGroup('numbers-account-type', 'Account type', [
    { value: 'checking', label: 'Checking', detail: '' },
    { value: 'savings', label: 'Savings', detail: '' },
  ])
  if (values.subtype === 'savings') {
    const savings = type.fieldset.querySelector('input[value="savings"]')
    if (savings instanceof HTMLInputElement) savings.checked = true
  }
  const form = h(
    'form',
    { className: 'pane-form', noValidate: true },
    values.notice ? h('p', { className: 'notice', role: 'alert' }, values.notice) : '',
    routing.field,
    account.field,
    asksName ? name.field : '',
    type.fieldset,
    h('p', { className: 'hint' }, numbersHint(current)),
    h('div', { className: 'actions' }, submitButton('Continue')),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    /** @type {EnteredNumbers} */
    const entered = {
      routing: routing.input.value.trim(),
      account: account.input.value.replace(/[\s-]/g, ''),
      name: name.input.value.trim(),
      // One of the two radios is always checked (the first one is preselected).
      subtype: /** @type {EnteredNumbers['subtype']} */ (type.selected()),
    }
    const problem = numbersProblem(entered, asksName)
    if (problem) {
      showNumbers({ ...entered, notice: problem })
      return
    }
    emit('SUBMIT_ROUTING_NUMBER', { routing_number: entered.routing })
    emit('SUBMIT_ACCOUNT_NUMBER', { account_number_mask: entered.account.slice(-4) })
    showLoading('Setting up your deposit')
    void runStep(
      () =>
        callApi('numbers/submit', {
          link_session_id: current.linkSessionId,
          routing_number: entered.routing,
          account_number: entered.account,
          ...(asksName ? { name: entered.name } : {}),
          account_subtype: entered.subtype,
        }),
      (answer) => showNumbersOutcome(answer, entered),
      () => showNumbers(entered),
    )
  })
  // A correction notice re-renders the same pane: no new TRANSITION_VIEW.
  showPane({ view: 'NUMBERS', back: showInstitutionSearch, announce: !values.notice }, [
    paneTitle('Enter your account details'),
    h('p', { className: 'lede' }, numbersLede(current)),
    form,
  ])
}

/**
 * @param {{ routing: string, account: string, name: string }} entered
 * @param {boolean} asksName
 * @returns {string | null}
 */
function numbersProblem(entered, asksName) {
  if (!/^\d{9}$/.test(entered.routing) || !hasRoutingChecksum(entered.routing)) {
    return 'Enter a valid 9-digit routing number.'
  }
  if (!/^\d{4,17}$/.test(entered.account)) return 'Enter a valid account number (4 to 17 digits).'
  if (asksName && entered.name === '') return 'Enter the name on the account.'
  return null
}

/** @param {string} routing nine digits */
function hasRoutingChecksum(routing) {
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1]
  return [...routing].reduce((sum, digit, index) => sum + Number(digit) * (weights[index] ?? 0), 0) % 10 === 0
}
