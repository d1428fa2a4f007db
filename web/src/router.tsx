import { createBrowserRouter, redirect } from 'react-router'
import { FullPageLoading } from './components/loading.tsx'
import { HOME_PATH, PLAID_LAB_PATH } from './navigation.ts'
import { ForgotPasswordPage, forgotPasswordAction } from './routes/account/forgot-password-page.tsx'
import { InvitePage, inviteAction, inviteLoader } from './routes/account/invite-page.tsx'
import { ResetPasswordPage, resetPasswordAction } from './routes/account/reset-password-page.tsx'
import { SetupPage, setupAction, setupLoader } from './routes/account/setup-page.tsx'
import { APP_ROUTE_ID, AppShell, appLoader, appShouldRevalidate, signOutAction } from './routes/app-shell.tsx'
import { NotFoundPage } from './routes/not-found.tsx'
import { OAuthReturnPage } from './routes/oauth-return-page.tsx'
import { RootLayout } from './routes/root-layout.tsx'
import { RouteErrorPage } from './routes/route-error.tsx'
import { SignInPage, signInAction, signInLoader } from './routes/sign-in.tsx'
import { SignerLinkPage } from './routes/signing/signer-link-page.tsx'
import { SigningHubPage } from './routes/signing-hub.tsx'

export const router = createBrowserRouter([
  {
    Component: RootLayout,
    ErrorBoundary: RouteErrorPage,
    HydrateFallback: FullPageLoading,
    children: [
      { index: true, loader: () => redirect(HOME_PATH) },
      { path: 'signin', loader: signInLoader, action: signInAction, Component: SignInPage },
      { path: 'signout', action: signOutAction },
      { path: 'invite/:token', loader: inviteLoader, action: inviteAction, Component: InvitePage },
      { path: 'setup/:token', loader: setupLoader, action: setupAction, Component: SetupPage },
      { path: 'forgot-password', action: forgotPasswordAction, Component: ForgotPasswordPage },
      { path: 'reset-password/:token', action: resetPasswordAction, Component: ResetPasswordPage },
      // Signers arrive from a signing link: their pages stand outside the workspace shell.
      { path: 'signing/s/:token', Component: SignerLinkPage },
      // A bank's OAuth page sends mobile browsers back here, for members and signers alike.
      { path: 'oauth-return', Component: OAuthReturnPage },
      // Public: anyone may check a sealed PDF.
      {
        path: 'verify',
        lazy: async () => {
          const page = await import('./routes/verify-page.tsx')
          return { action: page.verifyAction, Component: page.VerifyPage }
        },
      },
      {
        path: 'signing/sign',
        lazy: async () => {
          const page = await import('./routes/signing/signer-flow-page.tsx')
          return {
            loader: page.signerFlowLoader,
            action: page.signerFlowAction,
            Component: page.SignerFlowPage,
            ErrorBoundary: page.SignerFlowErrorPage,
          }
        },
      },
      {
        id: APP_ROUTE_ID,
        loader: appLoader,
        shouldRevalidate: appShouldRevalidate,
        Component: AppShell,
        children: [
          {
            // A page that fails to load says so inside the shell, navigation still at hand.
            ErrorBoundary: RouteErrorPage,
            children: [
              { path: 'signing', Component: SigningHubPage },
              {
                path: 'signing/manager/signings',
                lazy: async () => {
                  const page = await import('./routes/signing/manager-signings-page.tsx')
                  return {
                    loader: page.managerSigningsLoader,
                    action: page.managerSigningsAction,
                    Component: page.ManagerSigningsPage,
                  }
                },
              },
              {
                path: 'signing/manager/signings/:id',
                lazy: async () => {
                  const page = await import('./routes/signing/manager-package-page.tsx')
                  return {
                    loader: page.managerPackageLoader,
                    action: page.managerPackageAction,
                    Component: page.ManagerPackagePage,
                    ErrorBoundary: page.ManagerPackageErrorPage,
                  }
                },
              },
              {
                path: PLAID_LAB_PATH,
                // The lab carries react-plaid-link and most of the app's code; only its visitors download it.
                lazy: async () => {
                  const page = await import('./routes/plaid-lab/plaid-lab-page.tsx')
                  return { loader: page.plaidLabLoader, Component: page.PlaidLabPage }
                },
              },
              {
                path: 'admin/settings',
                lazy: async () => {
                  const page = await import('./routes/admin-settings.tsx')
                  return {
                    loader: page.adminSettingsLoader,
                    action: page.adminSettingsAction,
                    Component: page.AdminSettingsPage,
                  }
                },
              },
              {
                path: 'admin/outbox',
                lazy: async () => {
                  const page = await import('./routes/admin-outbox.tsx')
                  return { loader: page.adminOutboxLoader, Component: page.AdminOutboxPage }
                },
              },
              {
                path: 'admin/audit',
                lazy: async () => {
                  const page = await import('./routes/admin-audit.tsx')
                  return { loader: page.adminAuditLoader, Component: page.AdminAuditPage }
                },
              },
              {
                path: 'admin/members',
                lazy: async () => {
                  const page = await import('./routes/admin-members.tsx')
                  return {
                    loader: page.adminMembersLoader,
                    action: page.adminMembersAction,
                    Component: page.AdminMembersPage,
                  }
                },
              },
              {
                path: 'account/security',
                // The QR code library is only downloaded by those who set up two-factor sign-in.
                lazy: async () => {
                  const page = await import('./routes/account-security.tsx')
                  return {
                    loader: page.accountSecurityLoader,
                    action: page.accountSecurityAction,
                    Component: page.AccountSecurityPage,
                  }
                },
              },
              {
                path: 'admin/webhooks',
                lazy: async () => {
                  const page = await import('./routes/admin-webhooks.tsx')
                  return {
                    loader: page.adminWebhooksLoader,
                    action: page.adminWebhooksAction,
                    Component: page.AdminWebhooksPage,
                  }
                },
              },
            ],
          },
        ],
      },
      { path: '*', Component: NotFoundPage },
    ],
  },
])
