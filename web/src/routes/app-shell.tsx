import { useState } from 'react'
import {
  Form,
  Link,
  type LoaderFunctionArgs,
  NavLink,
  Outlet,
  redirect,
  type ShouldRevalidateFunctionArgs,
  useLocation,
  useRouteLoaderData,
} from 'react-router'
import {
  fetchSession,
  fetchWorkspaces,
  type MemberSession,
  ROLE_LABELS,
  signOut,
  switchWorkspace,
  type WorkspaceChoice,
} from '../api/session.ts'
import { ACCOUNT_SECURITY_PATH, fetchTwoFactorStatus } from '../api/two-factor.ts'
import { useFocusHeadingOnChange } from '../focus.ts'
import {
  HOME_PATH,
  MANAGER_SIGNINGS_PATH,
  PLAID_LAB_PATH,
  SIGN_IN_PATH,
  SIGNER_FLOW_PATH,
  signInPathFor,
} from '../navigation.ts'

export const APP_ROUTE_ID = 'app'

/** What the shell shows on every page: the member's session and the workspaces they may switch to. */
export interface AppShellData {
  session: MemberSession
  workspaces: WorkspaceChoice[]
}

/**
 * Every page under the shell needs a member session; without one the visitor signs in and comes back.
 * A signer session (from a signing link) belongs on the signer's own pages, not in the workspace.
 * The workspace list (the switcher in the user menu) is requested together with the session, not
 * after it; a failure of either reaches the root route's error page.
 */
export async function appLoader({ request }: LoaderFunctionArgs): Promise<AppShellData> {
  const workspaces = fetchWorkspaces(request.signal)
  // Without a member session the list is refused too; then the redirect below is the answer, and
  // this rejection must not surface as an unhandled one.
  workspaces.catch(() => undefined)
  const session = await fetchSession(request.signal)
  if (!session) throw redirect(signInPathFor(new URL(request.url)))
  if (session.principal === 'signer') throw redirect(SIGNER_FLOW_PATH)
  // A workspace that requires two-factor of this role holds the member at the enrolment page.
  const url = new URL(request.url)
  if (url.pathname !== ACCOUNT_SECURITY_PATH && (session.role === 'admin' || session.role === 'manager')) {
    const twoFactor = await fetchTwoFactorStatus(request.signal)
    if (twoFactor.required && !twoFactor.totp_enabled) throw redirect(ACCOUNT_SECURITY_PATH)
  }
  return { session, workspaces: (await workspaces).workspaces }
}

/**
 * Leaving the account security page re-runs the shell's loader, so a member whom the workspace policy
 * holds there is sent back until they have enrolled.
 */
export function appShouldRevalidate({
  currentUrl,
  nextUrl,
  defaultShouldRevalidate,
}: ShouldRevalidateFunctionArgs) {
  return (
    defaultShouldRevalidate ||
    (currentUrl.pathname === ACCOUNT_SECURITY_PATH && nextUrl.pathname !== ACCOUNT_SECURITY_PATH)
  )
}

export async function signOutAction() {
  await signOut()
  return redirect(SIGN_IN_PATH)
}

function useAppShellData(): AppShellData {
  const data = useRouteLoaderData<typeof appLoader>(APP_ROUTE_ID)
  if (!data) throw new Error('The session is only available on pages inside the signed-in app shell')
  return data
}

export function useSession(): MemberSession {
  return useAppShellData().session
}

export function AppShell() {
  const { session, workspaces } = useAppShellData()
  // After moving to another page inside the app, focus its main heading (a screen reader reads it).
  const main = useFocusHeadingOnChange<HTMLElement>(useLocation().pathname)
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header__inner">
          <Link to={HOME_PATH} className="brand">
            <span className="brand__mark" aria-hidden="true" />
            Safeclose
          </Link>
          <nav className="app-nav" aria-label="Main">
            <NavLink to={HOME_PATH} end>
              Signing hub
            </NavLink>
            <NavLink to={PLAID_LAB_PATH} reloadDocument>
              Plaid lab
            </NavLink>
            {(session.role === 'admin' || session.role === 'manager') && (
              <NavLink to={MANAGER_SIGNINGS_PATH}>Packages</NavLink>
            )}
            {session.role === 'admin' && <NavLink to="/admin/webhooks">Webhooks</NavLink>}
            {session.role === 'admin' && <NavLink to="/admin/settings">Settings</NavLink>}
            {session.role === 'admin' && <NavLink to="/admin/members">Members</NavLink>}
            {session.role === 'admin' && <NavLink to="/admin/outbox">Outbox</NavLink>}
            {session.role === 'admin' && <NavLink to="/admin/audit">Audit log</NavLink>}
          </nav>
          <UserMenu session={session} workspaces={workspaces} />
        </div>
      </header>
      <main id="main" className="app-main" tabIndex={-1} ref={main}>
        <Outlet />
      </main>
    </div>
  )
}

function UserMenu({ session, workspaces }: { session: MemberSession; workspaces: WorkspaceChoice[] }) {
  return (
    <div className="user-menu">
      <span className="avatar" aria-hidden="true">
        {initialsOf(session.user.name || session.user.email)}
      </span>
      <span className="user-menu__identity">
        <span className="user-menu__name">{session.user.name}</span>
        <span className="user-menu__role">
          {ROLE_LABELS[session.role]} · {session.workspace.name}
        </span>
      </span>
      <WorkspaceSwitcher current={session.workspace.id} choices={workspaces} />
      <Link to={ACCOUNT_SECURITY_PATH} className="button button--ghost button--small">
        Account security
      </Link>
      <Form method="post" action="/signout">
        <button type="submit" className="button button--ghost button--small">
          Sign out
        </button>
      </Form>
    </div>
  )
}

function initialsOf(name: string): string {
  const words = name.trim().split(/\s+/)
  return words
    .slice(0, 2)
    .map((word) => word.charAt(0).toUpperCase())
    .join('')
}

/**
 * For a member of several workspaces: a session acts in one; choosing another opens a session there
 * and reloads the app as a new document (each workspace has its own Plaid script and policy), so the
 * switch is a request followed by a full load rather than a route action. The list comes from the
 * shell's loader.
 */
function WorkspaceSwitcher({ current, choices }: { current: string; choices: WorkspaceChoice[] }) {
  const [problem, setProblem] = useState<string | null>(null)
  if (choices.length < 2) return null
  return (
    <label className="workspace-switcher">
      <span className="visually-hidden">Workspace</span>
      <select
        value={current}
        aria-label="Workspace"
        onChange={(event) => {
          switchWorkspace(event.target.value).then(
            () => window.location.assign(HOME_PATH),
            (error: unknown) => setProblem(error instanceof Error ? error.message : String(error)),
          )
        }}
      >
        {choices.map((choice) => (
          <option key={choice.id} value={choice.id}>
            {choice.name} ({ROLE_LABELS[choice.role]})
          </option>
        ))}
      </select>
      {problem && <span role="alert">{problem}</span>}
    </label>
  )
}
