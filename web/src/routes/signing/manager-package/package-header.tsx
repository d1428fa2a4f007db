import { Link } from 'react-router'
import type { SigningPackage } from '../../../api/signings.ts'
import { MANAGER_SIGNINGS_PATH } from '../../../navigation.ts'
import { PackageStatusBadge } from '../badges.tsx'

export function PackageHeader({ signing }: { signing: SigningPackage }) {
  return (
    <header className="page-header">
      <p>
        <Link to={MANAGER_SIGNINGS_PATH}>← Signing packages</Link>
      </p>
      <div className="card__title-row">
        <h1>{signing.title}</h1>
        <PackageStatusBadge status={signing.status} />
      </div>
      {signing.note && <p className="page-header__lead">{signing.note}</p>}
      {signing.cancel_reason && <p className="page-header__lead">Cancelled: {signing.cancel_reason}</p>}
    </header>
  )
}
