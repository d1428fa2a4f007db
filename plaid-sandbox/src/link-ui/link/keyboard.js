// @ts-check
// Keyboard: Escape opens (and closes again) the exit confirmation; Tab stays inside the dialog.
import { hideExitPane, isExitPaneShown, requestExit } from './exit-confirmation.js'
import { modal } from './layout.js'
import { session } from './session.js'

/** @param {KeyboardEvent} event */
export function onKeyDown(event) {
  if (!session) return
  if (event.key === 'Escape') {
    event.preventDefault()
    if (isExitPaneShown()) hideExitPane()
    else requestExit()
  } else if (event.key === 'Tab') {
    keepFocusInModal(event)
  }
}

// The dialog is modal: Tab cycles inside it instead of leaving for the page underneath.
/** @param {KeyboardEvent} event */
function keepFocusInModal(event) {
  const focusable = [...modal.querySelectorAll('button, input, [href], [tabindex="0"]')].filter(
    (element) => element instanceof HTMLElement && !element.hidden && element.offsetParent !== null,
  )
  const first = focusable[0]
  const last = focusable.at(-1)
  if (!(first instanceof HTMLElement) || !(last instanceof HTMLElement)) return
  if (event.shiftKey && (document.activeElement === first || !modal.contains(document.activeElement))) {
    event.preventDefault()
    last.focus()
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault()
    first.focus()
  }
}
