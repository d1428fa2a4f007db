// @ts-check
// The exit confirmation (×, Escape, handler.exit()): "Are you sure you want to exit?" over the pane,
// or, on a success pane, the same as its Continue.
import { emit } from './events.js'
import { backButton, exitConfirmButton, exitPane, modal, pane } from './layout.js'
import { session } from './session.js'

export function requestExit() {
  if (!session) return
  if (session.view === 'CONNECTED' || session.view === 'SAME_DAY_MICRODEPOSIT_AUTHORIZED') {
    session.finish?.()
    return
  }
  // A request is running: the confirmation waits for the next pane (showPane) instead of racing it.
  if (session.isBusy) {
    session.isExitRequested = true
    return
  }
  showExitPane()
}

export function isExitPaneShown() {
  return !exitPane.hidden
}

function showExitPane() {
  if (!session || !exitPane.hidden) return
  session.focusBeforeExitPane = document.activeElement
  session.viewBeforeExit = session.view
  session.view = 'EXIT'
  pane.hidden = true
  exitPane.hidden = false
  backButton.hidden = true
  modal.setAttribute('aria-labelledby', 'exit-pane-title')
  emit('TRANSITION_VIEW')
  exitConfirmButton.focus()
}

export function hideExitPane() {
  if (!session || exitPane.hidden) return
  session.view = session.viewBeforeExit
  exitPane.hidden = true
  pane.hidden = false
  backButton.hidden = session.back === null
  modal.setAttribute('aria-labelledby', 'pane-title')
  emit('TRANSITION_VIEW')
  const previous = session.focusBeforeExitPane
  if (previous instanceof HTMLElement && previous.isConnected) previous.focus()
}
