// @ts-check
// The two ways a session ends from this side: the user leaves (onExit) or finishes (onSuccess). The
// parent delivers the buffered events first, then the callback.
import { emit, exitPlan } from './events.js'
import { postToParent } from './frame.js'
import { discardSession, session } from './session.js'

export function endWithExit() {
  if (!session) return
  const { error, metadata, eventMetadata: exitEventMetadata } = exitPlan()
  emit('EXIT', exitEventMetadata)
  postToParent({ type: 'exit', session: session.number, error, metadata })
  discardSession()
}

/**
 * @param {string} publicToken
 * @param {object} metadata
 */
export function endWithSuccess(publicToken, metadata) {
  if (!session) return
  emit('HANDOFF')
  postToParent({ type: 'success', session: session.number, publicToken, metadata })
  discardSession()
}
