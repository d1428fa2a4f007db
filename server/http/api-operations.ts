/**
 * What the OpenAPI document says about each operation beyond the schemas its route declares: a
 * summary, its module (the tag) and who may call it. Kept here rather than on the routes so the
 * modules stay about behaviour; the docs test fails for a route missing from this list and checks
 * every `access` against the route's actual guard.
 */

/**
 * `public`: no session. `session`: any session, including one opened from a signing link.
 * `signer`: a session opened from a signing link. `manager` / `admin`: a password session with that
 * role (admins pass `manager` routes too).
 */
export type Access = 'public' | 'session' | 'signer' | 'manager' | 'admin'

export type ApiOperation = {
  summary: string
  access: Access
  description?: string
}

export const API_TAGS = {
  health: 'Liveness and readiness probes for load balancers and orchestrators.',
  auth: 'E-mail and password sign-in, two-factor sign-in (TOTP), re-authentication, sign-out and the current session.',
  workspace: "The workspace's Plaid settings and security policy (administrators).",
  plaid: "The signed-in user's bank link: Link tokens, token exchange, status, simulations.",
  webhooks: "Plaid's signed webhooks and their administration.",
  signing: "Signing packages (managers), signing links and the signer's flow.",
  email: 'Outgoing e-mail: the outbox that administrators read when no SMTP server is configured.',
  audit: "The workspace's hash-chained audit log (administrators).",
  members: "A workspace's members and invitations (administrators), and accepting an invitation.",
} as const

export type ApiTag = keyof typeof API_TAGS

