import type { FastifyBaseLogger } from 'fastify'
import type { Database, Queryable } from '../../../db/client.ts'
import type { ItemStatus, PayoutAlertReason } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { escapeHtml } from '../../http/html.ts'
import { type JobPayload, type JobQueue, QUEUES } from '../../jobs/queue.ts'
import { type Keyring, rotateStoredValues } from '../../security/keyring.ts'
import { auditEvent, requestActor, signingChain, signingChainKey, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { MemberSession, RequestOrigin, SignerSession } from '../auth/service.ts'
import type { Outbox } from '../email/outbox.ts'
import { type AuthNumbers, PlaidRequestError } from '../plaid/gateway.ts'
import type { BankLinkingService } from '../plaid/service.ts'
import * as payoutRepository from './payout-repository.ts'
import { ownershipPolicyOf } from './policy-service.ts'
import * as repository from './repository.ts'
import { accountVerificationOf, isBankStepComplete } from './rules.ts'

/**
 * Payout-grade verification (ADR 0017): the chosen account's Auth numbers, encrypted at rest and
 * shown only to a manager who re-authenticated; the instruction frozen when the package completes;
 * alerts when anything about a frozen instruction changes afterwards.
 *
 * The numbers exist in clear only inside this file (encrypt, compare, reveal). Everything else,
 * views, logs, e-mails, audit events, carries the mask.
 */
export const PAYOUT_NUMBERS_PURPOSE = 'signer_payout_numbers.numbers'
export const OBSERVED_NUMBERS_PURPOSE = 'payout_instructions.observed_numbers'

type Numbers = { account: string; routing: string; wire_routing: string | null }

export const ALERT_DESCRIPTIONS: Record<PayoutAlertReason, string> = {
  account_changed: 'The signer chose a different payout account.',
  item_relinked: 'The signer linked another bank connection, replacing the verified one.',
  item_removed: 'The verified bank connection was removed.',
  permission_revoked: 'The signer revoked access to the verified bank connection at the bank or at Plaid.',
  account_revoked: 'Access to the verified payout account was revoked.',
  pending_disconnect:
    'The bank connection will be disconnected soon (the institution is changing how it connects).',
  pending_expiration: "The signer's consent for the bank connection expires soon.",
  login_required: 'The bank asks the signer to sign in again; the connection is not working.',
  new_accounts_available: 'The bank reports new accounts the signer could share.',
  numbers_changed: 'The bank reports account or routing numbers that differ from the verified ones.',
}

const STATUS_REASONS: Partial<Record<ItemStatus, PayoutAlertReason>> = {
  revoked: 'permission_revoked',
  pending_disconnect: 'pending_disconnect',
  pending_expiration: 'pending_expiration',
  login_required: 'login_required',
}

/**
 * How the account was verified, named after Plaid's Auth flows, from its verification_status and, when
 * known, the Item's auth_method: `manually_verified` is the end of both Same-Day and Instant
 * Micro-deposits, and only auth_method tells them apart (ADR 0025).
 */
export function verificationMethodOf(verificationStatus: string | null, authMethod?: string | null): string {
  if (authMethod === 'INSTANT_MICRODEPOSITS') return 'instant_micro_deposits'
  switch (verificationStatus) {
    case null:
      return 'instant_auth'
    case 'automatically_verified':
      return 'automated_micro_deposits'
    case 'manually_verified':
      return 'same_day_micro_deposits'
    case 'database_matched':
      return 'database_match'
    default:
      return verificationStatus
  }
}

function isClientError(error: PlaidRequestError): boolean {
  return (
    error.httpStatus !== null && error.httpStatus >= 400 && error.httpStatus < 500 && error.httpStatus !== 429
  )
}

function lastFour(value: string | null): string | null {
  return value ? value.slice(-4) : null
}

export type PayoutService = ReturnType<typeof createPayoutService>

export function createPayoutService(deps: {
  db: Database
  keyring: Keyring
  audit: AuditService
  outbox: Outbox
  bankLinking: BankLinkingService
  /** Notification jobs, queued with the alert they announce. */
  jobs: JobQueue
  publicUrl: string
  logger: FastifyBaseLogger
  now?: () => Date
}) {
  const { db, keyring, audit } = deps
  const now = deps.now ?? (() => new Date())

  function decryptNumbers(row: {
    numbersKeyId: string
    numbersCiphertext: string
    signerId: string
  }): Numbers {
    return JSON.parse(
      keyring.decrypt(
        { keyId: row.numbersKeyId, ciphertext: row.numbersCiphertext },
        { purpose: PAYOUT_NUMBERS_PURPOSE, rowId: row.signerId },
      ),
    ) as Numbers
  }

  function toNumbers(auth: AuthNumbers): Numbers {
    return { account: auth.account, routing: auth.routing, wire_routing: auth.wireRouting }
  }

  function isSame(a: Numbers, b: Numbers): boolean {
    return (
      a.account === b.account &&
      a.routing === b.routing &&
      (a.wire_routing ?? null) === (b.wire_routing ?? null)
    )
  }

  async function requireSigner(session: MemberSession, packageId: string, signerId: string) {
    const pkg = await repository.findPackage(db, session.workspace.id, packageId)
    if (!pkg) throw new AppError('NOT_FOUND', 'No such signing package in this workspace.')
    const signer = (await repository.listSigners(db, pkg.id, now())).find((row) => row.id === signerId)
    if (!signer) throw new AppError('NOT_FOUND', 'No such signer in this package.')
    return { pkg, signer }
  }

  /**
   * The `payout-alert-notify` job: e-mails the workspace's managers about one alert through the
   * outbox. It is queued in the transaction that raises the alert, so a crash right after that
   * commit delays the e-mail instead of losing it. A failure throws: the job is retried.
   */
  async function notifyAlert(alertId: string): Promise<number> {
    const alert = await payoutRepository.findAlert(db, alertId)
    if (!alert) return 0
    const pkg = await repository.findPackage(db, alert.workspaceId, alert.packageId)
    const signer = await repository.findSigner(db, alert.signerId, now())
    const packageTitle = pkg?.title ?? 'Signing package'
    const signerName = signer?.legalName ?? 'a signer'
    const recipients = await payoutRepository.listManagerEmails(db, alert.workspaceId)
    const url = `${deps.publicUrl.replace(/\/+$/, '')}/signing/manager/signings/${alert.packageId}`
    const mask = typeof alert.details.account_mask === 'string' ? alert.details.account_mask : null
    const lead = `A payout alert was raised on "${packageTitle}" for ${signerName}${mask ? ` (account ending ${mask})` : ''}.`
    const advice =
      'Do not send money to a changed account on the strength of an e-mail. Call the signer on a phone number you already had before this closing, confirm the payout account, then resolve the alert on the package page with a note.'
    for (const to of recipients) {
      await deps.outbox.send(
        {
          to,
          subject: `Payout alert: ${packageTitle}`,
          text: [lead, '', ALERT_DESCRIPTIONS[alert.reason], '', advice, url].join('\n'),
          html: `<p>${escapeHtml(lead)}</p>
<p><strong>${escapeHtml(ALERT_DESCRIPTIONS[alert.reason])}</strong></p>
<p>${escapeHtml(advice)}</p>
<p><a href="${escapeHtml(url)}">Open the package</a></p>`,
          kind: 'notification',
          workspaceIds: [alert.workspaceId],
        },
        { signing_id: alert.packageId, signer_id: alert.signerId, payout_alert_id: alert.id },
      )
    }
    return recipients.length
  }

  /**
   * Inserts the alert, its chain event and its notification job in `tx`; null when this change
   * already raised one (its dedupe key is taken), so a retried job raises nothing twice.
   */
  async function raise(
    tx: Queryable,
    instruction: payoutRepository.PayoutInstructionRow,
    reason: PayoutAlertReason,
    dedupeKey: string,
    details: Record<string, unknown>,
  ) {
    const accountMask = (instruction.instruction.account_mask as string | null | undefined) ?? null
    const alert = await payoutRepository.insertAlert(tx, {
      packageId: instruction.packageId,
      workspaceId: instruction.workspaceId,
      signerId: instruction.signerId,
      reason,
      dedupeKey,
      details: { item_id: instruction.plaidItemId, account_mask: accountMask, ...details },
      raisedAt: now(),
    })
    if (!alert) return null
    await audit.record(
      auditEvent('system', 'payout.alert_raised', {
        chain: signingChain({ id: instruction.packageId, workspaceId: instruction.workspaceId }),
        subject: { type: 'signer', id: instruction.signerId },
        details: { alert_id: alert.id, reason, ...alert.details },
      }),
      tx,
    )
    await deps.jobs.enqueue(tx, QUEUES.payoutAlertNotify, { alertId: alert.id })
    return alert
  }

  /** Raises `reason` on every frozen instruction that relies on this Item (one alert per change). */
  async function raiseForItem(
    plaidItemId: string,
    reason: PayoutAlertReason,
    dedupeKey: string,
    details: Record<string, unknown> = {},
    filter: (instruction: payoutRepository.PayoutInstructionRow) => boolean = () => true,
  ) {
    const instructions = (await payoutRepository.listInstructionsByItem(db, plaidItemId)).filter(filter)
    if (instructions.length === 0) return 0
    return db.transaction(async (tx) => {
      let raised = 0
      for (const instruction of instructions) {
        if (await raise(tx, instruction, reason, dedupeKey, details)) raised += 1
      }
      return raised
    })
  }

  return {
    /** Before the choice is stored: Plaid's numbers and holder names for the account (signer session). */
    fetchForChoice(session: SignerSession, accountId: string) {
      return deps.bankLinking.fetchPayoutDetails(session, accountId)
    },

    /**
     * Inside the choice's transaction: stores the numbers encrypted (or forgets older ones when
     * Plaid has none for this account). A signer whose instruction is already frozen raises an alert.
     */
    async saveChoice(
      tx: Queryable,
      input: {
        signerId: string
        plaidItemId: string
        plaidAccountId: string
        accountMask: string | null
        verifiedAt: Date
        details: Awaited<ReturnType<BankLinkingService['fetchPayoutDetails']>>
      },
    ): Promise<{
      numbers_stored: boolean
      verification_method: string | null
      is_tokenized_account_number: boolean | null
    }> {
      const { numbers, holderNames } = input.details
      if (!numbers) {
        await payoutRepository.deleteNumbers(tx, input.signerId)
      } else {
        const encrypted = keyring.encrypt(JSON.stringify(toNumbers(numbers)), {
          purpose: PAYOUT_NUMBERS_PURPOSE,
          rowId: input.signerId,
        })
        await payoutRepository.saveNumbers(tx, {
          signerId: input.signerId,
          plaidItemId: input.plaidItemId,
          plaidAccountId: input.plaidAccountId,
          numbersCiphertext: encrypted.ciphertext,
          numbersKeyId: encrypted.keyId,
          isTokenizedAccountNumber: numbers.isTokenizedAccountNumber,
          accountMask: numbers.mask ?? input.accountMask,
          routingMask: lastFour(numbers.routing),
          holderNames,
          verificationMethod: verificationMethodOf(numbers.verificationStatus, numbers.authMethod),
          fetchedAt: now(),
        })
      }
      const frozen = await payoutRepository.findInstruction(tx, input.signerId)
      if (frozen && frozen.plaidAccountId !== input.plaidAccountId) {
        await raise(
          tx,
          frozen,
          'account_changed',
          `account:${input.plaidAccountId}:${input.verifiedAt.toISOString()}`,
          {
            new_account_mask: input.accountMask,
          },
        )
      }
      return {
        numbers_stored: numbers !== null,
        verification_method: numbers
          ? verificationMethodOf(numbers.verificationStatus, numbers.authMethod)
          : null,
        is_tokenized_account_number: numbers?.isTokenizedAccountNumber ?? null,
      }
    },

    /**
     * Inside the completing signature's transaction: freezes each bank-verified signer's payout
     * instruction and appends `payout.instruction_locked` to the chain (masks only, never a number).
     */
    async lockInstructions(tx: Queryable, pkg: { id: string; workspaceId: string }, at: Date) {
      const signers = await repository.listSigners(tx, pkg.id, at)
      for (const signer of signers) {
        const bank = signer.bank
        if (!signer.isBankRequired || !bank) continue
        const numbers = await payoutRepository.findNumbers(tx, signer.id)
        const usable = numbers && numbers.plaidAccountId === bank.plaidAccountId ? numbers : null
        const instruction = {
          signer_id: signer.id,
          signer_name: signer.legalName,
          holder_names: usable?.holderNames ?? [],
          institution_name: bank.institutionName,
          account_name: bank.accountName,
          account_mask: bank.accountMask,
          routing_mask: usable?.routingMask ?? null,
          numbers_on_file: usable !== null,
          is_tokenized_account_number: usable?.isTokenizedAccountNumber ?? null,
          verification_method: usable?.verificationMethod ?? null,
          item_id: bank.plaidItemId,
          verdict: bank.verdict,
          name_score: bank.nameScore,
          verified_at: bank.verifiedAt.toISOString(),
          review: bank.review
            ? {
                decision: bank.review.decision,
                note: bank.review.note,
                reviewed_at: bank.review.reviewedAt.toISOString(),
                reviewer_user_id: bank.review.reviewer?.id ?? null,
              }
            : null,
        }
        const observed = usable
          ? keyring.encrypt(JSON.stringify(decryptNumbers(usable)), {
              purpose: OBSERVED_NUMBERS_PURPOSE,
              rowId: signer.id,
            })
          : null
        const isNew = await payoutRepository.insertInstruction(tx, {
          signerId: signer.id,
          packageId: pkg.id,
          workspaceId: pkg.workspaceId,
          plaidItemId: bank.plaidItemId,
          plaidAccountId: bank.plaidAccountId,
          instruction,
          observedCiphertext: observed?.ciphertext ?? null,
          observedKeyId: observed?.keyId ?? null,
          lockedAt: at,
        })
        if (!isNew) continue
        await audit.record(
          auditEvent('system', 'payout.instruction_locked', {
            chain: signingChain({ id: pkg.id, workspaceId: pkg.workspaceId }),
            subject: { type: 'signer', id: signer.id },
            details: instruction,
          }),
          tx,
        )
      }
    },

    /**
     * The numbers in clear, for a manager of the package's workspace who re-authenticated (the
     * route's guard). Every reveal is in the chain: who, when, IP, user agent; never the numbers.
     */
    async reveal(session: MemberSession, packageId: string, signerId: string, origin: RequestOrigin) {
      const { pkg, signer } = await requireSigner(session, packageId, signerId)
      const row = await payoutRepository.findNumbers(db, signer.id)
      if (!row) {
        throw new AppError('NOT_FOUND', 'No account numbers are on file for this signer.')
      }
      if (!keyring.status.isConfigured) {
        throw new AppError(
          'ENCRYPTION_KEY_MISSING',
          'The stored numbers cannot be read. Ask your administrator to check the encryption key configuration.',
        )
      }
      const numbers = decryptNumbers(row)
      await audit.record(
        auditEvent(requestActor(session, origin), 'bank.numbers_revealed', {
          chain: signingChain({ id: pkg.id, workspaceId: pkg.workspaceId }),
          subject: { type: 'signer', id: signer.id },
          details: {
            account_mask: row.accountMask,
            institution_name: signer.bank?.institutionName ?? null,
            revealed_at: now().toISOString(),
          },
        }),
      )
      return {
        account: numbers.account,
        routing: numbers.routing,
        wire_routing: numbers.wire_routing,
        mask: row.accountMask,
        institution_name: signer.bank?.institutionName ?? null,
        holder_names: row.holderNames,
        verification_method: row.verificationMethod,
        is_tokenized_account_number: row.isTokenizedAccountNumber,
      }
    },

    /** Resolves an alert with a note, or, under the four-eyes policy, proposes the resolution. */
    async resolve(
      session: MemberSession,
      packageId: string,
      alertId: string,
      note: string,
      origin: RequestOrigin,
    ) {
      const trimmed = note.trim()
      await db.transaction(async (tx) => {
        const pkg = await repository.lockPackage(tx, packageId)
        if (!pkg || pkg.workspaceId !== session.workspace.id) {
          throw new AppError('NOT_FOUND', 'No such signing package in this workspace.')
        }
        const alert = await payoutRepository.lockAlert(tx, packageId, alertId)
        if (!alert) throw new AppError('NOT_FOUND', 'No such payout alert on this package.')
        if (alert.resolvedAt) throw new AppError('CONFLICT', 'This alert is already resolved.')
        if (alert.proposedAt) {
          throw new AppError('CONFLICT', 'A resolution is waiting for a second manager to confirm it.')
        }
        const policy = await payoutRepository.findPayoutPolicy(tx, pkg.workspaceId)
        const actor = requestActor(session, origin)
        const target = { chain: signingChain(pkg), subject: { type: 'signer', id: alert.signerId } }
        if (policy.requireSecondManager) {
          await payoutRepository.proposeResolution(tx, alert.id, {
            by: session.user.id,
            note: trimmed,
            at: now(),
          })
          await audit.record(
            auditEvent(actor, 'payout.alert_resolution_proposed', {
              ...target,
              details: { alert_id: alert.id, reason: alert.reason, note: trimmed },
            }),
            tx,
          )
          return
        }
        await payoutRepository.resolveAlert(tx, alert.id, {
          resolvedBy: session.user.id,
          confirmedBy: null,
          note: trimmed,
          at: now(),
        })
        await audit.record(
          auditEvent(actor, 'payout.alert_resolved', {
            ...target,
            details: {
              alert_id: alert.id,
              reason: alert.reason,
              note: trimmed,
              resolved_by: session.user.id,
              confirmed_by: null,
            },
          }),
          tx,
        )
      })
    },

    /** Four eyes: a second, different manager confirms a proposed resolution. */
    async confirm(session: MemberSession, packageId: string, alertId: string, origin: RequestOrigin) {
      await db.transaction(async (tx) => {
        const pkg = await repository.lockPackage(tx, packageId)
        if (!pkg || pkg.workspaceId !== session.workspace.id) {
          throw new AppError('NOT_FOUND', 'No such signing package in this workspace.')
        }
        const alert = await payoutRepository.lockAlert(tx, packageId, alertId)
        if (!alert) throw new AppError('NOT_FOUND', 'No such payout alert on this package.')
        if (alert.resolvedAt) throw new AppError('CONFLICT', 'This alert is already resolved.')
        if (!alert.proposedAt || alert.proposedNote === null) {
          throw new AppError('CONFLICT', 'No resolution has been proposed for this alert yet.')
        }
        if (alert.proposedBy === session.user.id) {
          throw new AppError(
            'FORBIDDEN',
            'A second, different manager must confirm this resolution (four eyes).',
          )
        }
        await payoutRepository.resolveAlert(tx, alert.id, {
          resolvedBy: alert.proposedBy,
          confirmedBy: session.user.id,
          note: alert.proposedNote,
          at: now(),
        })
        await audit.record(
          auditEvent(requestActor(session, origin), 'payout.alert_resolved', {
            chain: signingChain({ id: pkg.id, workspaceId: pkg.workspaceId }),
            subject: { type: 'signer', id: alert.signerId },
            details: {
              alert_id: alert.id,
              reason: alert.reason,
              note: alert.proposedNote,
              resolved_by: alert.proposedBy,
              confirmed_by: session.user.id,
            },
          }),
          tx,
        )
      })
    },

    async getPolicy(session: MemberSession) {
      const policy = await payoutRepository.findPayoutPolicy(db, session.workspace.id)
      return { require_second_manager: policy.requireSecondManager }
    },

    async updatePolicy(
      session: MemberSession,
      input: { require_second_manager: boolean },
      origin: RequestOrigin,
    ) {
      await db.transaction(async (tx) => {
        await payoutRepository.savePayoutPolicy(
          tx,
          session.workspace.id,
          { requireSecondManager: input.require_second_manager },
          now(),
        )
        await audit.record(
          auditEvent(requestActor(session, origin), 'workspace.payout_policy_updated', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'workspace', id: session.workspace.id },
            details: { require_second_manager: input.require_second_manager },
          }),
          tx,
        )
      })
      return { require_second_manager: input.require_second_manager }
    },

    // ------------------------------------------------------------ what raises alerts

    /**
     * The `plaid-item-status-changed` job: an Item's status changed (webhook or reconciliation).
     * `changeKey` names the change (the webhook event, or the reconciliation's moment), so a retry
     * of the job finds the alert already raised.
     */
    async onItemStatusChanged(change: JobPayload<'plaid-item-status-changed'>) {
      const reason = STATUS_REASONS[change.status]
      if (!reason) return 0
      return raiseForItem(change.plaidItemId, reason, change.changeKey, {
        item_status: change.status,
        webhook_code: change.webhookCode,
      })
    },

    /** The `plaid-accounts-verification-changed` job (a refresh found a confirmed deposit code). */
    onVerificationChanged,

    /**
     * The `plaid-item-event-applied` job: a webhook applied to an Item (revoked account, new
     * accounts, Auth numbers updated, verification changed). Every step is safe to repeat.
     */
    async onItemEventApplied(event: JobPayload<'plaid-item-event-applied'>) {
      // AUTOMATICALLY_VERIFIED / VERIFICATION_EXPIRED: the bank step moves on or back (ADR 0018).
      if (event.webhookType === 'AUTH' && event.verificationChanges.length > 0) {
        await onVerificationChanged({
          plaidItemId: event.plaidItemId,
          changes: event.verificationChanges,
          changeKey: `event:${event.eventId}`,
        })
      }
      let raised = 0
      const key = `event:${event.eventId}`
      if (event.revokedAccountId) {
        raised += await raiseForItem(
          event.plaidItemId,
          'account_revoked',
          key,
          { webhook_code: event.webhookCode },
          (instruction) => instruction.plaidAccountId === event.revokedAccountId,
        )
      }
      if (event.isNewAccountsFlagged) {
        raised += await raiseForItem(event.plaidItemId, 'new_accounts_available', key, {
          webhook_code: event.webhookCode,
        })
      }
      if (event.webhookType === 'AUTH' && event.webhookCode === 'DEFAULT_UPDATE') {
        raised += await checkNumbers(event.plaidItemId, key)
      }
      return raised
    },

    /** The `plaid-item-rechecked` job (a repeated Auth DEFAULT_UPDATE): fetch the numbers again. */
    async onItemRechecked(recheck: JobPayload<'plaid-item-rechecked'>) {
      return checkNumbers(recheck.plaidItemId, recheck.changeKey)
    },

    /** The `plaid-item-retired` job: the signer's Item was removed or replaced by another one. */
    async onItemRetired(change: JobPayload<'plaid-item-retired'>) {
      return raiseForItem(
        change.plaidItemId,
        change.reason === 'removed' ? 'item_removed' : 'item_relinked',
        `retired:${change.reason}`,
      )
    },

    notifyAlert,
  }

  /**
   * A micro-deposit account changed its verification_status (ADR 0018): for each signer of an active
   * package whose chosen payout account it is, record what happened in the package's chain, keep the
   * signer's status in line with the bank step, and, once the account is verified, fetch and store
   * its Auth numbers (Plaid answers PRODUCT_NOT_READY before). It runs as a job: a Plaid outage
   * while fetching the numbers throws, and the job is retried; a Plaid answer that there are none
   * is final. Repeating it changes nothing twice: numbers are fetched only while none are on file
   * for that account, and the chain event of one change (`changeKey`) is appended once.
   */
  async function onVerificationChanged(
    change: JobPayload<'plaid-accounts-verification-changed'>,
  ): Promise<number> {
    let applied = 0
    for (const affected of await repository.findActiveSignersByPlaidItem(db, change.plaidItemId)) {
      const signer = await repository.findSigner(db, affected.signerId, now())
      const bank = signer?.bank
      if (!signer || !bank || bank.plaidItemId !== change.plaidItemId) continue
      const accountChange = change.changes.find((entry) => entry.plaidAccountId === bank.plaidAccountId)
      if (!accountChange) continue
      const verification = accountVerificationOf(accountChange.to)
      const existing = await payoutRepository.findNumbers(db, signer.id)
      const needsNumbers = verification === 'verified' && existing?.plaidAccountId !== bank.plaidAccountId
      const fetched = needsNumbers
        ? await deps.bankLinking
            .fetchAuthNumbersOfItem(change.plaidItemId, bank.plaidAccountId)
            .catch((error: unknown) => {
              // Plaid said no (PRODUCT_NOT_READY and the like): final. Anything else: retry the job.
              if (!(error instanceof PlaidRequestError && error.errorCode && isClientError(error)))
                throw error
              deps.logger.warn({ err: error, item_id: change.plaidItemId }, 'auth numbers unavailable')
              return null
            })
        : null
      const policy = await ownershipPolicyOf(db, affected.workspaceId)
      const isApplied = await db.transaction(async (tx) => {
        await repository.lockBankVerification(tx, signer.id)
        // A retry of a job whose first attempt committed: the change is in the chain already.
        if (
          await audit.hasChangeEvent(signingChainKey(affected.packageId), signer.id, change.changeKey, tx)
        ) {
          return false
        }
        if (fetched) {
          const encrypted = keyring.encrypt(JSON.stringify(toNumbers(fetched)), {
            purpose: PAYOUT_NUMBERS_PURPOSE,
            rowId: signer.id,
          })
          await payoutRepository.saveNumbers(tx, {
            signerId: signer.id,
            plaidItemId: change.plaidItemId,
            plaidAccountId: bank.plaidAccountId,
            numbersCiphertext: encrypted.ciphertext,
            numbersKeyId: encrypted.keyId,
            isTokenizedAccountNumber: fetched.isTokenizedAccountNumber,
            accountMask: fetched.mask ?? bank.accountMask,
            routingMask: lastFour(fetched.routing),
            holderNames: [],
            verificationMethod: verificationMethodOf(accountChange.to, fetched.authMethod),
            fetchedAt: now(),
          })
        }
        if (signer.isBankRequired) {
          await repository.setBankStepStatus(
            tx,
            signer.id,
            isBankStepComplete({
              bank: {
                itemStatus: bank.itemStatus,
                verdict: bank.verdict,
                review: bank.review?.decision ?? null,
                verificationStatus: accountChange.to,
                nameScore: bank.nameScore,
              },
              isMatchRequired: policy.isMatchRequired,
            }),
          )
        }
        await audit.record(
          auditEvent(
            'system',
            verification === 'verified' ? 'bank.account_verified' : 'bank.verification_changed',
            {
              chain: signingChain({ id: affected.packageId, workspaceId: affected.workspaceId }),
              subject: { type: 'signer', id: signer.id },
              details: {
                item_id: change.plaidItemId,
                account_mask: bank.accountMask,
                verification_status_from: accountChange.from,
                verification_status: accountChange.to,
                verification_method: verificationMethodOf(accountChange.to, fetched?.authMethod),
                auth_numbers_stored:
                  fetched !== null || (existing?.plaidAccountId ?? null) === bank.plaidAccountId,
                change_key: change.changeKey,
              },
            },
          ),
          tx,
        )
        return true
      })
      if (isApplied) applied += 1
    }
    return applied
  }

  /**
   * Re-fetches /auth/get for each frozen instruction on the Item and compares with the numbers last
   * seen; a difference raises one alert and becomes the new "last seen", so a redelivery (or a later
   * update with the same numbers) raises nothing. The row lock orders concurrent deliveries.
   */
  async function checkNumbers(plaidItemId: string, dedupeKey: string): Promise<number> {
    const instructions = await payoutRepository.listInstructionsByItem(db, plaidItemId)
    let raisedCount = 0
    for (const instruction of instructions) {
      const fetched = await deps.bankLinking.fetchAuthNumbersOfItem(plaidItemId, instruction.plaidAccountId)
      if (!fetched) continue
      const current = toNumbers(fetched)
      const raised = await db.transaction(async (tx) => {
        const locked = await payoutRepository.lockInstruction(tx, instruction.signerId)
        if (!locked) return null
        const previous =
          locked.observedCiphertext && locked.observedKeyId
            ? (JSON.parse(
                keyring.decrypt(
                  { keyId: locked.observedKeyId, ciphertext: locked.observedCiphertext },
                  { purpose: OBSERVED_NUMBERS_PURPOSE, rowId: locked.signerId },
                ),
              ) as Numbers)
            : null
        if (previous && isSame(previous, current)) return null
        const encrypted = keyring.encrypt(JSON.stringify(current), {
          purpose: OBSERVED_NUMBERS_PURPOSE,
          rowId: locked.signerId,
        })
        await payoutRepository.replaceObserved(tx, locked.signerId, encrypted)
        if (!previous) return null
        return raise(tx, locked, 'numbers_changed', dedupeKey, {
          new_account_mask: fetched.mask,
          account_number_changed: previous.account !== current.account,
          routing_changed: previous.routing !== current.routing,
          wire_routing_changed: (previous.wire_routing ?? null) !== (current.wire_routing ?? null),
        })
      })
      if (raised) raisedCount += 1
    }
    return raisedCount
  }
}

