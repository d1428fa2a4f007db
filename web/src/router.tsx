import { createBrowserRouter, redirect } from 'react-router'
import { FullPageLoading } from './components/loading.tsx'
import { HOME_PATH, PLAID_LAB_PATH } from './navigation.ts'
import { AdminSettingsPage, adminSettingsAction, adminSettingsLoader } from './routes/admin-settings.tsx'
import { AdminWebhooksPage, adminWebhooksAction, adminWebhooksLoader } from './routes/admin-webhooks.tsx'
import { APP_ROUTE_ID, AppShell, appLoader, signOutAction } from './routes/app-shell.tsx'
import { NotFoundPage } from './routes/not-found.tsx'
import { OAuthReturnPage } from './routes/oauth-return-page.tsx'
import { RootLayout } from './routes/root-layout.tsx'
import { RouteErrorPage } from './routes/route-error.tsx'
import { SignInPage, signInAction, signInLoader } from './routes/sign-in.tsx'
import { ManagerPackagePage } from './routes/signing/manager-package-page.tsx'
import { ManagerSigningsPage } from './routes/signing/manager-signings-page.tsx'
import { SignerLinkPage } from './routes/signing/signer-link-page.tsx'
import { SigningHubPage } from './routes/signing-hub.tsx'
import { VerifyPage } from './routes/verify-page.tsx'

export const router = createBrowserRouter([
  {
    Component: RootLayout,
    ErrorBoundary: RouteErrorPage,
    HydrateFallback: FullPageLoading,
    children: [
      { index: true, loader: () => redirect(HOME_PATH) },
      { path: 'signin', loader: signInLoader, action: signInAction, Component: SignInPage },
      { path: 'signout', action: signOutAction },
      // Signers arrive from a signing link: their pages stand outside the workspace shell.
      { path: 'signing/s/:token', Component: SignerLinkPage },
      // A bank's OAuth page sends mobile browsers back here, for members and signers alike.
      { path: 'oauth-return', Component: OAuthReturnPage },
      // Public: anyone may check a sealed PDF.
      { path: 'verify', Component: VerifyPage },
      {
        path: 'signing/sign',
        lazy: async () => ({
          Component: (await import('./routes/signing/signer-flow-page.tsx')).SignerFlowPage,
        }),
      },
      {
        id: APP_ROUTE_ID,
        loader: appLoader,
        Component: AppShell,
        children: [
          { path: 'signing', Component: SigningHubPage },
          { path: 'signing/manager/signings', Component: ManagerSigningsPage },
          { path: 'signing/manager/signings/:id', Component: ManagerPackagePage },
          {
            path: PLAID_LAB_PATH,
            // The lab carries react-plaid-link and most of the app's code; only its visitors download it.
            lazy: async () => ({
              Component: (await import('./routes/plaid-lab/plaid-lab-page.tsx')).PlaidLabPage,
            }),
          },
          {
            path: 'admin/settings',
            loader: adminSettingsLoader,
            action: adminSettingsAction,
            Component: AdminSettingsPage,
          },
          {
            path: 'admin/webhooks',
            loader: adminWebhooksLoader,
            action: adminWebhooksAction,
            Component: AdminWebhooksPage,
          },
        ],
      },
      { path: '*', Component: NotFoundPage },
    ],
  },
])
