import { ChangePasswordForm } from './change-password-form.tsx'

/** The signed-in member's own account: password (and, with two-factor sign-in, its enrolment). */
export function AccountSecurityPage() {
  return (
    <>
      <title>Account security · Safeclose</title>
      <header className="page-header">
        <h1>Account security</h1>
      </header>
      <ChangePasswordForm />
    </>
  )
}
