// @ts-check
// The last pane of every path that made an Item (Success, Deposit authorized): its Continue (or ×,
// Escape) hands the public token and the metadata to the app.
import { button, h, paneTitle } from '../dom.js'
import { endWithSuccess } from '../outcome.js'
import { showPane } from '../pane.js'
import { currentSession } from '../session.js'

/**
 * @param {{ view: string, title: string, institution: unknown, linked: any, body: Array<Node | string> }} pane
 *   `linked`: the answer that made the Item (public token, accounts, link session id, transfer status)
 */
export function showLinkedPane({ view, title, institution, linked, body }) {
  const current = currentSession()
  const metadata = {
    institution,
    accounts: linked.accounts,
    link_session_id: linked.link_session_id,
    transfer_status: linked.transfer_status ?? null,
  }
  const finish = () => endWithSuccess(linked.public_token, metadata)
  const continueButton = button('Continue', 'primary', finish)
  continueButton.dataset.autofocus = ''
  showPane({ view }, [
    h('div', { className: 'status-icon success', ariaHidden: 'true' }, '✓'),
    paneTitle(title),
    ...body,
    h('div', { className: 'actions' }, continueButton),
  ])
  current.back = null
  current.finish = finish
}