/** Keyed by `METHOD url` exactly as the route is registered (Fastify's `:param` syntax). */
export const API_OPERATIONS: Record<ApiTag, Record<string, ApiOperation>> = {
  health: {
    'GET /healthz': { summary: 'Liveness: the process answers', access: 'public' },
    'GET /readyz': {
      summary: 'Readiness: the database answers and its migrations are applied (503 otherwise)',
      access: 'public',
    },
  },
  auth: {
    'POST /api/auth/sign-in/email': {
      summary: 'Sign in with e-mail and password; sets the session cookie',
      access: 'public',
      description: 'Rate limited per client IP and e-mail address.',
    },
    'POST /api/auth/sign-out': {
      summary: 'Sign out: ends the session named by the cookie, if any, and clears the cookie',
      access: 'public',
    },
    'GET /api/session': {
      summary: 'Who the session acts for: a member (user, workspace, role) or a signer (signer record)',
      access: 'session',
    },
    'GET /api/session/workspaces': {
      summary: "The workspaces the signed-in member belongs to, and the session's current one",
      access: 'session',
    },
    'POST /api/session/workspace': {
      summary: 'Switch the session to another workspace of the same member (a new session cookie)',
      access: 'session',
    },
    'POST /api/auth/password': {
      summary: 'Change the password (the current one is required); every other session ends',
      access: 'session',
    },
    'POST /api/auth/password-reset/request': {
      summary: 'E-mail a reset link when the address has an account (the answer never says)',
      access: 'public',
      description: 'Rate limited per client IP and e-mail address.',
    },
    'POST /api/auth/password-reset/confirm': {
      summary: 'Set a new password with a reset link; every session of the user ends',
      access: 'public',
    },
    'POST /api/auth/sign-in/2fa': {
      summary: 'Finish a two-factor sign-in with a TOTP code or a recovery code; sets the session cookie',
      access: 'public',
      description:
        'Needs the pending sign-in cookie set by the e-mail sign-in of a user with two-factor (5 minutes, ' +
        '5 attempts, then 410 TWO_FACTOR_SIGN_IN_EXPIRED). Rate limited per client IP.',
    },
    'GET /api/auth/2fa': {
      summary: "The member's two-factor status and whether the workspace requires it of them",
      access: 'session',
      description: 'Password sessions only; a signing-link session gets 403.',
    },
    'POST /api/auth/2fa/totp/setup': {
      summary: 'A new TOTP secret and its otpauth:// URL, stored encrypted as pending until enabled',
      access: 'session',
      description: 'Password sessions only. 409 when TOTP is already enabled.',
    },
    'POST /api/auth/2fa/totp/enable': {
      summary: 'Enable TOTP with a code from the pending secret; answers 10 single-use recovery codes, once',
      access: 'session',
      description: 'Password sessions only.',
    },
    'POST /api/auth/2fa/totp/disable': {
      summary: 'Disable TOTP with a current code or a recovery code',
      access: 'session',
      description:
        'Password sessions only; needs a recent sign-in or re-authentication (403 REAUTH_REQUIRED).',
    },
    'POST /api/auth/reauth': {
      summary:
        'Confirm the password (or a TOTP code) to mark the session freshly authenticated for 5 minutes',
      access: 'session',
      description: 'Password sessions only. Rate limited per client IP.',
    },
  },
  workspace: {
    'GET /api/admin/security-policy': {
      summary: "The workspace's security policy: whether admins and managers must use two-factor",
      access: 'admin',
    },
    'PUT /api/admin/security-policy': {
      summary: 'Require (or stop requiring) two-factor sign-in of admins and managers',
      access: 'admin',
      description:
        'Until enrolled, such members get 403 TWO_FACTOR_REQUIRED on every role-gated route. Requiring it ' +
        'needs two-factor on your own account first (409).',
    },
    'GET /api/admin/plaid-settings': {
      summary: "The workspace's Plaid environment, credentials status and encryption-key status",
      access: 'admin',
    },
    'PUT /api/admin/plaid-settings': {
      summary: 'Change the Plaid environment, credentials or webhook base URL',
      access: 'admin',
      description: 'The secret is write-only: it is stored encrypted and never returned.',
    },
  },
  plaid: {
    'POST /api/plaid/link-token': {
      summary: 'A Plaid Link token to link a bank account, or to repair the link (update mode)',
      access: 'session',
      description: 'Rate limited per user. An empty body asks for a normal link token.',
    },
    'POST /api/plaid/exchange': {
      summary: "Exchange Link's one-time public token for a stored Item",
      access: 'session',
    },
    'GET /api/plaid/status': {
      summary: "The user's linked Item, its accounts and the action it needs, if any",
      access: 'session',
    },
    'GET /api/plaid/oauth-resume': {
      summary:
        "The link token in flight and the page to continue on, for re-opening Link after a bank's OAuth redirect",
      access: 'session',
    },
    'DELETE /api/plaid/item': { summary: "Unlink the user's Item (removed at Plaid too)", access: 'session' },
    'GET /api/plaid/link-events': {
      summary:
        "The session's latest 100 Link callbacks in the active environment, oldest first (the lab's timeline)",
      access: 'session',
    },
    'POST /api/plaid/link-events': {
      summary: "Record Plaid Link's client-side events and exit for support",
      access: 'session',
    },
    'POST /api/plaid/sandbox/reset-login': {
      summary: 'Simulate a bank login that needs repair (emulator and Plaid Sandbox only)',
      access: 'session',
    },
    'POST /api/plaid/sandbox/fire-webhook': {
      summary: 'Have Plaid send one of the Item webhooks (emulator and Plaid Sandbox only)',
      access: 'session',
    },
    'POST /api/plaid/sandbox/set-verification-status': {
      summary:
        'Resolve an Automated Micro-deposit account as verified or expired (emulator and Plaid Sandbox only)',
      access: 'session',
      description: 'Plaid then sends AUTH AUTOMATICALLY_VERIFIED or VERIFICATION_EXPIRED.',
    },
    'POST /api/plaid/accounts/refresh': {
      summary:
        "Ask Plaid for the Item's accounts again, e.g. after a Same-Day deposit code was confirmed in Link",
      access: 'session',
    },
    'GET /api/plaid/auth-numbers': {
      summary: "Each account's Auth numbers, masked to their last four digits (for the lab)",
      access: 'session',
      description: 'error_code is PRODUCT_NOT_READY while a micro-deposit is pending.',
    },
  },
  webhooks: {
    'POST /api/webhooks/plaid': {
      summary: "Receive one of Plaid's webhooks",
      access: 'public',
      description:
        "Plaid's signature is the credential: the `Plaid-Verification` header carries an ES256 JWT " +
        'whose `request_body_sha256` covers the exact body bytes (a JSON object of at most 64 KiB).',
    },
    'GET /api/admin/webhooks': {
      summary: "The workspace's recent webhook deliveries and their counts per state",
      access: 'admin',
    },
    'POST /api/admin/webhooks/reconcile': {
      summary: "Re-check the workspace's live Items with Plaid now",
      access: 'admin',
    },
    'POST /api/admin/webhooks/:id/redrive': {
      summary: 'Queue a dead-lettered webhook event for processing again',
      access: 'admin',
    },
  },
  signing: {
    'GET /api/signings': { summary: "The workspace's signing packages", access: 'manager' },
    'POST /api/signings': { summary: 'Create a draft signing package', access: 'manager' },
    'GET /api/signings/:id': {
      summary: 'A signing package with its documents, signers and their progress',
      access: 'manager',
    },
    'POST /api/signings/:id/documents': {
      summary: 'Add a Markdown or PDF document to a draft package',
      access: 'manager',
    },
    'DELETE /api/signings/:id/documents/:documentId': {
      summary: 'Remove a document from a draft package',
      access: 'manager',
    },
    'POST /api/signings/:id/signers': { summary: 'Add a signer to a draft package', access: 'manager' },
    'DELETE /api/signings/:id/signers/:signerId': {
      summary: 'Remove a signer from a draft package',
      access: 'manager',
    },
    'POST /api/signings/:id/activate': {
      summary: "Activate a package and issue each signer's link",
      access: 'manager',
      description: 'Links are returned only when no SMTP server is configured; otherwise they are e-mailed.',
    },
    'POST /api/signings/:id/signers/:signerId/resend': {
      summary: 'Issue a new link for a signer (the previous one stops working)',
      access: 'manager',
    },
    'POST /api/signings/:id/signers/:signerId/ownership-review': {
      summary:
        "Accept or reject a signer's payout account whose ownership verdict needs review or is a mismatch",
      access: 'manager',
      description:
        'Once per verification, while the package is active and the signer has not signed. Accepting completes the bank step even when the workspace requires a match; rejecting asks the signer to link another account.',
    },
    'POST /api/signings/:id/cancel': {
      summary: 'Cancel a package with a reason; its links stop working',
      access: 'manager',
    },
    'GET /api/signings/:id/audit': {
      summary: "The package's hash-chained audit trail, verified on every read",
      access: 'manager',
    },
    'GET /api/signings/:id/certificate': {
      summary: 'The completion certificate as an HTML page',
      access: 'manager',
    },
    'GET /api/signing-settings': {
      summary: "The workspace's ownership-match policy for signers' bank accounts",
      access: 'manager',
    },
    'PUT /api/signing-settings': { summary: 'Change the ownership-match policy', access: 'admin' },
    'POST /api/signings/:id/signers/:signerId/payout/reveal': {
      summary: "Reveal a signer's payout account and routing numbers (logged in the package's chain)",
      access: 'manager',
      description:
        'Needs a sign-in or re-authentication (POST /api/auth/reauth) within 5 minutes, else 403 REAUTH_REQUIRED. Records bank.numbers_revealed (who, when, IP, user agent; never the numbers). The only response that carries the numbers.',
    },
    'POST /api/signings/:id/payout-alerts/:alertId/resolve': {
      summary: 'Resolve a payout alert with a note, after checking with the signer by phone',
      access: 'manager',
      description:
        "Under the workspace's four-eyes policy this proposes the resolution; a second, different manager confirms it.",
    },
    'POST /api/signings/:id/payout-alerts/:alertId/confirm': {
      summary: "Confirm another manager's proposed resolution of a payout alert (four eyes)",
      access: 'manager',
    },
    'GET /api/payout-settings': {
      summary: "The workspace's payout policy: whether a second manager must confirm alert resolutions",
      access: 'manager',
    },
    'PUT /api/payout-settings': { summary: 'Change the payout policy', access: 'admin' },
    'POST /api/signing-links/open': {
      summary: "Trade a signing link's token for a signer session (sets the session cookie)",
      access: 'public',
    },
    'GET /api/signer/signing': {
      summary: "The signer's package, documents and current step",
      access: 'signer',
    },
    'GET /api/signer/signing/documents/:documentId': {
      summary: "One document of the signer's package: Markdown text, or its PDF's URL",
      access: 'signer',
    },
    'GET /api/signer/signing/documents/:documentId/pdf': {
      summary: "A PDF document of the signer's package as application/pdf, shown inline",
      access: 'signer',
      description:
        'Content-Disposition inline, nosniff, private no-store, and a policy with no scripts that only our own pages may frame. 404 for a Markdown document.',
    },
    'POST /api/signer/signing/documents/:documentId/reviewed': {
      summary: 'The signer confirms having read a document (recorded once, audited as document.viewed)',
      access: 'signer',
      description:
        'Answers the flow: the review step ends once every document is confirmed. Loading a document records nothing.',
    },
    'POST /api/signer/signing/bank/link-started': {
      summary: 'Record that the signer opened Plaid Link',
      access: 'signer',
    },
    'POST /api/signer/signing/bank/account': {
      summary: 'Choose the payout account and check its ownership against the legal name',
      access: 'signer',
    },
    'POST /api/signer/signing/sign': {
      summary:
        'Sign the package: typed legal name, consent, the adopted signature and initials, and field values',
      access: 'signer',
      description:
        'A drawn signature is a PNG (base64, at most 200 KB). Name and date fields are filled by the server. The last signature completes the package and queues its sealing.',
    },
    'GET /api/signer/signing/sealed.pdf': {
      summary: "The sealed PDF of the signer's package, once it is sealed (409 before)",
      access: 'signer',
    },
    'PUT /api/signings/:id/documents/:documentId/fields': {
      summary: "Replace the fields placed on a PDF document's pages (draft packages only)",
      access: 'manager',
      description:
        'Boxes are fractions of the page (0..1, origin top left); pages are 1-based. 400 for a page beyond the document or a box outside the page; 409 outside a draft.',
    },
    'GET /api/signings/:id/documents/:documentId/pdf': {
      summary: 'A PDF document of the package as application/pdf, shown inline (preview)',
      access: 'manager',
    },
    'GET /api/signings/:id/sealed.pdf': {
      summary: 'The sealed PDF: documents with their fields, the certificate, a PDF digital signature',
      access: 'manager',
      description: '409 until the package is complete and its sealing job has run.',
    },
    'GET /api/signings/:id/certificate.pdf': {
      summary: 'The certificate of completion as PDF pages (as sealed, once the package is sealed)',
      access: 'manager',
    },
    'POST /api/verify': {
      summary: 'Check a PDF against the sealed PDFs on record and verify its digital signature',
      access: 'public',
      description:
        'Body: the PDF bytes (Content-Type application/pdf, at most 25 MB). Rate limited per client IP. Valid only when the file is byte-identical to a sealed package and its signature verifies.',
    },
    'GET /api/admin/seal-certificate': {
      summary: 'The certificate that seals completed packages: subject, issuer, validity, fingerprint',
      access: 'admin',
    },
    'PUT /api/admin/seal-certificate': {
      summary: "Upload a PKCS#12 (certificate and private key) as the workspace's sealing certificate",
      access: 'admin',
      description:
        'Body: the .p12 file as base64 and its password. The key is stored encrypted with the keyring. 400 when the file does not open, holds no matching key and certificate, or the certificate is not valid now. SEAL_P12_PATH, when configured, takes precedence.',
    },
    'DELETE /api/admin/seal-certificate': {
      summary: "Remove the workspace's sealing certificate; the next seal uses a new self-signed demo one",
      access: 'admin',
    },
  },
  members: {
    'GET /api/admin/members': {
      summary: 'The members of the workspace and its open invitations',
      access: 'admin',
    },
    'POST /api/admin/members/invitations': {
      summary: 'Invite an e-mail as admin or manager (the link is answered when it was not e-mailed)',
      access: 'admin',
    },
    'DELETE /api/admin/members/invitations/:id': {
      summary: 'Withdraw an open invitation',
      access: 'admin',
    },
    'PATCH /api/admin/members/:userId': {
      summary: "Change a member's role (at once; the last admin cannot be demoted)",
      access: 'admin',
    },
    'DELETE /api/admin/members/:userId': {
      summary: 'Remove a member and end their sessions in the workspace (never the last admin)',
      access: 'admin',
    },
    'POST /api/invitations/preview': {
      summary: 'What an invitation is for, before accepting it',
      access: 'public',
    },
    'POST /api/invitations/accept': {
      summary: 'Accept an invitation with a new account, or with the password of an existing one',
      access: 'public',
    },
    'POST /api/setup/preview': {
      summary: 'Whether a first-run setup link can still be used (only while no workspace exists)',
      access: 'public',
    },
    'POST /api/setup': {
      summary: 'First run: create the first workspace and its administrator with the setup link',
      access: 'public',
    },
  },
  audit: {
    'GET /api/admin/audit': {
      summary: "The workspace's audit chain, verified on every read: the newest 200 events",
      access: 'admin',
    },
  },
  email: {
    'GET /api/admin/outbox': {
      summary: "The workspace's outgoing e-mail, newest first (bodies kept until the SMTP server takes them)",
      access: 'admin',
    },
  },
}

/** The catalogue entry and tag of a route, if it has one. */
export function findApiOperation(method: string, url: string): (ApiOperation & { tag: ApiTag }) | null {
  const key = `${method} ${url}`
  for (const tag of Object.keys(API_OPERATIONS) as ApiTag[]) {
    const operation = API_OPERATIONS[tag][key]
    if (operation) return { ...operation, tag }
  }
  return null
}
