/**
 * The one error model of the server. Services throw `AppError` with a code; the HTTP layer maps the
 * code to a status through `STATUS_BY_CODE` and answers `{ error: { code, message }, request_id }`.
 * Services never choose HTTP statuses themselves.
 */
export const STATUS_BY_CODE = {
  /** The request body, query or params failed validation; the message names the field. */
  VALIDATION_FAILED: 400,
  /** A two-factor or recovery code that is wrong, malformed or already used. */
  INVALID_CODE: 400,
  /** The body was not valid JSON. */
  MALFORMED_JSON: 400,
  /** The public token is unknown, expired or already used (Plaid's INVALID_PUBLIC_TOKEN). */
  INVALID_PUBLIC_TOKEN: 400,
  /** A Plaid webhook whose JWT or body is structurally broken (the reason says which). */
  WEBHOOK_MALFORMED: 400,
  /** No valid session cookie. */
  UNAUTHENTICATED: 401,
  /** A Plaid webhook that failed verification: signature, key, age or body hash (the reason says which). */
  WEBHOOK_UNVERIFIED: 401,
  /** Wrong e-mail or password; deliberately does not say which. */
  INVALID_CREDENTIALS: 401,
  /** Signed in, but the role does not allow this. */
  FORBIDDEN: 403,
  /** The workspace requires two-factor sign-in for this role and the user has not enrolled yet. */
  TWO_FACTOR_REQUIRED: 403,
  /** A sensitive action needs a recent password or code (`POST /api/auth/reauth`). */
  REAUTH_REQUIRED: 403,
  /** A state-changing request came from another site (Origin / Sec-Fetch-Site check). */
  CROSS_SITE_REQUEST: 403,
  NOT_FOUND: 404,
  /** The signing link expired, was replaced by a newer one or its package was cancelled. */
  SIGNING_LINK_EXPIRED: 410,
  /** An invitation or password-reset link that was used, withdrawn or has expired. */
  LINK_EXPIRED: 410,
  /** The pending two-factor sign-in is missing, expired or used up its attempts: sign in again. */
  TWO_FACTOR_SIGN_IN_EXPIRED: 410,
  /** The request conflicts with current state (e.g. storing a secret while no encryption key exists). */
  CONFLICT: 409,
  /** A signing step was attempted before the steps it depends on (e.g. signing before the bank check). */
  STEP_NOT_READY: 409,
  ENCRYPTION_KEY_MISSING: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** Plaid could not be reached, failed on its side or is rate limiting: trying again later may work. */
  PLAID_UNAVAILABLE: 502,
  /** Plaid refused the request (its 4xx, other than a rate limit): trying again would not help. */
  PLAID_REFUSED: 422,
  /** The workspace's Plaid credentials are missing or rejected; only an administrator can fix it. */
  PLAID_NOT_CONFIGURED: 503,
  NOT_READY: 503,
  /** Plaid's webhook key endpoint could not be asked; Plaid retries the delivery later. */
  WEBHOOK_VERIFIER_UNAVAILABLE: 503,
} as const

export type AppErrorCode = keyof typeof STATUS_BY_CODE

export class AppError extends Error {
  override name = 'AppError'
  readonly code: AppErrorCode
  /** Extra, safe-to-show fields added to the error body (e.g. Plaid's request_id). */
  readonly details: Record<string, unknown> | undefined

  constructor(
    code: AppErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, { cause: options?.cause })
    this.code = code
    this.details = options?.details
  }

  get statusCode(): number {
    return STATUS_BY_CODE[this.code]
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError
}
