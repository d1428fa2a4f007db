import { useEffect, useRef, useState } from 'react'
import { useParams } from 'react-router'
import { ApiError } from '../../api/client.ts'
import { signerApi } from '../../api/signings.ts'
import { Spinner } from '../../components/loading.tsx'
import { SIGNER_FLOW_PATH } from '../../navigation.ts'
import { SignerFrame } from './signer-frame.tsx'

/**
 * Where a signing link lands: trades the link token for a signer session, then loads the signing
 * page as a new document, so the token leaves the address bar and history and the page gets the
 * Plaid Link script and policy of the signer's workspace.
 */
export function SignerLinkPage() {
  const { token = '' } = useParams()
  const [error, setError] = useState<string | null>(null)
  const started = useRef(false)

  useEffect(() => {
    if (started.current) return
    started.current = true
    signerApi.openLink(token).then(
      () => window.location.replace(SIGNER_FLOW_PATH),
      (caught: unknown) => {
        if (!(caught instanceof ApiError)) throw caught
        setError(caught.message)
      },
    )
  }, [token])

  return (
    <SignerFrame>
      <title>Opening your signing link · Safeclose</title>
      {error ? (
        <div className="card" role="alert">
          <h1 className="card__title">This link cannot be used</h1>
          <p>{error}</p>
        </div>
      ) : (
        <Spinner label="Opening your signing package…" />
      )}
    </SignerFrame>
  )
}
