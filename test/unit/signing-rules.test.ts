import { describe, expect, it } from 'vitest'
import type { ItemStatus, OwnershipReviewDecision, OwnershipVerdict } from '../../db/schema.ts'
import {
  accountVerificationOf,
  currentStep,
  DEFAULT_OWNERSHIP_POLICY,
  isBankStepComplete,
  isOwnershipReviewable,
  ownershipVerdict,
  type StepInput,
} from '../../server/modules/signing/rules.ts'

const bank = (
  verdict: OwnershipVerdict,
  review: OwnershipReviewDecision | null = null,
  itemStatus: ItemStatus | null = 'good',
): StepInput['bank'] => ({ itemStatus, verdict, review })

describe('isBankStepComplete', () => {
  // [case, bank, isMatchRequired, complete]
  it.each([
    ['no account yet', null, false, false],
    ['verified', bank('verified'), false, true],
    ['verified, match required', bank('verified'), true, true],
    ['needs review', bank('needs_review'), false, true],
    ['needs review, match required', bank('needs_review'), true, true],
    ['mismatch', bank('mismatch'), false, true],
    ['mismatch, match required', bank('mismatch'), true, false],
    ['accepted mismatch, match required', bank('mismatch', 'accept'), true, true],
    ['accepted mismatch', bank('mismatch', 'accept'), false, true],
    ['accepted needs review, match required', bank('needs_review', 'accept'), true, true],
    ['rejected needs review', bank('needs_review', 'reject'), false, false],
    ['rejected needs review, match required', bank('needs_review', 'reject'), true, false],
    ['rejected mismatch', bank('mismatch', 'reject'), false, false],
    ['accepted, connection needs a new login', bank('mismatch', 'accept', 'login_required'), true, false],
    ['accepted, connection revoked', bank('needs_review', 'accept', 'revoked'), false, false],
    ['verified, Item row gone', bank('verified', null, null), false, false],
    ['verified, pending expiration', bank('verified', null, 'pending_expiration'), false, true],
  ] as const)('%s → complete: %s', (_case, payout, isMatchRequired, complete) => {
    expect(isBankStepComplete({ bank: payout, isMatchRequired })).toBe(complete)
  })
})

describe('currentStep', () => {
  const base: StepInput = {
    packageStatus: 'active',
    signerStatus: 'bank_verified',
    documentCount: 2,
    viewedDocumentCount: 2,
    isBankRequired: true,
    bank: bank('verified'),
    isMatchRequired: false,
  }

  it.each([
    ['all done but signing', {}, 'sign'],
    ['signed', { signerStatus: 'signed' }, 'done'],
    ['signed in a completed package', { signerStatus: 'signed', packageStatus: 'complete' }, 'done'],
    ['cancelled package', { packageStatus: 'cancelled' }, 'closed'],
    ['a document not viewed', { viewedDocumentCount: 1 }, 'review'],
    ['no account yet', { bank: null }, 'bank'],
    ['no account, bank not required', { bank: null, isBankRequired: false }, 'sign'],
    ['required match, mismatch', { bank: bank('mismatch'), isMatchRequired: true }, 'bank'],
    [
      'required match, accepted mismatch',
      { bank: bank('mismatch', 'accept'), isMatchRequired: true },
      'sign',
    ],
    ['rejected needs review', { bank: bank('needs_review', 'reject') }, 'bank'],
    ['rejected, bank not required', { bank: bank('needs_review', 'reject'), isBankRequired: false }, 'sign'],
  ] as const)('%s → %s', (_case, change, step) => {
    expect(currentStep({ ...base, ...change })).toBe(step)
  })
})

describe('isOwnershipReviewable', () => {
  it.each([
    ['verified', false],
    ['needs_review', true],
    ['mismatch', true],
  ] as const)('%s → %s', (verdict, reviewable) => {
    expect(isOwnershipReviewable(verdict)).toBe(reviewable)
  })
})

describe('micro-deposits (ADR 0018)', () => {
  const policy = DEFAULT_OWNERSHIP_POLICY
  const microBank = (verificationStatus: string | null, review: 'accept' | 'reject' | null = null) => ({
    itemStatus: 'good' as const,
    verdict: 'needs_review' as const,
    review,
    verificationStatus,
    nameScore: null,
  })

  it('calls a micro-deposit account without identity data "needs review", not a mismatch', () => {
    expect(ownershipVerdict(null, policy, { isMicroDeposit: true })).toBe('needs_review')
    expect(ownershipVerdict(null, policy)).toBe('mismatch')
  })

  it('keeps the step open while pending or failed, and until a manager accepts', () => {
    for (const status of [
      'pending_manual_verification',
      'pending_automatic_verification',
      'verification_failed',
      'verification_expired',
    ]) {
      expect(isBankStepComplete({ bank: microBank(status, 'accept'), isMatchRequired: false })).toBe(false)
    }
    expect(isBankStepComplete({ bank: microBank('manually_verified'), isMatchRequired: false })).toBe(false)
    expect(
      isBankStepComplete({ bank: microBank('manually_verified', 'accept'), isMatchRequired: false }),
    ).toBe(true)
    expect(
      isBankStepComplete({ bank: microBank('automatically_verified', 'accept'), isMatchRequired: false }),
    ).toBe(true)
    expect(accountVerificationOf('pending_manual_verification')).toBe('pending_manual')
    expect(accountVerificationOf(null)).toBe('verified')
  })
})
