// @ts-check
// CREDENTIAL: username and password for the chosen institution (or the Item's, in update mode).
import { callApi } from '../api.js'
import { h, paneTitle, submitButton, textField } from '../dom.js'
import { emit } from '../events.js'
import { showLoading, showPane } from '../pane.js'
import { currentSession, session } from '../session.js'
import { runStep } from '../steps.js'
import { showNextStep } from './mfa.js'
import { showInstitutionSearch } from './search.js'

export function showCredentials() {
  const current = currentSession()
  const institutionName = current.institution?.name ?? 'your bank'
  const username = textField('aut-input-0-input', 'Username', 'text')
  const password = textField('aut-input-1-input', 'Password', 'password')
  username.input.dataset.autofocus = ''
  const form = h(
    'form',
    { className: 'pane-form', noValidate: true },
    username.field,
    password.field,
    h('p', { className: 'hint' }, 'Sandbox: user_good / pass_good, or a password such as mfa_device.'),
    h('div', { className: 'actions' }, submitButton('Submit')),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    if (!session?.institution) return
    const institutionId = session.institution.institution_id
    emit('SUBMIT_CREDENTIALS')
    showLoading(`Connecting to ${institutionName}`)
    void runStep(
      () =>
        callApi('credentials/submit', {
          link_session_id: current.linkSessionId,
          institution_id: institutionId,
          username: username.input.value,
          password: password.input.value,
        }),
      showNextStep,
      showCredentials,
    )
  })
  showPane({ view: 'CREDENTIAL', back: current.isUpdateMode ? null : showInstitutionSearch }, [
    paneTitle(`Log in to ${institutionName}`),
    h('p', { className: 'lede' }, `Enter your ${institutionName} username and password.`),
    form,
  ])
}
