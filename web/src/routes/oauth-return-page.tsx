import { useEffect, useRef, useState } from 'react'
import { ApiError } from '../api/client.ts'
import { type OAuthResume, plaidApi } from '../api/plaid.ts'
import { fetchSession } from '../api/session.ts'
import { Spinner } from '../components/loading.tsx'
import { SIGN_IN_PATH } from '../navigation.ts'
import { keepReceivedRedirectUri } from '../oauth-return.ts'
import { SignerFrame } from './signing/signer-frame.tsx'

type Problem = { title: string; message: string; next: { href: string; label: string } | null }

/**
 * Where a bank's OAuth page sends a mobile browser back (the link token's `redirect_uri`). It checks
 * that the session and the Link session in flight are still there, keeps this URL for Link, and
 * loads the page the user linked from (the lab or the signer's bank step), which re-opens Link.
 */
export function OAuthReturnPage() {
  const [problem, setProblem] = useState<Problem | null>(null)
  const started = useRef(false)

  useEffect(() => {
    if (started.current) return
    started.current = true
    void (async () => {
      const session = await fetchSession()
      if (!session) {
        setProblem({
          title: 'Your session has ended',
          message:
            'Your bank sent you back to Safeclose, but you are no longer signed in. Sign in again, or open your signing link again, and connect your bank from there.',
          next: { href: SIGN_IN_PATH, label: 'Sign in' },
        })
        return
      }
      const exchange = await plaidApi.fetchOAuthResume()
      if (!exchange.ok) {
        const home = session.principal === 'signer' ? '/signing/sign' : '/signing/plaid-lab'
        setProblem({
          title: 'This bank sign-in cannot be continued',
          message:
            'It has expired or was already completed. Start connecting your bank account again; it only takes a moment.',
          next: { href: home, label: 'Connect your bank again' },
        })
        return
      }
      keepReceivedRedirectUri(window.location.href)
      // A new document: the page gets its own workspace's Plaid script and policy.
      window.location.replace((exchange.responseBody as OAuthResume).return_to)
    })().catch((error: unknown) => {
      setProblem({
        title: 'Safeclose could not be reached',
        message: error instanceof ApiError ? error.message : 'Check your connection and reload this page.',
        next: null,
      })
    })
  }, [])

  return (
    <SignerFrame>
      <title>Returning from your bank · Safeclose</title>
      {problem ? (
        <div className="card" role="alert">
          <h1 className="card__title">{problem.title}</h1>
          <p>{problem.message}</p>
          {problem.next && (
            <p>
              <a className="button button--primary" href={problem.next.href}>
                {problem.next.label}
              </a>
            </p>
          )}
        </div>
      ) : (
        <div className="card">
          <Spinner label="Returning from your bank…" />
        </div>
      )}
    </SignerFrame>
  )
}
