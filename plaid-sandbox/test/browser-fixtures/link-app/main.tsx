// A minimal app that uses react-plaid-link the way its README shows: one hook, a button gated on
// `ready`, stable callbacks. Every callback is recorded on `window.linkTestPage` for the tests.
// Query parameters: `token` (the link token), `strict=1` (wrap the app in <StrictMode>).
// OAuth redirect page, as react-plaid-link's OAuth example does it: the token is kept in localStorage
// and a page with `?oauth_state_id=` re-creates Link with `receivedRedirectUri: location.href` and
// opens it once ready. `receivedRedirectUri=<uri>` passes a given URI instead (error cases).
import { StrictMode, useCallback, useEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import {
  type PlaidLinkOnEvent,
  type PlaidLinkOnExit,
  type PlaidLinkOnLoad,
  type PlaidLinkOnSuccess,
  usePlaidLink,
} from 'react-plaid-link'

type RecordedCallback =
  | { name: 'onSuccess'; publicToken: string | null; metadata: unknown }
  | { name: 'onExit'; error: unknown; metadata: unknown }
  | { name: 'onEvent'; eventName: string; metadata: unknown }
  | { name: 'onLoad' }

type LinkTestPage = { callbacks: RecordedCallback[]; unmountLink: () => void }

declare global {
  interface Window {
    linkTestPage: LinkTestPage
  }
}

const linkTestPage: LinkTestPage = { callbacks: [], unmountLink: () => {} }
window.linkTestPage = linkTestPage

function ConnectBankButton({ token, receivedRedirectUri }: { token: string; receivedRedirectUri?: string }) {
  const onSuccess = useCallback<PlaidLinkOnSuccess>((publicToken, metadata) => {
    linkTestPage.callbacks.push({ name: 'onSuccess', publicToken, metadata })
  }, [])
  const onExit = useCallback<PlaidLinkOnExit>((error, metadata) => {
    linkTestPage.callbacks.push({ name: 'onExit', error, metadata })
  }, [])
  const onEvent = useCallback<PlaidLinkOnEvent>((eventName, metadata) => {
    linkTestPage.callbacks.push({ name: 'onEvent', eventName, metadata })
  }, [])
  const onLoad = useCallback<PlaidLinkOnLoad>(() => {
    linkTestPage.callbacks.push({ name: 'onLoad' })
  }, [])

  const { open, ready } = usePlaidLink({
    token,
    onSuccess,
    onExit,
    onEvent,
    onLoad,
    ...(receivedRedirectUri === undefined ? {} : { receivedRedirectUri }),
  })
  useEffect(() => {
    if (ready && receivedRedirectUri !== undefined) open()
  }, [ready, open, receivedRedirectUri])

  return (
    <button type="button" onClick={() => open()} disabled={!ready}>
      Connect a bank account
    </button>
  )
}

function App({ token, receivedRedirectUri }: { token: string; receivedRedirectUri?: string }) {
  const [isLinkMounted, setLinkMounted] = useState(true)
  useEffect(() => {
    linkTestPage.unmountLink = () => setLinkMounted(false)
  }, [])
  return (
    <main>
      <h1>Verify your bank account</h1>
      {isLinkMounted ? (
        <ConnectBankButton token={token} receivedRedirectUri={receivedRedirectUri} />
      ) : (
        <p>Bank linking closed.</p>
      )}
    </main>
  )
}

const query = new URLSearchParams(window.location.search)
const LINK_TOKEN_KEY = 'link_token'
const isOAuthRedirect = query.has('oauth_state_id')
const givenToken = query.get('token')
if (givenToken) window.localStorage.setItem(LINK_TOKEN_KEY, givenToken)
const token = givenToken ?? (isOAuthRedirect ? window.localStorage.getItem(LINK_TOKEN_KEY) : null) ?? ''
const receivedRedirectUri =
  query.get('receivedRedirectUri') ?? (isOAuthRedirect ? window.location.href : undefined)
const app = <App token={token} receivedRedirectUri={receivedRedirectUri} />
const rootElement = document.getElementById('root')
if (!rootElement) throw new Error('index.html has no #root')
createRoot(rootElement).render(query.get('strict') === '1' ? <StrictMode>{app}</StrictMode> : app)
