import { dictionary } from '@zxcvbn-ts/language-common'
import { AppError } from '../../errors.ts'

export const MIN_PASSWORD_LENGTH = 12

// zxcvbn-ts's list of the most common passwords (about 49,000, from breach corpora), maintained with
// the package rather than by hand.
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(
  (dictionary['passwords-common'] as string[]).map((password) => password.toLowerCase()),
)

/** Why a new password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string } = {}): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    return `Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`
  }
  const lowered = password.toLowerCase()
  if (COMMON_PASSWORDS.has(lowered)) {
    return 'This password is one of the most common ones. Choose another.'
  }
  if (context.email && lowered === context.email.toLowerCase()) {
    return 'Your password must not be your e-mail address.'
  }
  return null
}

/** Throws 400 VALIDATION_FAILED naming the field when `password` breaks the policy. */
export function assertPasswordAllowed(
  password: string,
  field: string,
  context: { email?: string } = {},
): void {
  const problem = passwordProblem(password, context)
  if (problem) throw new AppError('VALIDATION_FAILED', `${field}: ${problem}`, { details: { field } })
}
