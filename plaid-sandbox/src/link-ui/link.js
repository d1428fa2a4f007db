// @ts-check
// The Link UI inside `plaid-link-iframe-N` (entry module of link.html). It drives one Link session per
// `open` message from its parent (link-initialize.js), calls the sandbox's Link API next to this file
// (`api/...`), and reports events and the outcome back to the parent. The parent decides when
// callbacks reach the app; this side owns Plaid's semantics (panes, view names, exit statuses,
// metadata). The modules under link/ are listed in README.md, "Link UI modules".
import { h } from './link/dom.js'
import { hideExitPane, requestExit } from './link/exit-confirmation.js'
import { CHANNEL, parentOrigin, postToParent } from './link/frame.js'
import { onKeyDown } from './link/keyboard.js'
import { backButton, closeButton, exitCancelButton, exitConfirmButton, modal, pane } from './link/layout.js'
import { endWithExit } from './link/outcome.js'
import { discardSession, session } from './link/session.js'
import { beginSession } from './link/start.js'

if (parentOrigin) {
  window.addEventListener('message', onParentMessage)
  document.addEventListener('keydown', onKeyDown)
  closeButton.addEventListener('click', requestExit)
  backButton.addEventListener('click', () => session?.back?.())
  exitConfirmButton.addEventListener('click', endWithExit)
  exitCancelButton.addEventListener('click', hideExitPane)
  postToParent({ type: 'ready' })
} else {
  // Opened directly, not by link-initialize.js: there is no one to talk to.
  modal.hidden = false
  pane.append(
    h('h1', { id: 'pane-title' }, 'Plaid Link'),
    h(
      'p',
      { className: 'lede' },
      'This page is the Link frame. Open Link from your app with Plaid.create().',
    ),
  )
}

/**
 * Parent → frame messages: `open`, `confirm-exit`, `close`. Only from the parent window, at the origin
 * it named; messages about another session are ignored.
 * @param {MessageEvent} event
 */
function onParentMessage(event) {
  if (event.source !== window.parent || event.origin !== parentOrigin) return
  const message = event.data
  if (!message || message.channel !== CHANNEL) return
  if (message.type === 'open') {
    if (session) discardSession()
    beginSession(message.session)
    return
  }
  if (!session || message.session !== session.number) return
  if (message.type === 'confirm-exit') requestExit()
  else if (message.type === 'close') discardSession()
}
