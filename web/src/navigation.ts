export const HOME_PATH = '/signing'
export const SIGN_IN_PATH = '/signin'
/** The manager's list of signing packages. */
export const MANAGER_SIGNINGS_PATH = '/signing/manager/signings'
/** The signer's own page: where a signing link's session belongs. */
export const SIGNER_FLOW_PATH = '/signing/sign'

/**
 * The server picks the page's Plaid Link script and Content-Security-Policy from the signed-in user's
 * workspace settings when it serves the HTML. A page loaded before sign-in, or before an admin changed
 * the environment, carries the wrong ones, so the lab is always entered with a full document load.
 */
export const PLAID_LAB_PATH = '/signing/plaid-lab'

/** Where to send an unauthenticated visitor so that signing in brings them back to `url`. */
export function signInPathFor(url: URL): string {
  const next = url.pathname + url.search
  return next === HOME_PATH ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(next)}`
}

/**
 * The `?next=` target after signing in, accepted only as a same-origin relative path so the sign-in
 * page cannot be used to bounce a user to another site (`//evil.test`, `/\evil.test`, `https://…`).
 */
export function safeNextPath(next: string | null, origin: string): string {
  if (!next?.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return HOME_PATH
  const target = new URL(next, origin)
  if (target.origin !== origin || target.pathname === SIGN_IN_PATH) return HOME_PATH
  return target.pathname + target.search + target.hash
}
