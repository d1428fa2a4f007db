// @ts-check
// What the frame knows from its own URL (`link.html?token=…&origin=…[&receivedRedirectUri=…]`), and the
// one way it speaks to its parent page (link-initialize.js). See ../README.md, "postMessage protocol".

export const CHANNEL = 'plaid-link-emulator'

const params = new URLSearchParams(window.location.search)

export const linkToken = params.get('token') ?? ''
/** The host page's origin: the only target of our messages and the only sender we listen to. */
export const parentOrigin = readParentOrigin(params.get('origin'))
/** Set when the app re-created Link after an OAuth redirect (`Plaid.create({ receivedRedirectUri })`). */
export const receivedRedirectUri = params.get('receivedRedirectUri')
/** The sandbox's Link API, next to link.html (`api/…`), so it works under a CDN route or a mount prefix. */
export const apiBase = new URL('api/', window.location.href)

/**
 * Frame → parent messages (`ready`, `event`, `success`, `exit`, `oauth-redirect`).
 * @param {{ type: string } & Record<string, unknown>} message
 */
export function postToParent(message) {
  if (!parentOrigin) return
  window.parent.postMessage({ channel: CHANNEL, ...message }, parentOrigin)
}

/** @param {string | null} origin */
function readParentOrigin(origin) {
  if (!origin) return null
  try {
    const parsed = new URL(origin)
    return parsed.origin === origin ? origin : null
  } catch {
    return null
  }
}
