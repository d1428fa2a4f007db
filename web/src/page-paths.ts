/**
 * Every page of the web app, as React Router path patterns (`:param` is one segment). The server
 * answers these with 200 and anything else with the same app shell but 404, so a wrong address is a
 * real "not found" for browsers, crawlers and monitors. test/unit/page-paths.test.ts keeps this list
 * and router.tsx in step.
 */
export const PAGE_PATHS = [
  '/',
  '/signin',
  '/signout',
  '/invite/:token',
  '/setup/:token',
  '/forgot-password',
  '/reset-password/:token',
  '/signing/s/:token',
  '/oauth-return',
  '/verify',
  '/signing/sign',
  '/signing',
  '/signing/manager/signings',
  '/signing/manager/signings/:id',
  '/signing/plaid-lab',
  '/admin/settings',
  '/admin/outbox',
  '/admin/audit',
  '/admin/members',
  '/account/security',
  '/admin/webhooks',
] as const

/** Whether `pathname` is one of the app's pages. */
export function isPagePath(pathname: string): boolean {
  const segments = trimmedSegments(pathname)
  return PAGE_PATHS.some((pattern) => {
    const expected = trimmedSegments(pattern)
    return (
      expected.length === segments.length &&
      expected.every((part, index) => part.startsWith(':') || part === segments[index])
    )
  })
}

function trimmedSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '')
}
