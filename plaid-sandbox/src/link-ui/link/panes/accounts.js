// @ts-check
// SELECT_ACCOUNT and CONNECTED: the account to share, then Success, whose Continue (or ×, Escape)
// hands the public token to the app.
import { callApi } from '../api.js'
import { h, paneTitle, radioGroup, submitButton } from '../dom.js'
import { pane } from '../layout.js'
import { showPane } from '../pane.js'
import { currentSession } from '../session.js'
import { runStep } from '../steps.js'
import { showLinkedPane } from './linked.js'

/** @import { LinkSession } from '../session.js' */
/** @typedef {{ account_id: string, name: string, mask: string | null, type: string, subtype: string }} LinkAccount */

/** @param {LinkAccount[]} accounts */
export function showAccounts(accounts) {
  const current = currentSession()
  // Update mode repairs the existing Item and keeps its accounts, so real Link skips this pane.
  if (current.isUpdateMode) {
    submitAccounts(
      accounts.map((account) => account.account_id),
      () => showAccounts(accounts),
    )
    return
  }
  const group = radioGroup(
    'account',
    'Accounts',
    accounts.map((account) => ({
      value: account.account_id,
      label: account.name,
      detail: `${account.subtype}${account.mask ? ` •••• ${account.mask}` : ''}`,
    })),
  )
  group.legend.className = 'visually-hidden'
  const form = h(
    'form',
    { className: 'pane-form', noValidate: true },
    group.fieldset,
    h('div', { className: 'actions' }, submitButton('Continue')),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    submitAccounts([group.selected()], () => showAccounts(accounts))
  })
  showPane({ view: 'SELECT_ACCOUNT' }, [
    paneTitle('Select account'),
    h('p', { className: 'lede' }, `${current.clientName} will use this account to verify it is yours.`),
    form,
  ])
}

/**
 * @param {string[]} accountIds
 * @param {() => void} retry
 */
export function submitAccounts(accountIds, retry) {
  const current = currentSession()
  const submitted = pane.querySelector('button[type="submit"]')
  if (submitted instanceof HTMLButtonElement) submitted.disabled = true
  void runStep(
    () => callApi('accounts/submit', { link_session_id: current.linkSessionId, account_ids: accountIds }),
    showConnected,
    retry,
  )
}

/** @param {any} linked the accounts/submit answer (or a verified micro-deposit's) */
export function showConnected(linked) {
  showLinkedPane({
    view: 'CONNECTED',
    title: 'Success',
    institution: linked.institution,
    linked,
    body: [h('p', { className: 'lede' }, connectedMessage(currentSession(), linked))],
  })
}

/**
 * @param {LinkSession} current
 * @param {any} linked
 */
function connectedMessage(current, linked) {
  if (linked.verified) {
    const account = linked.accounts[0]
    return `Your ${account.subtype} account ending in ${account.mask} is verified and connected to ${current.clientName}.`
  }
  if (current.isUpdateMode && linked.institution) {
    return `Your ${linked.institution.name} account is reconnected to ${current.clientName}.`
  }
  return `Your account has been successfully linked to ${current.clientName}.`
}
