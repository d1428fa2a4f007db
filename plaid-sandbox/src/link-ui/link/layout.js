// @ts-check
// The fixed parts of link.html: the dialog, its header buttons, the pane the screens render into, and
// the exit confirmation.
import { byId } from './dom.js'

export const modal = byId('modal')
export const pane = byId('pane')
export const exitPane = byId('exit-pane')
export const backButton = byId('back-button')
export const closeButton = byId('close-button')
export const wordmark = byId('wordmark')
export const exitConfirmButton = byId('exit-confirm-button')
export const exitCancelButton = byId('exit-cancel-button')

export const DEFAULT_WORDMARK = 'Bank connection'
