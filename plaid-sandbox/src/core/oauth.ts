import { plaidError, type StoredPlaidError, toEmbeddedError } from '../errors.ts'
import { findInstitution, type InstitutionFixture, supportsProducts } from '../fixtures/institutions.ts'
import { newItemAccounts } from './accounts.ts'
import type { SandboxContext } from './context.ts'
import { evaluateCredentials } from './credentials.ts'
import { newSessionId } from './ids.ts'
import { accountChoiceView, linkSessionStartView, requireLinkSession } from './link-sessions.ts'
import { requireLinkToken } from './link-tokens.ts'
import type { LinkSessionRecord, LinkTokenRecord, OAuthStateRecord } from './state.ts'

/**
 * OAuth institutions (plaid.com/docs/link/oauth/): Link hands the user to the bank's own consent page
 * (the emulator's fake bank site, `link-ui/oauth-bank/`), in a popup or by redirecting the whole page,
 * and picks the outcome up again by oauth_state_id. The state is consumed once: a second resume
 * (a refreshed redirect page) is OAUTH_STATE_ID_ALREADY_PROCESSED, as in Plaid.
 */

const INVALID_OAUTH_URI_MESSAGE = 'oauth uri does not contain a valid oauth_state_id query parameter'

export type OAuthOutcome =
  | { status: 'pending' }
  | { status: 'denied'; error: StoredPlaidError }
  | { status: 'approved'; accounts: Record<string, unknown>[] }

function institutionView(institution: InstitutionFixture) {
  return { institution_id: institution.institution_id, name: institution.name }
}

/** Link, after the user chose an OAuth institution: opens a hand-off and names it. */
export function startOAuth(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  request: { institutionId: string; mode: 'popup' | 'redirect' },
): Record<string, unknown> {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const institution = findInstitution(request.institutionId)
  if (!institution || !supportsProducts(institution, token.products)) throw plaidError('INVALID_INSTITUTION')
  if (!institution.oauth) throw plaidError('INVALID_FIELD', 'this institution does not use OAuth')
  if (request.mode === 'redirect' && token.redirectUri === null) {
    throw plaidError('INVALID_FIELD', 'a redirect OAuth flow needs a link token created with redirect_uri')
  }
  const record: OAuthStateRecord = {
    oauthStateId: newSessionId(),
    linkToken,
    linkSessionId,
    institutionId: institution.institution_id,
    mode: request.mode,
    createdAt: ctx.clock.now(),
    offeredAccounts: null,
    authMethod: null,
    decision: null,
    consentedAccountIds: [],
    processedAt: null,
  }
  ctx.store.state.oauthStates[record.oauthStateId] = record
  session.institutionId = institution.institution_id
  ctx.store.changed()
  return { oauth_state_id: record.oauthStateId, institution: institutionView(institution) }
}

