// @ts-check
// MFA: a device code, security questions or selections, as many rounds as the sandbox asks for.
import { callApi } from '../api.js'
import { h, paneTitle, radioGroup, submitButton, textField } from '../dom.js'
import { emit } from '../events.js'
import { showLoading, showPane } from '../pane.js'
import { session } from '../session.js'
import { handleFailure, runStep } from '../steps.js'
import { showAccounts } from './accounts.js'

/** @typedef {{ type: 'device', prompt: string }} DeviceMfa */
/** @typedef {{ type: 'questions', questions: Array<{ id: string, text: string }> }} QuestionsMfa */
/** @typedef {{ type: 'selections', selections: Array<{ id: string, question: string, answers: string[] }> }} SelectionsMfa */
/** @typedef {DeviceMfa | QuestionsMfa | SelectionsMfa} Mfa */

const MFA_PRESENTATION = {
  device: { mfaType: 'code', exitStatus: 'requires_code' },
  questions: { mfaType: 'questions', exitStatus: 'requires_questions' },
  selections: { mfaType: 'selections', exitStatus: 'requires_selections' },
}

/** @param {any} step a credentials/submit or mfa/submit answer */
export function showNextStep(step) {
  if (step.next === 'mfa') showMfa(step.mfa)
  else showAccounts(step.accounts)
}

/** @param {Mfa} mfa */
function showMfa(mfa) {
  const presentation = MFA_PRESENTATION[mfa.type]
  if (!presentation) {
    handleFailure(new Error(`unsupported MFA type ${mfa.type}`), () => {})
    return
  }
  const { fields, readAnswers, title, lede } = mfaForm(mfa)
  const form = h(
    'form',
    { className: 'pane-form', noValidate: true },
    ...fields,
    h('div', { className: 'actions' }, submitButton('Submit')),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const current = session
    if (!current) return
    const answers = readAnswers()
    emit('SUBMIT_MFA', { mfa_type: presentation.mfaType })
    showLoading('Verifying')
    void runStep(
      () => callApi('mfa/submit', { link_session_id: current.linkSessionId, answers }),
      showNextStep,
      () => showMfa(mfa),
    )
  })
  showPane(
    { view: 'MFA', exitStatus: presentation.exitStatus, eventDetails: { mfa_type: presentation.mfaType } },
    [paneTitle(title), h('p', { className: 'lede' }, lede), form],
  )
}

/**
 * @param {Mfa} mfa
 * @returns {{ fields: Node[], readAnswers: () => string[], title: string, lede: string }}
 */
function mfaForm(mfa) {
  if (mfa.type === 'device') {
    const code = textField('mfa-code-input', 'Verification code', 'text')
    code.input.inputMode = 'numeric'
    code.input.autocomplete = 'one-time-code'
    code.input.dataset.autofocus = ''
    return {
      fields: [code.field, h('p', { className: 'hint' }, 'Sandbox: the code is 1234.')],
      readAnswers: () => [code.input.value.trim()],
      title: 'Enter the verification code',
      lede: mfa.prompt,
    }
  }
  if (mfa.type === 'questions') {
    const answers = mfa.questions.map((question, index) =>
      textField(`mfa-question-${index}-input`, question.text, 'text'),
    )
    if (answers[0]) answers[0].input.dataset.autofocus = ''
    return {
      fields: answers.map((answer) => answer.field),
      readAnswers: () => answers.map((answer) => answer.input.value.trim()),
      title: 'Answer your security questions',
      lede: 'Your bank needs to confirm it is you.',
    }
  }
  const groups = mfa.selections.map((selection, index) =>
    radioGroup(
      `mfa-selection-${index}`,
      selection.question,
      selection.answers.map((answer) => ({ value: answer, label: answer, detail: '' })),
    ),
  )
  return {
    fields: groups.map((group) => group.fieldset),
    readAnswers: () => groups.map((group) => group.selected()),
    title: 'Verify your identity',
    lede: 'Choose the answer your bank has on file.',
  }
}
