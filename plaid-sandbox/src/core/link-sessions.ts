import { plaidError } from '../errors.ts'
import { findInstitution, type InstitutionFixture, supportsProducts } from '../fixtures/institutions.ts'
import { linkAccountView, newItemAccounts } from './accounts.ts'
import { isoTimestamp } from './clock.ts'
import type { SandboxContext } from './context.ts'
import { checkMfaAnswers, evaluateCredentials } from './credentials.ts'
import { newSessionId } from './ids.ts'
import { instantMicrodepositsView } from './instant-microdeposits.ts'
import { createItem, issuePublicToken, repairItem } from './items.ts'
import { requireLinkToken } from './link-tokens.ts'
import {
  NO_AUTH_OPTIONS,
  offersManualEntry,
  pendingManualAccount,
  SAME_DAY_MAX_ATTEMPTS,
} from './microdeposits.ts'
import type { AccountRecord, ItemRecord, LinkSessionRecord, LinkTokenRecord, MfaRound } from './state.ts'

/**
 * The server half of the emulated Link flow: one session per Link open, driven by the iframe UI
 * through credentials, MFA rounds and account selection to a public token.
 */

/** What the UI shows next: another MFA round or the accounts to pick from. */
export type LinkStep =
  | { next: 'mfa'; mfa: Record<string, unknown> }
  | { next: 'accounts'; accounts: Record<string, unknown>[] }

export function startLinkSession(ctx: SandboxContext, linkToken: string): Record<string, unknown> {
  const token = requireLinkToken(ctx, linkToken)
  const session: LinkSessionRecord = {
    linkSessionId: newSessionId(),
    linkToken,
    startedAt: ctx.clock.now(),
    finishedAt: null,
    institutionId: null,
    pendingMfa: [],
    offeredAccounts: null,
    authMethod: null,
    result: null,
    events: [],
  }
  ctx.store.state.linkSessions[session.linkSessionId] = session
  token.sessionIds.push(session.linkSessionId)
  ctx.store.changed()

  return linkSessionStartView(ctx, token, session)
}

/** The `session/start` answer: what the Link UI needs to show the session's first pane. */
export function linkSessionStartView(
  ctx: SandboxContext,
  token: LinkTokenRecord,
  session: LinkSessionRecord,
): Record<string, unknown> {
  const item = updatedItem(ctx, token)
  const institution = item ? findInstitution(item.institutionId) : undefined
  return {
    link_session_id: session.linkSessionId,
    mode: item ? 'update' : 'create',
    client_name: token.clientName,
    products: token.products,
    country_codes: token.countryCodes,
    language: token.language,
    expiration: isoTimestamp(token.expiresAt),
    has_redirect_uri: token.redirectUri !== null,
    update: item
      ? {
          institution: institution
            ? { institution_id: institution.institution_id, name: institution.name }
            : null,
          item_id: item.itemId,
          // A Same-Day micro-deposit waiting for its code: update mode asks for the code.
          microdeposit: microdepositView(item),
        }
      : null,
    // "Link with account numbers" on the institution search (Same-Day Micro-deposits).
    manual_entry: offersManualEntry(token) ? { asks_name: !token.legalName } : null,
    // Instant Micro-deposits: the numbers pane sends a real-time deposit whose code is entered at once.
    instant_microdeposits: instantMicrodepositsView(token),
    oauth: null,
  }
}

function microdepositView(item: ItemRecord): Record<string, unknown> | null {
  const account = pendingManualAccount(item)
  if (!account) return null
  return {
    account: linkAccountView(account),
    attempts_remaining: Math.max(0, SAME_DAY_MAX_ATTEMPTS - (account.verification_attempts ?? 0)),
  }
}

export function requireLinkSession(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
): { token: LinkTokenRecord; session: LinkSessionRecord } {
  const token = requireLinkToken(ctx, linkToken)
  const session = ctx.store.state.linkSessions[linkSessionId]
  if (!session || session.linkToken !== linkToken) {
    throw plaidError('INVALID_FIELD', 'link_session_id does not belong to this link_token')
  }
  if (session.result) throw plaidError('INVALID_FIELD', 'this Link session has already finished')
  return { token, session }
}

export function submitCredentials(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  credentials: { institutionId: string; username: string; password: string },
): LinkStep {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const item = updatedItem(ctx, token)
  // In update mode the user re-authenticates at the Item's own institution, whatever the UI sent.
  const institution = findInstitution(item?.institutionId ?? credentials.institutionId)
  if (!institution || !supportsProducts(institution, token.products)) throw plaidError('INVALID_INSTITUTION')

  const outcome = evaluateCredentials(institution, credentials.username, credentials.password)
  if (outcome.kind === 'error') throw outcome.error
  // Automated Micro-deposits is off unless the link token enables it (Plaid's default). It decides how a
  // new Item is verified; update mode only signs the user in again to an Item that exists already.
  const isAutomatedOff = !(token.authOptions ?? NO_AUTH_OPTIONS).automatedMicrodeposits
  if (
    item === null &&
    outcome.kind === 'linked' &&
    outcome.authMethod === 'AUTOMATED_MICRODEPOSITS' &&
    isAutomatedOff
  ) {
    throw plaidError('NO_AUTH_ACCOUNTS')
  }
  session.institutionId = institution.institution_id
  session.offeredAccounts = null
  session.authMethod = outcome.kind === 'linked' ? outcome.authMethod : 'INSTANT_AUTH'
  session.pendingMfa = outcome.kind === 'mfa' ? outcome.rounds : []
  ctx.store.changed()
  return nextStep(ctx, token, session)
}

