import { Form, Link } from 'react-router'
import { ROLE_LABELS, type Role } from '../api/session.ts'
import { PLAID_LAB_PATH } from '../navigation.ts'
import { useSession } from './app-shell.tsx'

type Destination = {
  to: string
  title: string
  description: string
  roles: ReadonlyArray<Role>
  /** The page depends on what the server puts into the HTML, so it must be loaded as a new document. */
  reloadDocument?: boolean
}

const DESTINATIONS: ReadonlyArray<Destination> = [
  {
    to: '/signing/manager/signings',
    title: 'Signing packages',
    description: 'Send documents for signature; signers verify the bank account that receives their funds.',
    roles: ['admin', 'manager'],
  },
  {
    to: PLAID_LAB_PATH,
    title: 'Plaid lab',
    description: 'Link a bank account with Plaid step by step and watch every request, response and event.',
    roles: ['admin', 'manager', 'signer'],
    reloadDocument: true,
  },
  {
    to: '/verify',
    title: 'Verify a signed PDF',
    description: 'Check that a PDF is a package sealed by Safeclose and unchanged since (public page).',
    roles: ['admin', 'manager', 'signer'],
  },
  {
    to: '/admin/settings',
    title: 'Workspace settings',
    description:
      'Choose the Plaid environment, manage API keys, check the encryption key and the sealing certificate.',
    roles: ['admin'],
  },
  {
    to: '/admin/webhooks',
    title: 'Plaid webhooks',
    description: 'See what Plaid reported, rejected deliveries, and re-drive events that failed.',
    roles: ['admin'],
  },
]

export function SigningHubPage() {
  const session = useSession()
  const destinations = DESTINATIONS.filter((destination) => destination.roles.includes(session.role))

  return (
    <>
      <title>Signing hub · Safeclose</title>
      <header className="page-header">
        <h1>Signing hub</h1>
        <p className="page-header__lead">
          Welcome back, {session.user.name.split(' ')[0] || session.user.name}.
        </p>
      </header>

      <section className="card" aria-labelledby="identity-title">
        <h2 id="identity-title" className="card__title">
          Signed in as
        </h2>
        <dl className="details">
          <div>
            <dt>Name</dt>
            <dd>{session.user.name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd>{session.user.email}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{ROLE_LABELS[session.role]}</dd>
          </div>
          <div>
            <dt>Workspace</dt>
            <dd>{session.workspace.name}</dd>
          </div>
        </dl>
        <Form method="post" action="/signout" className="card__footer">
          <button type="submit" className="button button--secondary">
            Sign out
          </button>
        </Form>
      </section>

      <section aria-labelledby="destinations-title">
        <h2 id="destinations-title" className="section-title">
          Where to next
        </h2>
        <ul className="tile-grid">
          {destinations.map((destination) => (
            <li key={destination.to}>
              <Link to={destination.to} reloadDocument={destination.reloadDocument} className="tile">
                <span className="tile__title">{destination.title}</span>
                <span className="tile__description">{destination.description}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
    </>
  )
}
