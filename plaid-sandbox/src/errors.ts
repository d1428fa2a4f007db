/**
 * Plaid's error envelope and the one catalogue of error codes the sandbox can produce.
 *
 * Every code maps to exactly one error_type, HTTP status and developer message (taken from Plaid's
 * documentation where it publishes them). Code throws `plaidError('ITEM_LOGIN_REQUIRED')`; the route
 * layer turns the thrown error into the wire body with `toErrorBody`.
 */

type ErrorType =
  | 'INVALID_REQUEST'
  | 'INVALID_INPUT'
  | 'INSTITUTION_ERROR'
  | 'RATE_LIMIT_EXCEEDED'
  | 'API_ERROR'
  | 'ITEM_ERROR'
  | 'RECAPTCHA_ERROR'
  | 'SANDBOX_ERROR'
  | 'OAUTH_ERROR'

interface ErrorDefinition {
  type: ErrorType
  status: number
  message: string
  /** Text Plaid allows showing to the end user; null when the error is not about anything the user did. */
  display: string | null
}

const LOGIN_REQUIRED_MESSAGE =
  "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state"
const INSTITUTION_UNAVAILABLE_MESSAGE =
  'this institution is not currently responding to this request. please try again soon'
const INSTITUTION_UNAVAILABLE_DISPLAY =
  'This financial institution is not currently responding to requests. We apologize for the inconvenience.'
const PER_ITEM_RATE_LIMIT_MESSAGE =
  'rate limit exceeded for attempts to access this item. please try again later'