/** Link, once the popup has closed: what happened at the bank. */
export function completeOAuthPopup(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  oauthStateId: string,
): OAuthOutcome {
  const { session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const record = ctx.store.state.oauthStates[oauthStateId]
  if (!record || record.linkSessionId !== linkSessionId) {
    throw plaidError('INVALID_FIELD', 'oauth_state_id does not belong to this Link session')
  }
  return consumeOutcome(ctx, record, session)
}

/**
 * `session/start` with the `receivedRedirectUri` of a page the bank redirected to: the Link session
 * that left for the bank resumes with the outcome. Checked in Plaid's order of complaints.
 */
export function resumeLinkSession(
  ctx: SandboxContext,
  linkToken: string,
  receivedRedirectUri: string,
): Record<string, unknown> {
  const token = requireLinkToken(ctx, linkToken)
  const received = URL.canParse(receivedRedirectUri) ? new URL(receivedRedirectUri) : null
  const oauthStateId = received?.searchParams.get('oauth_state_id') ?? ''
  if (!received || oauthStateId === '') throw plaidError('INVALID_FIELD', INVALID_OAUTH_URI_MESSAGE)
  if (token.redirectUri === null || redirectBase(received) !== redirectBase(new URL(token.redirectUri))) {
    throw plaidError(
      'INVALID_FIELD',
      'received redirect uri does not match the redirect_uri the link token was created with',
    )
  }
  const record = ctx.store.state.oauthStates[oauthStateId]
  if (!record) throw plaidError('INVALID_FIELD', INVALID_OAUTH_URI_MESSAGE)
  if (record.linkToken !== token.linkToken) throw plaidError('INCORRECT_LINK_TOKEN')
  const session = ctx.store.state.linkSessions[record.linkSessionId]
  if (!session) throw plaidError('INVALID_FIELD', INVALID_OAUTH_URI_MESSAGE)
  const outcome = consumeOutcome(ctx, record, session)
  const institution = findInstitution(record.institutionId) as InstitutionFixture
  return {
    ...linkSessionStartView(ctx, token, session),
    oauth: { ...outcome, institution: institutionView(institution) },
  }
}

/** Scheme, host, port and path: what Plaid compares with the link token's redirect_uri. */
function redirectBase(url: URL): string {
  return `${url.origin}${url.pathname}`
}

function consumeOutcome(
  ctx: SandboxContext,
  record: OAuthStateRecord,
  session: LinkSessionRecord,
): OAuthOutcome {
  if (record.processedAt !== null || session.result) throw plaidError('OAUTH_STATE_ID_ALREADY_PROCESSED')
  if (record.decision === null) return { status: 'pending' }
  record.processedAt = ctx.clock.now()
  ctx.store.changed()
  if (record.decision === 'denied') {
    return { status: 'denied', error: toEmbeddedError(plaidError('OAUTH_ACCESS_DENIED')) }
  }
  const consented = (record.offeredAccounts ?? []).filter((account) =>
    record.consentedAccountIds.includes(account.account_id),
  )
  // From here on the session continues as after credentials: account selection among the consented.
  session.institutionId = record.institutionId
  session.authMethod = record.authMethod
  session.pendingMfa = []
  session.offeredAccounts = consented
  return { status: 'approved', accounts: consented.map(accountChoiceView) }
}

// -----------------------------------------------------------------------------------------------
// The bank's consent page (its only credential is the oauth_state_id)

function requireOAuthState(
  ctx: SandboxContext,
  oauthStateId: string,
): { record: OAuthStateRecord; token: LinkTokenRecord; institution: InstitutionFixture } {
  const record = ctx.store.state.oauthStates[oauthStateId]
  if (!record) throw plaidError('INVALID_FIELD', 'unknown oauth_state_id')
  const token = requireLinkToken(ctx, record.linkToken)
  return { record, token, institution: findInstitution(record.institutionId) as InstitutionFixture }
}

function requireUndecided(record: OAuthStateRecord): void {
  if (record.decision !== null) {
    throw plaidError('INVALID_FIELD', 'this authorization request has already been answered')
  }
}

export function bankPageState(ctx: SandboxContext, oauthStateId: string): Record<string, unknown> {
  const { record, token, institution } = requireOAuthState(ctx, oauthStateId)
  return {
    institution: {
      ...institutionView(institution),
      url: institution.url,
      primary_color: institution.primary_color,
    },
    client_name: token.clientName,
    mode: record.mode,
    decision: record.decision,
    accounts: record.offeredAccounts?.map(accountChoiceView) ?? null,
  }
}

export function bankPageSignIn(
  ctx: SandboxContext,
  oauthStateId: string,
  credentials: { username: string; password: string },
): Record<string, unknown> {
  const { record, token, institution } = requireOAuthState(ctx, oauthStateId)
  requireUndecided(record)
  // The bank checks the sandbox credentials; MFA passwords count as signed in (the bank has no MFA).
  const outcome = evaluateCredentials(institution, credentials.username, credentials.password)
  if (outcome.kind === 'error') throw outcome.error
  record.authMethod = outcome.kind === 'linked' ? outcome.authMethod : 'INSTANT_AUTH'
  record.offeredAccounts = newItemAccounts(token.products, record.authMethod)
  ctx.store.changed()
  return { accounts: record.offeredAccounts.map(accountChoiceView) }
}

/** Approve (with the ticked accounts) or cancel. In redirect mode the answer names where to go next. */
export function bankPageDecide(
  ctx: SandboxContext,
  oauthStateId: string,
  decision: { approve: boolean; accountIds: readonly string[] },
): Record<string, unknown> {
  const { record, token } = requireOAuthState(ctx, oauthStateId)
  requireUndecided(record)
  if (decision.approve) {
    const offered = record.offeredAccounts
    if (!offered) throw plaidError('INVALID_FIELD', 'sign in before approving access')
    if (decision.accountIds.length === 0) {
      throw plaidError('INVALID_FIELD', 'choose at least one account to share')
    }
    for (const accountId of decision.accountIds) {
      if (!offered.some((account) => account.account_id === accountId)) throw plaidError('INVALID_ACCOUNT_ID')
    }
    record.consentedAccountIds = [...new Set(decision.accountIds)]
  }
  record.decision = decision.approve ? 'approved' : 'denied'
  ctx.store.changed()
  const redirectTo =
    record.mode === 'redirect' && token.redirectUri !== null
      ? `${token.redirectUri}?${new URLSearchParams({ oauth_state_id: record.oauthStateId })}`
      : null
  return { redirect_to: redirectTo }
}
