import { apiErrorFrom } from './api/client.ts'
import { type OAuthResume, plaidApi } from './api/plaid.ts'

/**
 * After a bank's OAuth redirect, `/oauth-return` keeps the URL it was reached at (with Plaid's
 * `oauth_state_id`) for the page that re-opens Link: the Plaid lab or the signer's bank step. The
 * link token itself stays on the server; only this URL, which Link must be given back as
 * `receivedRedirectUri`, waits in the tab's session storage, and only until that page takes it.
 */
const RECEIVED_REDIRECT_KEY = 'safeclose.oauth.receivedRedirectUri'

export function keepReceivedRedirectUri(href: string): void {
  sessionStorage.setItem(RECEIVED_REDIRECT_KEY, href)
}

/** The kept return URL, removed as it is read: a reload must not replay a finished OAuth state. */
export function takeReceivedRedirectUri(): string | null {
  const href = sessionStorage.getItem(RECEIVED_REDIRECT_KEY)
  sessionStorage.removeItem(RECEIVED_REDIRECT_KEY)
  return href
}

/** What Link needs to continue after the bank: the same link token, and the URL the bank sent us to. */
export type LinkResumption = OAuthResume & { receivedRedirectUri: string }

/** The Link session to continue on this page, if the browser just came back from a bank's OAuth page. */
export async function takeLinkResumption(): Promise<LinkResumption | null> {
  const receivedRedirectUri = takeReceivedRedirectUri()
  if (!receivedRedirectUri) return null
  const exchange = await plaidApi.fetchOAuthResume()
  if (!exchange.ok) throw apiErrorFrom(exchange)
  return { ...(exchange.responseBody as OAuthResume), receivedRedirectUri }
}
