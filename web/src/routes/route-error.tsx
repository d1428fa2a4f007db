import { isRouteErrorResponse, Link, useRouteError } from 'react-router'
import { ApiError } from '../api/client.ts'
import { SIGN_IN_PATH } from '../navigation.ts'
import { NotFoundPage } from './not-found.tsx'

/** Last line of defence for a loader, action or render that failed: say what happened, offer a way on. */
export function RouteErrorPage() {
  const error = useRouteError()
  if (isRouteErrorResponse(error) && error.status === 404) return <NotFoundPage />

  const sessionEnded = error instanceof ApiError && error.status === 401
  const message =
    error instanceof ApiError ? error.message : 'An unexpected problem stopped this page from loading.'
  if (!(error instanceof ApiError)) console.error(error)

  return (
    <div className="full-page-center">
      <title>Something went wrong · Safeclose</title>
      <div className="message-card" role="alert">
        <p className="message-card__eyebrow">{sessionEnded ? 'Signed out' : 'Something went wrong'}</p>
        <h1>{sessionEnded ? 'Your session has ended' : 'We could not load this page'}</h1>
        <p>{message}</p>
        {error instanceof ApiError && error.requestId && (
          <p className="muted">
            Request ID <code>{error.requestId}</code>
          </p>
        )}
        {sessionEnded ? (
          <Link to={SIGN_IN_PATH} className="button button--primary">
            Sign in again
          </Link>
        ) : (
          <button type="button" className="button button--primary" onClick={() => window.location.reload()}>
            Try again
          </button>
        )}
      </div>
    </div>
  )
}
