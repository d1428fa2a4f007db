import { plaidError } from '../errors.ts'
import { INSTITUTIONS } from '../fixtures/institutions.ts'
import type { SandboxContext } from './context.ts'
import { requireLinkSession } from './link-sessions.ts'
import {
  checkedManualNumbers,
  createManualEntryItem,
  finishManualEntrySession,
  isSandboxDepositCode,
  type ManualNumbers,
  manualEntryAccount,
  offersManualEntry,
  offersManualFlow,
  submitManualNumbers,
} from './microdeposits.ts'
import type { InstantDepositRecord, LinkTokenRecord } from './state.ts'

/**
 * Instant Micro-deposits (plaid.com/docs/auth/coverage/instant/): the user types the routing and
 * account numbers of an account at a bank reachable by real-time payments (RTP or FedNow), Plaid sends
 * a deposit whose description holds a code at once, and the user enters that code in the same Link
 * session. The Item is created only then, with no institution, `auth_method: INSTANT_MICRODEPOSITS`
 * and its account `manually_verified`. Sandbox values from Plaid's testing guide: Windowpane Bank
 * (`ins_135858`), routing 333333334, account 1111222233330000. The guide's code is not in the part of
 * it we could read; the emulator uses the Same-Day code, `ABC`.
 */

/** Wrong codes allowed, as for Same-Day: the third ends the verification. */
export const INSTANT_MAX_ATTEMPTS = 3

/** Routing numbers that receive real-time payments: those of the institutions flagged for the flow. */
export const INSTANT_ROUTING_NUMBERS: ReadonlySet<string> = new Set(
  INSTITUTIONS.filter((institution) => institution.instantMicrodeposits).flatMap(
    (institution) => institution.routing_numbers,
  ),
)

/** Whether Link offers Instant Micro-deposits: create mode, the flag on, and `auth`/`transfer` only. */
export function offersInstantMicrodeposits(token: LinkTokenRecord): boolean {
  return offersManualFlow(token, 'instantMicrodeposits')
}

/** The `session/start` key the Link UI reads: null when the flow is off for this token. */
export function instantMicrodepositsView(token: LinkTokenRecord): Record<string, unknown> | null {
  if (!offersInstantMicrodeposits(token)) return null
  return {
    asks_name: !token.legalName,
    institution_ids: INSTITUTIONS.filter((institution) => institution.instantMicrodeposits).map(
      (institution) => institution.institution_id,
    ),
  }
}

/**
 * The NUMBERS pane's Continue. An RTP-reachable routing number with Instant Micro-deposits on sends the
 * instant deposit; otherwise Same-Day takes over when it is on (the routing number decides, as in
 * Plaid's testing guide); otherwise the pane says the bank cannot receive an instant deposit.
 */
export function submitNumbers(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  numbers: ManualNumbers,
): Record<string, unknown> {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const isInstant = offersInstantMicrodeposits(token)
  if (isInstant && INSTANT_ROUTING_NUMBERS.has(numbers.routing.trim())) {
    const checked = checkedManualNumbers(token, numbers)
    session.instantDeposit = {
      routing: checked.routing,
      account: checked.account,
      name: checked.name,
      subtype: checked.subtype,
      sentAt: ctx.clock.now(),
      attempts: 0,
      failed: false,
    }
    ctx.store.changed()
    return { flow: 'instant', deposit: instantDepositView(session.instantDeposit) }
  }
  if (offersManualEntry(token)) {
    return { flow: 'same_day', ...submitManualNumbers(ctx, linkToken, linkSessionId, numbers) }
  }
  if (!isInstant) {
    throw plaidError('INVALID_FIELD', 'this link token does not enable a micro-deposit flow')
  }
  checkedManualNumbers(token, numbers)
  return { flow: 'not_eligible' }
}

function instantDepositView(deposit: InstantDepositRecord): Record<string, unknown> {
  return {
    mask: deposit.account.slice(-4),
    subtype: deposit.subtype,
    attempts_remaining: Math.max(0, INSTANT_MAX_ATTEMPTS - deposit.attempts),
  }
}

/**
 * The code of the instant deposit, in the same session. Right → the Item is created with its account
 * `manually_verified` and Link succeeds; wrong → another try; the third wrong code ends the
 * verification: no Item, Link can only be left.
 */
export function verifyInstantDepositCode(
  ctx: SandboxContext,
  linkToken: string,
  linkSessionId: string,
  code: string,
): Record<string, unknown> {
  const { token, session } = requireLinkSession(ctx, linkToken, linkSessionId)
  const deposit = session.instantDeposit
  if (!deposit || deposit.failed) {
    throw plaidError('INVALID_FIELD', 'this Link session has no instant micro-deposit awaiting its code')
  }
  if (!isSandboxDepositCode(code)) {
    deposit.attempts += 1
    if (deposit.attempts >= INSTANT_MAX_ATTEMPTS) deposit.failed = true
    ctx.store.changed()
    return { verified: false, deposit: instantDepositView(deposit) }
  }
  const account = manualEntryAccount(deposit, 'manually_verified')
  account.verification_attempts = deposit.attempts
  const { item, publicToken } = createManualEntryItem(ctx, token, account, 'INSTANT_MICRODEPOSITS')
  session.instantDeposit = null
  return { verified: true, ...finishManualEntrySession(ctx, session, item, publicToken, account) }
}
