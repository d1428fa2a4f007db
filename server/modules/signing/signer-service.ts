import type { Queryable } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import { QUEUES } from '../../jobs/queue.ts'
import { auditEvent, requestActor, signerActor, signingChain } from '../audit/events.ts'
import type { RequestOrigin, SignerSession } from '../auth/service.ts'
import type { BankLinkingService } from '../plaid/service.ts'
import { hashLinkToken } from './links.ts'
import type { SigningDeps } from './manager-service.ts'
import type { PayoutService } from './payout-service.ts'
import { ownershipPolicyOf } from './policy-service.ts'
import * as repository from './repository.ts'
import {
  accountVerificationOf,
  currentStep,
  isBankStepComplete,
  isMicroDepositStatus,
  isSameName,
  ownershipVerdict,
} from './rules.ts'
import { adoptSignature, fillFieldValues, type SignInput } from './sign-input.ts'
import { type SignerFlowView, signerFlowView } from './views.ts'

export type SignerFlowService = ReturnType<typeof createSignerFlowService>

/**
 * The signer's side: open a signing link, review the documents, prove the payout account, sign.
 * Every call acts on the signer record of the signer session; there is no signer id to tamper with.
 */
export function createSignerFlowService(
  deps: SigningDeps & {
    bankLinking: BankLinkingService
    /** Payout numbers and frozen instructions (ADR 0017); absent, the flow works as before. */
    payout?: PayoutService
  },
) {
  const { db, audit } = deps
  const now = deps.now ?? (() => new Date())

  async function load(session: SignerSession, queryable: Queryable = db) {
    const signer = await repository.findSigner(queryable, session.signer.id, now())
    const pkg = signer && (await repository.findPackage(queryable, session.workspace.id, signer.packageId))
    if (!signer || !pkg) throw new AppError('NOT_FOUND', 'This signing package no longer exists.')
    const [documents, viewed, policy, fields, seal] = await Promise.all([
      repository.listDocuments(queryable, pkg.id),
      repository.listViewedDocumentIds(queryable, signer.id),
      ownershipPolicyOf(queryable, pkg.workspaceId),
      repository.listPackageFields(queryable, pkg.id),
      repository.findSeal(queryable, pkg.id),
    ])
    const step = currentStep({
      packageStatus: pkg.status,
      signerStatus: signer.status,
      documentCount: documents.length,
      viewedDocumentCount: documents.filter((document) => viewed.has(document.id)).length,
      isBankRequired: signer.isBankRequired,
      bank: signer.bank
        ? {
            itemStatus: signer.bank.itemStatus,
            verdict: signer.bank.verdict,
            review: signer.bank.review?.decision ?? null,
            verificationStatus: signer.bank.accountVerificationStatus,
            nameScore: signer.bank.nameScore,
          }
        : null,
      isMatchRequired: policy.isMatchRequired,
    })
    return { signer, pkg, documents, viewed, policy, step, fields, seal }
  }

  async function flow(session: SignerSession): Promise<SignerFlowView> {
    const loaded = await load(session)
    return signerFlowView({
      ...loaded,
      workspaceName: await repository.findWorkspaceName(db, loaded.pkg.workspaceId),
    })
  }

  function requireStep(loaded: Awaited<ReturnType<typeof load>>, ...steps: string[]) {
    if (!steps.includes(loaded.step)) {
      throw new AppError('STEP_NOT_READY', stepMessage(loaded.step), { details: { step: loaded.step } })
    }
  }

  return {
    flow,

    /**
     * Exchanges a signing link for a session scoped to its signer. The caller sets the cookie. Opening
     * again (another device, a lost cookie) is allowed while the link is live; each opening is audited.
     */
    async openLink(token: string, origin: RequestOrigin) {
      const link = await repository.findLinkByTokenHash(db, hashLinkToken(token))
      if (!link)
        throw new AppError('NOT_FOUND', 'This signing link is not valid. Check that you copied all of it.')
      if (link.revokedAt || link.packageStatus === 'cancelled') {
        throw new AppError(
          'SIGNING_LINK_EXPIRED',
          'This signing link is no longer valid. Ask the sender for a new one.',
        )
      }
      if (link.expiresAt <= now()) {
        throw new AppError(
          'SIGNING_LINK_EXPIRED',
          'This signing link has expired. Ask the sender for a new one.',
        )
      }
      return db.transaction(async (tx) => {
        const opened = await deps.auth.openSignerSession(
          {
            workspaceId: link.workspaceId,
            signerId: link.signerId,
            linkId: link.linkId,
            linkExpiresAt: link.expiresAt,
            ...origin,
          },
          tx,
        )
        await repository.markSignerOpened(tx, link.signerId, now())
        await audit.record(
          auditEvent(signerActor(link.signerId, origin), 'signer.invitation_opened', {
            chain: signingChain({ id: link.packageId, workspaceId: link.workspaceId }),
            subject: { type: 'signer', id: link.signerId },
            details: { email: link.email },
          }),
          tx,
        )
        return { token: opened.token, expiresAt: opened.expiresAt, signingId: link.packageId }
      })
    },

    /**
     * A document's content for the signer. Reading it records nothing: a document counts as reviewed
     * only when the signer confirms it (`confirmReviewed`). `requirePdf` refuses a text document.
     */
    async document(session: SignerSession, documentId: string, options: { requirePdf?: boolean } = {}) {
      const loaded = await load(session)
      const document = await repository.findDocument(db, loaded.pkg.id, documentId, {
        withPdfBytes: options.requirePdf ?? false,
      })
      if (!document) throw new AppError('NOT_FOUND', 'No such document in your package.')
      if (options.requirePdf && document.kind !== 'pdf') {
        throw new AppError('NOT_FOUND', 'This document is not a PDF.')
      }
      return document
    },

    /**
     * The signer confirms "I have read this document": the first confirmation of each document is
     * recorded and audited (`document.viewed`); a repeat changes nothing. Answers the flow, whose step
     * moves on once every document is confirmed.
     */
    async confirmReviewed(
      session: SignerSession,
      documentId: string,
      origin: RequestOrigin,
    ): Promise<SignerFlowView> {
      const loaded = await load(session)
      const document = loaded.documents.find((candidate) => candidate.id === documentId)
      if (!document) throw new AppError('NOT_FOUND', 'No such document in your package.')
      if (loaded.pkg.status === 'active' && loaded.signer.status !== 'signed') {
        await db.transaction(async (tx) => {
          const isFirstView = await repository.insertDocumentView(tx, {
            signerId: loaded.signer.id,
            documentId,
            viewedAt: now(),
          })
          if (isFirstView) {
            await audit.record(
              auditEvent(requestActor(session, origin), 'document.viewed', {
                chain: signingChain(loaded.pkg),
                subject: { type: 'signer', id: loaded.signer.id },
                details: {
                  document_id: document.id,
                  title: document.title,
                  sha256: document.sha256,
                },
              }),
              tx,
            )
          }
        })
      }
      return flow(session)
    },

    /** Link opened in the browser: the Link session id ties our trail to Plaid's logs. */
    async recordBankLinkStarted(session: SignerSession, linkSessionId: string, origin: RequestOrigin) {
      const loaded = await load(session)
      requireStep(loaded, 'bank', 'sign')
      await audit.record(
        auditEvent(requestActor(session, origin), 'bank.link_started', {
          chain: signingChain(loaded.pkg),
          subject: { type: 'signer', id: loaded.signer.id },
          details: { link_session_id: linkSessionId },
        }),
      )
    },

    /**
     * The signer chose the payout account on their (just linked) Item: record the link, run the
     * ownership match with their legal name and e-mail, and store the verdict. This is a new
     * verification: a manager's review of the previous account no longer applies, and the account a
     * manager rejected cannot simply be chosen again.
     */
    async choosePayoutAccount(
      session: SignerSession,
      input: { account_id: string; link_session_id?: string | null },
      origin: RequestOrigin,
    ): Promise<SignerFlowView> {
      const loaded = await load(session)
      requireStep(loaded, 'bank', 'sign')
      const previous = loaded.signer.bank
      if (previous?.review?.decision === 'reject' && previous.plaidAccountId === input.account_id) {
        throw new AppError(
          'CONFLICT',
          'The sender could not accept this account as yours. Link a different account in your own name.',
        )
      }
      const check = await deps.bankLinking.checkAccountOwnership(session, {
        accountId: input.account_id,
        legalName: loaded.signer.legalName,
        email: loaded.signer.email,
      })
      const verificationStatus = check.account.verificationStatus
      const isMicroDeposit = isMicroDepositStatus(verificationStatus)
      if (accountVerificationOf(verificationStatus) === 'failed') {
        throw new AppError(
          'CONFLICT',
          'The small deposits to this account could not be confirmed. Link your account again, or another one.',
        )
      }
      const verdict = ownershipVerdict(check.nameScore, loaded.policy, { isMicroDeposit })
      // A pending micro-deposit has no numbers yet (Plaid answers PRODUCT_NOT_READY): they are fetched
      // when the account is verified (ADR 0018).
      const isPending = accountVerificationOf(verificationStatus) !== 'verified'
      const payoutDetails = deps.payout
        ? isPending
          ? { numbers: null, holderNames: [] as string[], errorCode: 'VERIFICATION_PENDING' }
          : await deps.payout.fetchForChoice(session, check.account.accountId)
        : null
      const verifiedAt = now()
      await db.transaction(async (tx) => {
        await repository.saveBankVerification(tx, {
          signerId: loaded.signer.id,
          itemId: check.item.rowId,
          plaidItemId: check.item.plaidItemId,
          plaidAccountId: check.account.accountId,
          institutionName: check.item.institutionName,
          accountName: check.account.name,
          accountMask: check.account.mask,
          verdict,
          nameScore: check.nameScore,
          emailScore: check.emailScore,
          verifiedAt,
        })
        const payout =
          deps.payout && payoutDetails
            ? await deps.payout.saveChoice(tx, {
                signerId: loaded.signer.id,
                plaidItemId: check.item.plaidItemId,
                plaidAccountId: check.account.accountId,
                accountMask: check.account.mask,
                verifiedAt,
                details: payoutDetails,
              })
            : null
        if (loaded.signer.isBankRequired) {
          const isComplete = isBankStepComplete({
            bank: {
              itemStatus: check.item.status,
              verdict,
              review: null,
              verificationStatus,
              nameScore: check.nameScore,
            },
            isMatchRequired: loaded.policy.isMatchRequired,
          })
          await repository.setBankStepStatus(tx, loaded.signer.id, isComplete)
        }
        await audit.record(
          auditEvent(requestActor(session, origin), 'bank.linked', {
            chain: signingChain(loaded.pkg),
            subject: { type: 'signer', id: loaded.signer.id },
            details: {
              item_id: check.item.plaidItemId,
              institution_id: check.item.institutionId,
              institution_name: check.item.institutionName,
              account_name: check.account.name,
              account_mask: check.account.mask,
              item_status: check.item.status,
              verification_status: verificationStatus,
              link_session_id: input.link_session_id ?? null,
              ...(payout
                ? {
                    auth_numbers_stored: payout.numbers_stored,
                    verification_method: payout.verification_method,
                    is_tokenized_account_number: payout.is_tokenized_account_number,
                    auth_error_code: payoutDetails?.errorCode ?? null,
                  }
                : {}),
            },
          }),
          tx,
        )
        await audit.record(
          auditEvent(requestActor(session, origin), 'bank.ownership_checked', {
            chain: signingChain(loaded.pkg),
            subject: { type: 'signer', id: loaded.signer.id },
            details: {
              item_id: check.item.plaidItemId,
              account_mask: check.account.mask,
              verdict,
              name_score: check.nameScore,
              email_score: check.emailScore,
              identity_error_code: check.identityErrorCode,
              verdict_reason:
                isMicroDeposit && check.nameScore === null ? 'micro_deposits_no_identity' : null,
              verified_name_score: loaded.policy.verifiedNameScore,
              review_name_score: loaded.policy.reviewNameScore,
              match_required: loaded.policy.isMatchRequired,
            },
          }),
          tx,
        )
      })
      return flow(session)
    },

    async sign(session: SignerSession, input: SignInput, origin: RequestOrigin): Promise<SignerFlowView> {
      if (!input.consent) throw new AppError('VALIDATION_FAILED', 'body.consent must be true to sign.')
      await db.transaction(async (tx) => {
        // The package row lock orders concurrent signatures, so exactly one of them completes it.
        const packageId = await repository.findSignerPackageId(tx, session.signer.id)
        if (!packageId || !(await repository.lockPackage(tx, packageId))) {
          throw new AppError('NOT_FOUND', 'This signing package no longer exists.')
        }
        const loaded = await load(session, tx)
        requireStep(loaded, 'sign')
        if (!isSameName(input.typed_name, loaded.signer.legalName)) {
          throw new AppError(
            'VALIDATION_FAILED',
            `Type your full legal name exactly as the sender entered it: ${loaded.signer.legalName}.`,
          )
        }
        const signedAt = now()
        const myFields = loaded.fields.filter((field) => field.signerId === loaded.signer.id)
        const filled = fillFieldValues(myFields, input.values ?? {}, {
          legalName: loaded.signer.legalName,
          signedAt,
        })
        const adopted = await Promise.all(
          (['signature', 'initials'] as const).map((kind) =>
            adoptSignature(kind, input[kind], myFields, loaded.signer.legalName),
          ),
        )
        for (const [fieldId, value] of filled) await repository.saveFieldValue(tx, fieldId, value)
        for (const signature of adopted) {
          if (signature)
            await repository.insertSignerSignature(tx, { signerId: loaded.signer.id, ...signature })
        }
        await repository.markSignerSigned(tx, loaded.signer.id, {
          name: input.typed_name.trim(),
          ipAddress: origin.ipAddress,
          userAgent: origin.userAgent,
          signedAt,
        })
        await audit.record(
          auditEvent(requestActor(session, origin), 'signer.signed', {
            chain: signingChain(loaded.pkg),
            subject: { type: 'signer', id: loaded.signer.id },
            details: {
              typed_name: input.typed_name.trim(),
              consent: true,
              signed_at: signedAt.toISOString(),
              // The adopted images' (or typed texts') SHA-256: the sealed PDF shows exactly these.
              signature: adopted[0] ? { method: adopted[0].method, sha256: adopted[0].sha256 } : null,
              initials: adopted[1] ? { method: adopted[1].method, sha256: adopted[1].sha256 } : null,
              field_values: Object.fromEntries(filled),
              documents: loaded.documents.map((document) => ({ id: document.id, sha256: document.sha256 })),
              bank:
                loaded.signer.bank && loaded.signer.isBankRequired
                  ? {
                      item_id: loaded.signer.bank.plaidItemId,
                      account_mask: loaded.signer.bank.accountMask,
                      verdict: loaded.signer.bank.verdict,
                      review_decision: loaded.signer.bank.review?.decision ?? null,
                    }
                  : null,
            },
          }),
          tx,
        )
        if ((await repository.countUnsignedSigners(tx, loaded.pkg.id)) === 0) {
          await repository.updatePackage(tx, loaded.pkg.id, { status: 'complete', completedAt: signedAt })
          // The payout instructions are frozen as part of completing; `signing.completed` stays last.
          await deps.payout?.lockInstructions(tx, loaded.pkg, signedAt)
          await audit.record(
            auditEvent('system', 'signing.completed', {
              chain: signingChain(loaded.pkg),
              subject: { type: 'signing', id: loaded.pkg.id },
              details: { signer_count: (await repository.listSigners(tx, loaded.pkg.id, signedAt)).length },
            }),
            tx,
          )
          // Sealing runs as a job that commits with the completion: it happens exactly when the
          // package is complete, survives a restart and is retried when it fails.
          if (deps.jobs) await deps.jobs.enqueue(tx, QUEUES.signingSeal, { packageId: loaded.pkg.id })
        }
      })
      return flow(session)
    },
  }
}

function stepMessage(step: string): string {
  switch (step) {
    case 'review':
      return 'Review every document before continuing.'
    case 'bank':
      return 'Verify your bank account before signing.'
    case 'done':
      return 'You have already signed this package.'
    case 'closed':
      return 'This package is no longer open for signing.'
    default:
      return 'This step is not available right now.'
  }
}