/** Rows a package view adds for payouts: masks, frozen instructions, alerts. Never numbers. */
export async function payoutPackageView(
  db: Queryable,
  pkg: { id: string; workspaceId: string },
  signerIds: string[],
) {
  const [numbers, instructions, alerts, policy] = await Promise.all([
    payoutRepository.listNumbers(db, signerIds),
    payoutRepository.listInstructionsOfPackage(db, pkg.id),
    payoutRepository.listAlerts(db, pkg.id),
    payoutRepository.findPayoutPolicy(db, pkg.workspaceId),
  ])
  return {
    payout_numbers: numbers.map((row) => ({
      signer_id: row.signerId,
      account_mask: row.accountMask,
      routing_mask: row.routingMask,
      is_tokenized_account_number: row.isTokenizedAccountNumber,
      verification_method: row.verificationMethod,
      // The names Plaid's /identity/get gave for the account: what a manager judges a mismatch by.
      holder_names: row.holderNames,
      fetched_at: row.fetchedAt.toISOString(),
    })),
    payout_instructions: instructions.map((row) => ({
      signer_id: row.signerId,
      locked_at: row.lockedAt.toISOString(),
      ...row.instruction,
    })),
    payout_alerts: alerts.map((row) => ({
      id: row.id,
      signer_id: row.signerId,
      reason: row.reason,
      description: ALERT_DESCRIPTIONS[row.reason],
      details: row.details,
      raised_at: row.raisedAt.toISOString(),
      resolved_at: row.resolvedAt?.toISOString() ?? null,
      resolved_by: row.resolvedBy
        ? { user_id: row.resolvedBy, name: row.resolvedByName, email: row.resolvedByEmail }
        : null,
      confirmed_by: row.confirmedBy ? { user_id: row.confirmedBy, name: row.confirmedByName } : null,
      note: row.note,
      proposed:
        row.proposedAt && !row.resolvedAt
          ? {
              by: row.proposedBy ? { user_id: row.proposedBy, name: row.proposedByName } : null,
              note: row.proposedNote,
              at: row.proposedAt.toISOString(),
            }
          : null,
    })),
    payout_policy: { require_second_manager: policy.requireSecondManager },
  }
}

/** `npm run keys:rotate`: stored payout numbers and last-seen numbers under the active key. */
export async function rotateStoredPayoutNumbers(deps: { db: Database; keyring: Keyring }): Promise<number> {
  const numbers = await payoutRepository.listNumbersCiphertexts(deps.db)
  const observed = await payoutRepository.listObservedCiphertexts(deps.db)
  const rotatedNumbers = await rotateStoredValues(
    deps.keyring,
    PAYOUT_NUMBERS_PURPOSE,
    numbers.map((row) => ({ rowId: row.signerId, value: { keyId: row.keyId, ciphertext: row.ciphertext } })),
    (rowId, encrypted) => payoutRepository.replaceNumbersCiphertext(deps.db, rowId, encrypted),
  )
  const rotatedObserved = await rotateStoredValues(
    deps.keyring,
    OBSERVED_NUMBERS_PURPOSE,
    observed.flatMap((row) =>
      row.ciphertext && row.keyId
        ? [{ rowId: row.signerId, value: { keyId: row.keyId, ciphertext: row.ciphertext } }]
        : [],
    ),
    (rowId, encrypted) => payoutRepository.replaceObserved(deps.db, rowId, encrypted),
  )
  return rotatedNumbers + rotatedObserved
}
