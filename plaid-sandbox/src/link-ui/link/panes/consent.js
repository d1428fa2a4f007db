// @ts-check
// CONSENT, the first pane of every session: what Continue leads to depends on the link token (create
// mode: search; update mode: credentials, or the code of a pending Same-Day deposit).
import { button, h, paneTitle } from '../dom.js'
import { showPane } from '../pane.js'
import { currentSession } from '../session.js'
import { showCredentials } from './credentials.js'
import { showMicrodepositCode } from './same-day.js'
import { showInstitutionSearch } from './search.js'

/** @param {{ announce?: boolean }} [options] */
export function showConsent({ announce = true } = {}) {
  const current = currentSession()
  let title = `${current.clientName} uses Plaid to connect your account`
  if (current.microdeposit) title = `Verify your account with ${current.clientName}`
  else if (current.isUpdateMode) title = `Reconnect your ${current.institution?.name ?? 'bank'} account`
  const continueButton = button('Continue', 'primary', () => {
    if (current.microdeposit) showMicrodepositCode()
    else if (current.isUpdateMode) showCredentials()
    else showInstitutionSearch()
  })
  continueButton.dataset.autofocus = ''
  showPane({ view: 'CONSENT', announce }, [
    paneTitle(title),
    h(
      'ul',
      { className: 'benefits' },
      h(
        'li',
        {},
        h('strong', {}, 'Secure'),
        h('span', {}, 'Your credentials are encrypted and never shared with the app.'),
      ),
      h('li', {}, h('strong', {}, 'Private'), h('span', {}, 'The app only sees the account you choose.')),
    ),
    h(
      'p',
      { className: 'fine-print' },
      'By selecting Continue you agree to the Plaid End User Privacy Policy. This is the offline sandbox: use test credentials only.',
    ),
    h('div', { className: 'actions' }, continueButton),
  ])
}
