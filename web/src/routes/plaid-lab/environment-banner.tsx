import type { PlaidEnvironment } from '../../api/plaid-settings.ts'

const BANNERS: Record<PlaidEnvironment, { title: string; text: string }> = {
  emulator: {
    title: 'Emulator',
    text: 'The offline Plaid sandbox built into Safeclose. No real bank or Plaid server is contacted.',
  },
  sandbox: {
    title: 'Plaid Sandbox',
    text: "Plaid's test environment: test institutions and test credentials, no real money or accounts.",
  },
  production: {
    title: 'Production',
    text: 'Live Plaid: real banks and real accounts. Everything you link here is real.',
  },
}

/** Plaid's sandbox test credentials: the password picks the scenario (a unit test runs each). */
export const TEST_CREDENTIALS = [
  { scenario: 'Successful link', username: 'user_good', password: 'pass_good', note: null },
  {
    scenario: 'Multi-factor (device code)',
    username: 'user_good',
    password: 'mfa_device',
    note: 'Code 1234',
  },
  {
    scenario: 'Wrong credentials error',
    username: 'user_good',
    password: 'error_INVALID_CREDENTIALS',
    note: null,
  },
] as const

/**
 * Plaid's micro-deposit paths for accounts without an instant login (ADRs 0018 and 0025); Safeclose's
 * link tokens enable all three. A unit test checks each row against the emulator.
 */
export const MICRO_DEPOSIT_PATHS = [
  {
    scenario: 'Same-Day micro-deposits',
    where: 'Search pane → "Link with account numbers"',
    enter: 'Routing 110000000, account 1111222233330000, any name',
    next: 'Pending; "Confirm deposits" opens Link in update mode: code ABC',
  },
  {
    scenario: 'Automated micro-deposits',
    where: 'Houndstooth Bank (ins_109512)',
    enter: 'user_good / microdeposits_good',
    next: 'Pending; "Mark verified" or "Mark expired" (Plaid sends the AUTH webhook)',
  },
  {
    scenario: 'Instant micro-deposits',
    where: 'Windowpane Bank (ins_135858), or "Link with account numbers"',
    enter: 'Routing 333333334, account 1111222233330000, any name',
    next: 'Deposit sent at once: code ABC in the same Link session; verified right away',
  },
] as const

/**
 * Banks that sign in with OAuth: Link hands the user to the bank's own page (a popup on a desktop, the
 * whole page on a phone, which comes back through /oauth-return) and back.
 */
const OAUTH_BANKS = [
  { name: 'Platypus OAuth Bank', institutionId: 'ins_127287' },
  { name: 'Chase', institutionId: 'ins_3' },
  { name: 'Wells Fargo', institutionId: 'ins_4' },
] as const

export function EnvironmentBanner({ environment }: { environment: PlaidEnvironment | null }) {
  if (!environment) return null
  const banner = BANNERS[environment]
  return (
    <section className={`env-banner env-banner--${environment}`} aria-label="Plaid environment">
      <p className="env-banner__heading">
        <span className="env-banner__label">Environment</span>
        <strong>{banner.title}</strong>
      </p>
      <p>{banner.text}</p>
      {environment !== 'production' && (
        <div className="table-scroll">
          <table className="data-table data-table--compact">
            <caption>Test credentials to use in Link</caption>
            <thead>
              <tr>
                <th scope="col">Scenario</th>
                <th scope="col">Username</th>
                <th scope="col">Password</th>
                <th scope="col">Then</th>
              </tr>
            </thead>
            <tbody>
              {TEST_CREDENTIALS.map((credential) => (
                <tr key={credential.scenario}>
                  <th scope="row">{credential.scenario}</th>
                  <td>
                    <code>{credential.username}</code>
                  </td>
                  <td>
                    <code>{credential.password}</code>
                  </td>
                  <td>{credential.note ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {environment !== 'production' && (
        <div className="table-scroll">
          <table className="data-table data-table--compact">
            <caption>Micro-deposits (banks without an instant login)</caption>
            <thead>
              <tr>
                <th scope="col">Scenario</th>
                <th scope="col">Where in Link</th>
                <th scope="col">Enter</th>
                <th scope="col">Then</th>
              </tr>
            </thead>
            <tbody>
              {MICRO_DEPOSIT_PATHS.map((path) => (
                <tr key={path.scenario}>
                  <th scope="row">{path.scenario}</th>
                  <td>{path.where}</td>
                  <td>{path.enter}</td>
                  <td>{path.next}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {environment !== 'production' && (
        <div className="table-scroll">
          <table className="data-table data-table--compact">
            <caption>OAuth banks (sign in on the bank's own page with user_good / pass_good)</caption>
            <thead>
              <tr>
                <th scope="col">Institution</th>
                <th scope="col">ID</th>
              </tr>
            </thead>
            <tbody>
              {OAUTH_BANKS.map((bank) => (
                <tr key={bank.institutionId}>
                  <th scope="row">{bank.name}</th>
                  <td>
                    <code>{bank.institutionId}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
