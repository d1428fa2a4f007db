import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react'
import {
  type PlaidLinkOnEvent,
  type PlaidLinkOnExit,
  type PlaidLinkOnSuccess,
  usePlaidLink,
} from 'react-plaid-link'
import { Spinner } from '../../components/loading.tsx'
import { Notice } from '../../components/notice.tsx'
import { readCspNonce } from '../../csp-nonce.ts'

type LinkLauncherProps = {
  /** The parent mounts one launcher per token (`key`), so a new token always gets a fresh Link handler. */
  token: string | null
  label: string
  /** Open Link as soon as the handler is ready, e.g. after "Reconnect" fetched an update-mode token. */
  openOnReady: boolean
  /** Set when Link continues after a bank's OAuth redirect: the URL the bank sent the browser back to. */
  receivedRedirectUri?: string
  onOpen(): void
  onSuccess: PlaidLinkOnSuccess
  onExit: PlaidLinkOnExit
  onEvent: PlaidLinkOnEvent
}

/**
 * "Retry" after the Link script failed to load. react-plaid-link forgets a failed script only when its
 * last user unmounts, and a remount with a new key would render before the old instance is gone and
 * inherit the cached error. So the handle is unmounted for one commit, then mounted again.
 */
export function LinkLauncher(props: LinkLauncherProps) {
  const [mounted, setMounted] = useState(true)
  useEffect(() => {
    if (!mounted) setMounted(true)
  }, [mounted])
  return mounted ? <PlaidLinkHandle {...props} onRetryLoad={() => setMounted(false)} /> : null
}

function PlaidLinkHandle(props: LinkLauncherProps & { onRetryLoad(): void }) {
  const { token, label, openOnReady, receivedRedirectUri, onRetryLoad } = props
  // react-plaid-link keeps the callbacks a handler was created with, so hand it stable functions that
  // always reach the latest props.
  const latest = useRef(props)
  useLayoutEffect(() => {
    latest.current = props
  })
  const onSuccess = useCallback<PlaidLinkOnSuccess>((...args) => latest.current.onSuccess(...args), [])
  const onExit = useCallback<PlaidLinkOnExit>((...args) => latest.current.onExit(...args), [])
  const onEvent = useCallback<PlaidLinkOnEvent>((...args) => latest.current.onEvent(...args), [])
  const [cspNonce] = useState(readCspNonce)

  const { open, ready, error } = usePlaidLink({
    token,
    onSuccess,
    onExit,
    onEvent,
    cspNonce,
    ...(receivedRedirectUri ? { receivedRedirectUri } : {}),
  })

  const openLink = useCallback(() => {
    open()
    latest.current.onOpen()
  }, [open])

  const autoOpened = useRef(false)
  useEffect(() => {
    if (!openOnReady || !ready || !token || autoOpened.current) return
    autoOpened.current = true
    openLink()
  }, [openOnReady, ready, token, openLink])

  if (error) {
    return (
      <Notice tone="error" title="Bank linking failed to load (network or ad blocker)">
        <p>
          The Plaid Link script could not be loaded. Check the connection or allow Plaid in your ad blocker.
        </p>
        <p>
          <button type="button" className="button button--secondary button--small" onClick={onRetryLoad}>
            Retry
          </button>
        </p>
      </Notice>
    )
  }

  return (
    <div className="link-launcher">
      <button type="button" className="button button--primary" disabled={!ready || !token} onClick={openLink}>
        {label}
      </button>
      {token && !ready && <Spinner label="Preparing Plaid Link…" />}
      {!token && <span className="muted">Request a link token first.</span>}
    </div>
  )
}