const CATALOGUE = {
  // Request shape and client credentials
  INVALID_API_KEYS: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'invalid client_id or secret provided',
    display: null,
  },
  INVALID_BODY: {
    type: 'INVALID_REQUEST',
    status: 400,
    message: 'body could not be parsed as JSON',
    display: null,
  },
  INVALID_HEADERS: { type: 'INVALID_REQUEST', status: 400, message: 'invalid headers', display: null },
  MISSING_FIELDS: {
    type: 'INVALID_REQUEST',
    status: 400,
    message: 'required fields are missing',
    display: null,
  },
  UNKNOWN_FIELDS: { type: 'INVALID_REQUEST', status: 400, message: 'unknown fields', display: null },
  INVALID_FIELD: {
    type: 'INVALID_REQUEST',
    status: 400,
    message: 'a field has an invalid value',
    display: null,
  },
  NOT_FOUND: { type: 'INVALID_REQUEST', status: 404, message: 'not found', display: null },

  // Tokens, identifiers and products
  INVALID_LINK_TOKEN: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'invalid link_token provided',
    display: null,
  },
  INVALID_PUBLIC_TOKEN: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'could not find matching public token',
    display: null,
  },
  INVALID_ACCESS_TOKEN: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'could not find matching access token',
    display: null,
  },
  INVALID_INSTITUTION: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'invalid institution_id provided',
    display: null,
  },
  INVALID_PRODUCT: { type: 'INVALID_INPUT', status: 400, message: 'invalid product provided', display: null },
  INVALID_ACCOUNT_ID: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'failed to find requested account ID for requested item',
    display: null,
  },
  INVALID_WEBHOOK_VERIFICATION_KEY_ID: {
    type: 'INVALID_INPUT',
    status: 400,
    message:
      'invalid key_id provided. note that key_ids are specific to Plaid environments, and verification requests must be made to the same environment that the webhook was sent from',
    display: null,
  },

  // Item state
  ITEM_NOT_FOUND: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      'The Item you requested cannot be found. This Item does not exist, has been previously removed via /item/remove, or has had access removed by the user.',
    display: null,
  },
  ITEM_LOGIN_REQUIRED: {
    type: 'ITEM_ERROR',
    status: 400,
    message: LOGIN_REQUIRED_MESSAGE,
    display: null,
  },
  PRODUCT_NOT_READY: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      'the requested product is not yet ready. please provide a webhook or try the request again later',
    display: null,
  },
  PRODUCTS_NOT_SUPPORTED: { type: 'ITEM_ERROR', status: 400, message: '', display: null },
  NO_AUTH_ACCOUNTS: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      'There are no valid checking or savings account(s) associated with this Item. See https://plaid.com/docs/api/#item-errors for more.',
    display: 'None of your accounts are supported for this application.',
  },

  // Errors a user can hit while linking (sandbox credentials `error_<CODE>` produce these)
  INVALID_CREDENTIALS: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'the provided credentials were not correct',
    display: 'The provided credentials were not correct. Please try again.',
  },
  INVALID_MFA: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'the provided MFA response(s) were not correct',
    display: 'The provided MFA responses were not correct. Please try again.',
  },
  ITEM_LOCKED: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      "the account is locked. prompt the user to visit the institution's site and unlock their account",
    display:
      "The given account has been locked by the financial institution. Please visit your financial institution's website to unlock your account.",
  },
  NO_ACCOUNTS: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'no valid accounts were found for this item',
    display:
      "No valid accounts were found at the financial institution. Please visit your financial institution's website to confirm accounts are available.",
  },
  INSUFFICIENT_CREDENTIALS: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'insufficient authorization was provided to complete the request',
    display: 'The provided credentials were not sufficient. Please try again.',
  },
  INVALID_SEND_METHOD: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'the provided MFA send_method was invalid',
    display: null,
  },
  ITEM_NOT_SUPPORTED: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'this account is currently not supported',
    display:
      'The given account is not currently supported for this financial institution. We apologize for the inconvenience.',
  },
  MFA_NOT_SUPPORTED: {
    type: 'ITEM_ERROR',
    status: 400,
    message: 'this account requires a MFA type that we do not currently support',
    display:
      'The multi-factor security features enabled on this account are not currently supported for this financial institution. We apologize for the inconvenience.',
  },
  USER_SETUP_REQUIRED: {
    type: 'ITEM_ERROR',
    status: 400,
    message:
      "the account has not been fully set up. prompt the user to visit the issuing institution's site and finish the setup process",
    display:
      "The given account requires additional setup. Please visit your financial institution's website to finish setting up your account.",
  },
  USER_PERMISSION_REVOKED: {
    type: 'INVALID_INPUT',
    status: 400,
    message: 'the holder of this account has revoked their permission for your application to access it',
    display: null,
  },
  RECAPTCHA_BAD: {
    type: 'RECAPTCHA_ERROR',
    status: 400,
    message: 'the provided challenge was not solved correctly',
    display: 'The provided challenge was not solved correctly. Please try again.',
  },
  INSTITUTION_DOWN: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: INSTITUTION_UNAVAILABLE_MESSAGE,
    display: INSTITUTION_UNAVAILABLE_DISPLAY,
  },
  INSTITUTION_NOT_RESPONDING: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: INSTITUTION_UNAVAILABLE_MESSAGE,
    display: INSTITUTION_UNAVAILABLE_DISPLAY,
  },
  INSTITUTION_NOT_AVAILABLE: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: INSTITUTION_UNAVAILABLE_MESSAGE,
    display: INSTITUTION_UNAVAILABLE_DISPLAY,
  },
  INSTITUTION_NO_LONGER_SUPPORTED: {
    type: 'INSTITUTION_ERROR',
    status: 400,
    message: 'this institution is no longer supported',
    display: 'This financial institution is no longer supported. We apologize for the inconvenience.',
  },

  // Sandbox-only endpoints
  SANDBOX_WEBHOOK_INVALID: {
    type: 'SANDBOX_ERROR',
    status: 400,
    message:
      "Webhook for this item is either not set up, or invalid. Please update the item's webhook and try again.",
    display: null,
  },
  SANDBOX_PRODUCT_NOT_ENABLED: {
    type: 'SANDBOX_ERROR',
    status: 400,
    message: 'The requested product is not enabled on this item',
    display: null,
  },

  // Rate limits (HTTP 429)
  RATE_LIMIT: { type: 'RATE_LIMIT_EXCEEDED', status: 429, message: 'rate limit exceeded', display: null },
  ACCOUNTS_LIMIT: {
    type: 'RATE_LIMIT_EXCEEDED',
    status: 429,
    message: PER_ITEM_RATE_LIMIT_MESSAGE,
    display: null,
  },
  AUTH_LIMIT: {
    type: 'RATE_LIMIT_EXCEEDED',
    status: 429,
    message: PER_ITEM_RATE_LIMIT_MESSAGE,
    display: null,
  },
  IDENTITY_LIMIT: {
    type: 'RATE_LIMIT_EXCEEDED',
    status: 429,
    message: PER_ITEM_RATE_LIMIT_MESSAGE,
    display: null,
  },
  ITEM_GET_LIMIT: {
    type: 'RATE_LIMIT_EXCEEDED',
    status: 429,
    message: PER_ITEM_RATE_LIMIT_MESSAGE,
    display: null,
  },
  INSTITUTIONS_GET_BY_ID_LIMIT: {
    type: 'RATE_LIMIT_EXCEEDED',
    status: 429,
    message: 'rate limit exceeded for institutions/get_by_id. please try again later',
    display: null,
  },

  // OAuth institutions (plaid.com/docs/errors/oauth/)
  INCORRECT_LINK_TOKEN: {
    type: 'OAUTH_ERROR',
    status: 400,
    message: 'link token does not match original link token',
    display: null,
  },
  OAUTH_STATE_ID_ALREADY_PROCESSED: {
    type: 'OAUTH_ERROR',
    status: 400,
    message: 'the oauth state id has already been processed',
    display: null,
  },
  // Plaid documents no code for "the user said no at the bank"; this one is the sandbox's own.
  OAUTH_ACCESS_DENIED: {
    type: 'OAUTH_ERROR',
    status: 400,
    message: "the user cancelled or denied access on the institution's OAuth page",
    display: 'You did not give access to your account at your bank.',
  },

  // Plaid-side failures
  INTERNAL_SERVER_ERROR: {
    type: 'API_ERROR',
    status: 500,
    message: 'an unexpected error occurred',
    display: 'Internal error occurred. Please try again later.',
  },
  PLANNED_MAINTENANCE: {
    type: 'API_ERROR',
    status: 503,
    message:
      'the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ for more information',
    display: 'This service is temporarily unavailable due to planned maintenance. Please try again later.',
  },
} as const satisfies Record<string, ErrorDefinition>