export function submitMfa(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  answers: readonly string[],
): LinkStep {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const round = session.pendingMfa[0]
  if (!round) throw plaidError('INVALID_FIELD', 'this Link session is not waiting for an MFA answer')
  checkMfaAnswers(round, answers)
  session.pendingMfa.shift()
  ctx.store.changed()
  return nextStep(ctx, token, session)
}

export function submitAccounts(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  accountIds: readonly string[],
): Record<string, unknown> {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const offered = session.offeredAccounts
  if (!offered || session.pendingMfa.length > 0 || !session.institutionId) {
    throw plaidError('INVALID_FIELD', 'this Link session has no accounts to choose from yet')
  }
  if (accountIds.length === 0) throw plaidError('INVALID_FIELD', 'account_ids must name at least one account')
  const chosen = accountIds.map((accountId) => {
    const account = offered.find((candidate) => candidate.account_id === accountId)
    if (!account) throw plaidError('INVALID_ACCOUNT_ID')
    return account
  })

  const existing = updatedItem(ctx, token)
  let item: ItemRecord
  let publicToken: string
  if (existing) {
    repairItem(ctx, existing)
    item = existing
    publicToken = issuePublicToken(ctx, existing)
  } else {
    ;({ item, publicToken } = createItem(ctx, {
      clientId: token.clientId,
      institutionId: session.institutionId,
      products: token.products,
      webhook: token.webhook,
      accounts: chosen,
      authMethod: session.authMethod,
    }))
  }
  session.result = {
    publicToken,
    itemId: item.itemId,
    accountIds: chosen.map((account) => account.account_id),
  }
  session.finishedAt = ctx.clock.now()
  ctx.store.changed()

  const institution = findInstitution(item.institutionId) as InstitutionFixture | undefined
  return {
    public_token: publicToken,
    link_session_id: session.linkSessionId,
    institution: institution ? { institution_id: institution.institution_id, name: institution.name } : null,
    accounts: chosen.map(linkAccountView),
    transfer_status: null,
  }
}

export function recordLinkEvent(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  event: { eventName: string; viewName: string | null },
): void {
  requireLinkToken(ctx, linkToken)
  const session = ctx.store.state.linkSessions[linkSessionId]
  if (!session || session.linkToken !== linkToken) {
    throw plaidError('INVALID_FIELD', 'link_session_id does not belong to this link_token')
  }
  session.events.push({ event_name: event.eventName, view_name: event.viewName, timestamp: ctx.clock.now() })
  ctx.store.changed()
}

export function updatedItem(ctx: SandboxContext, token: LinkTokenRecord): ItemRecord | null {
  if (!token.itemId) return null
  const item = ctx.store.state.items[token.itemId]
  if (!item || item.removedAt !== null) throw plaidError('ITEM_NOT_FOUND')
  return item
}

function nextStep(ctx: SandboxContext, token: LinkTokenRecord, session: LinkSessionRecord): LinkStep {
  const round = session.pendingMfa[0]
  if (round) return { next: 'mfa', mfa: mfaView(round) }
  const accounts = offeredAccounts(ctx, token, session)
  return {
    next: 'accounts',
    accounts: accounts.map(accountChoiceView),
  }
}

/** Update mode shows the Item's own accounts; a new Item offers fresh `user_good` accounts. */
function offeredAccounts(
  ctx: SandboxContext,
  token: LinkTokenRecord,
  session: LinkSessionRecord,
): AccountRecord[] {
  const item = updatedItem(ctx, token)
  session.offeredAccounts = item ? item.accounts : newItemAccounts(token.products, session.authMethod)
  ctx.store.changed()
  return session.offeredAccounts
}

/** An offered account as the Link UI (and the bank page) lists it. */
export function accountChoiceView(account: AccountRecord): Record<string, unknown> {
  return {
    account_id: account.account_id,
    name: account.name,
    mask: account.mask,
    type: account.type,
    subtype: account.subtype,
  }
}

/** The round as the UI sees it: without the expected answers. */
function mfaView(round: MfaRound): Record<string, unknown> {
  switch (round.type) {
    case 'device':
      return { type: 'device', prompt: round.prompt }
    case 'questions':
      return { type: 'questions', questions: round.questions }
    case 'selections':
      return { type: 'selections', selections: round.selections }
  }
}
