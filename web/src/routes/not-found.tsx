import { Link } from 'react-router'
import { HOME_PATH } from '../navigation.ts'

export function NotFoundPage() {
  return (
    <div className="full-page-center">
      <title>Page not found · Safeclose</title>
      <div className="message-card">
        <p className="message-card__eyebrow">404</p>
        <h1>This page does not exist</h1>
        <p>The link may be out of date, or the address may have a typo.</p>
        <Link to={HOME_PATH} className="button button--primary">
          Go to the signing hub
        </Link>
      </div>
    </div>
  )
}