export type PlaidErrorCode = keyof typeof CATALOGUE

export const PLAID_ERROR_CODES = Object.keys(CATALOGUE) as PlaidErrorCode[]

export function isPlaidErrorCode(value: string): value is PlaidErrorCode {
  return Object.hasOwn(CATALOGUE, value)
}

const DOCUMENTATION_SECTIONS: Record<ErrorType, string> = {
  INVALID_REQUEST: 'invalid-request',
  INVALID_INPUT: 'invalid-input',
  INSTITUTION_ERROR: 'institution',
  RATE_LIMIT_EXCEEDED: 'rate-limit-exceeded',
  API_ERROR: 'api',
  ITEM_ERROR: 'item',
  RECAPTCHA_ERROR: 'recaptcha',
  SANDBOX_ERROR: 'sandbox',
  OAUTH_ERROR: 'oauth',
}

/** A Plaid API error. Thrown anywhere in the sandbox; rendered by the route layer. */
export class PlaidApiError extends Error {
  readonly code: PlaidErrorCode
  readonly type: ErrorType
  readonly status: number
  readonly displayMessage: string | null

  constructor(code: PlaidErrorCode, message?: string) {
    const definition: ErrorDefinition = CATALOGUE[code]
    super(message ?? definition.message)
    this.name = 'PlaidApiError'
    this.code = code
    this.type = definition.type
    this.status = definition.status
    this.displayMessage = definition.display
  }
}

/** @example throw plaidError('MISSING_FIELDS', 'the following required fields are missing: client_name') */
export function plaidError(code: PlaidErrorCode, message?: string): PlaidApiError {
  return new PlaidApiError(code, message)
}

/** The subset of the envelope that is stored on an Item and embedded in webhooks (no request_id). */
export interface StoredPlaidError {
  display_message: string | null
  documentation_url: string
  error_code: string
  error_message: string
  error_type: string
  status: number
  suggested_action: null
}

function documentationUrl(error: PlaidApiError): string {
  return `https://plaid.com/docs/errors/${DOCUMENTATION_SECTIONS[error.type]}/#${error.code.toLowerCase()}`
}

/**
 * The body of an error response. Keys are alphabetical because that is how Plaid's API writes them.
 */
export function toErrorBody(error: PlaidApiError, requestId: string): Record<string, unknown> {
  return {
    display_message: error.displayMessage,
    documentation_url: documentationUrl(error),
    error_code: error.code,
    error_message: error.message,
    error_type: error.type,
    request_id: requestId,
    suggested_action: null,
  }
}

/** The error as it appears in `item.error` and inside webhooks: with `status`, without `request_id`. */
export function toEmbeddedError(error: PlaidApiError): StoredPlaidError {
  return {
    display_message: error.displayMessage,
    documentation_url: documentationUrl(error),
    error_code: error.code,
    error_message: error.message,
    error_type: error.type,
    status: error.status,
    suggested_action: null,
  }
}
