import { type PlaidApiError, type PlaidErrorCode, plaidError } from '../errors.ts'
import type { InstitutionFixture } from '../fixtures/institutions.ts'
import type { ItemRecord, MfaRound } from './state.ts'

/**
 * Plaid's Sandbox test credentials (plaid.com/docs/sandbox/test-credentials/), shared by the Link UI
 * and /sandbox/public_token/create.
 */
export type CredentialOutcome =
  | { kind: 'linked'; authMethod: ItemRecord['authMethod'] }
  | { kind: 'mfa'; rounds: MfaRound[] }
  | { kind: 'error'; error: PlaidApiError }

export const SANDBOX_USERNAME = 'user_good'
const MICRODEPOSITS_INSTITUTION_ID = 'ins_109512'
const MFA_DEVICE_CODE = '1234'
/** Keeps `mfa_questions_<n>_<m>` and friends from asking for absurd numbers of rounds. */
const MAX_MFA_DIMENSION = 10

/** The errors `error_<CODE>` passwords can simulate: the ones a user can hit while linking. */
const SIMULATED_LINK_ERRORS: readonly PlaidErrorCode[] = [
  'INVALID_CREDENTIALS',
  'INVALID_MFA',
  'ITEM_LOCKED',
  'ITEM_LOGIN_REQUIRED',
  'INSTITUTION_DOWN',
  'INSTITUTION_NOT_RESPONDING',
  'INSTITUTION_NOT_AVAILABLE',
  'INSTITUTION_NO_LONGER_SUPPORTED',
  'INSUFFICIENT_CREDENTIALS',
  'INTERNAL_SERVER_ERROR',
  'INVALID_SEND_METHOD',
  'ITEM_NOT_SUPPORTED',
  'MFA_NOT_SUPPORTED',
  'NO_ACCOUNTS',
  'USER_SETUP_REQUIRED',
]

export function evaluateCredentials(
  institution: InstitutionFixture,
  username: string,
  password: string,
): CredentialOutcome {
  if (institution.linkErrorCode) return failure(institution.linkErrorCode)
  if (username !== SANDBOX_USERNAME) return failure('INVALID_CREDENTIALS')

  if (password === 'pass_good') return { kind: 'linked', authMethod: 'INSTANT_AUTH' }
  if (password === 'microdeposits_good') {
    return institution.institution_id === MICRODEPOSITS_INSTITUTION_ID
      ? { kind: 'linked', authMethod: 'AUTOMATED_MICRODEPOSITS' }
      : failure('INVALID_CREDENTIALS')
  }
  const recaptcha = recaptchaAnswer(password)
  if (recaptcha === 'good') return { kind: 'linked', authMethod: 'INSTANT_AUTH' }
  if (recaptcha === 'bad') return failure('RECAPTCHA_BAD')

  const simulatedError = /^error_([A-Z_]+)$/.exec(password)?.[1]
  if (simulatedError) {
    const code = SIMULATED_LINK_ERRORS.find((candidate) => candidate === simulatedError)
    return failure(code ?? 'INVALID_CREDENTIALS')
  }

  const rounds = mfaRounds(password)
  return rounds ? { kind: 'mfa', rounds } : failure('INVALID_CREDENTIALS')
}

/** Checks one round of MFA answers; a wrong answer is the retryable INVALID_MFA. */
export function checkMfaAnswers(round: MfaRound, answers: readonly string[]): void {
  const given = answers.map((answer) => answer.trim())
  const isCorrect =
    given.length === round.expected.length &&
    round.expected.every((expected, index) => given[index] === expected)
  if (!isCorrect) throw plaidError('INVALID_MFA')
}

function failure(code: PlaidErrorCode): CredentialOutcome {
  return { kind: 'error', error: plaidError(code) }
}

function recaptchaAnswer(password: string): string | null {
  if (!password.startsWith('{')) return null
  try {
    const parsed = JSON.parse(password) as { recaptcha?: unknown }
    return typeof parsed.recaptcha === 'string' ? parsed.recaptcha : null
  } catch {
    return null
  }
}

function dimensions(match: RegExpExecArray | null): number[] | null {
  if (!match) return null
  const numbers = match.slice(1).map(Number)
  return numbers.every((value) => Number.isInteger(value) && value >= 1 && value <= MAX_MFA_DIMENSION)
    ? numbers
    : null
}

function range(length: number): number[] {
  return Array.from({ length }, (_, index) => index)
}

function mfaRounds(password: string): MfaRound[] | null {
  if (password === 'mfa_device') {
    return [
      {
        type: 'device',
        prompt: `Enter the code sent to your device (sandbox: ${MFA_DEVICE_CODE})`,
        expected: [MFA_DEVICE_CODE],
      },
    ]
  }
  if (password === 'mfa_selections') {
    return [
      {
        type: 'selections',
        selections: [
          { id: 'selection_0_0', question: 'Did you open this account yourself?', answers: ['Yes', 'No'] },
        ],
        expected: ['Yes'],
      },
    ]
  }
  const questions = dimensions(/^mfa_questions_(\d+)_(\d+)$/.exec(password))
  if (questions) {
    const [roundCount = 1, questionCount = 1] = questions
    return range(roundCount).map((round) => ({
      type: 'questions',
      questions: range(questionCount).map((question) => ({
        id: `question_${round}_${question}`,
        text: `Security question ${question + 1} (sandbox answer: answer_${round}_${question})`,
      })),
      expected: range(questionCount).map((question) => `answer_${round}_${question}`),
    }))
  }
  const selections = dimensions(/^mfa_selections_(\d+)_(\d+)_(\d+)$/.exec(password))
  if (selections) {
    const [roundCount = 1, selectionCount = 1, answerCount = 1] = selections
    return range(roundCount).map((round) => ({
      type: 'selections',
      selections: range(selectionCount).map((selection) => ({
        id: `selection_${round}_${selection}`,
        question: `Security selection ${selection + 1}`,
        answers: range(answerCount).map((answer) => `answer_${round}_${selection}_${answer}`),
      })),
      expected: range(selectionCount).map((selection) => `answer_${round}_${selection}_0`),
    }))
  }
  return null
}
