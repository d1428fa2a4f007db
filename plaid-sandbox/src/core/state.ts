import type { StoredPlaidError } from '../errors.ts'
import type { AccountBalances, AchNumbers } from '../fixtures/accounts.ts'

/**
 * Everything the sandbox remembers. Plain JSON on purpose: the store writes it to disk as is, so
 * a restart keeps every access token, key and delivery.
 */
export interface SandboxState {
  version: 1
  linkTokens: Record<string, LinkTokenRecord>
  linkSessions: Record<string, LinkSessionRecord>
  publicTokens: Record<string, PublicTokenRecord>
  accessTokens: Record<string, AccessTokenRecord>
  items: Record<string, ItemRecord>
  signingKeys: SigningKeyRecord[]
  deliveries: DeliveryRecord[]
  /** OAuth hand-offs to an institution's consent page, by oauth_state_id (absent in older state files). */
  oauthStates: Record<string, OAuthStateRecord>
  /** Tokens from /processor/token/create (absent in older state files). */
  processorTokens: Record<string, ProcessorTokenRecord>
}

export interface ProcessorTokenRecord {
  processorToken: string
  clientId: string
  itemId: string
  accountId: string
  processor: string
  createdAt: number
}

/** The Auth flows a link token enables (`auth` in /link/token/create); Plaid's defaults otherwise. */
export interface LinkAuthOptions {
  sameDayMicrodeposits: boolean
  automatedMicrodeposits: boolean
  instantMicrodeposits: boolean
}

export interface LinkTokenRecord {
  linkToken: string
  clientId: string
  createdAt: number
  expiresAt: number
  /** Set in update mode: the Item the token repairs. */
  itemId: string | null
  clientName: string
  language: string
  countryCodes: string[]
  products: string[]
  webhook: string | null
  redirectUri: string | null
  clientUserId: string | null
  sessionIds: string[]
  /** From `auth` in /link/token/create (absent in older state files: everything off). */
  authOptions?: LinkAuthOptions
  /** `user.legal_name`: Link then does not ask micro-deposit users for their name. */
  legalName?: string | null
}

export type VerificationStatus =
  | 'pending_automatic_verification'
  | 'automatically_verified'
  | 'verification_expired'
  | 'pending_manual_verification'
  | 'manually_verified'
  | 'verification_failed'

export interface AccountRecord {
  account_id: string
  name: string
  official_name: string | null
  mask: string
  type: string
  subtype: string
  balances: AccountBalances
  ach: AchNumbers | null
  verification_status: VerificationStatus | null
  /** The account holder name entered in Link for micro-deposit verification (manual entry flows). */
  verification_name?: string | null
  /** Wrong Same-Day micro-deposit codes entered so far (three end the verification). */
  verification_attempts?: number
}

export interface ItemRecord {
  itemId: string
  clientId: string
  /** null for Items created from typed-in account numbers (Same-Day or Instant Micro-deposits), as in Plaid. */
  institutionId: string | null
  webhook: string | null
  products: string[]
  accounts: AccountRecord[]
  authMethod:
    | 'INSTANT_AUTH'
    | 'AUTOMATED_MICRODEPOSITS'
    | 'SAME_DAY_MICRODEPOSITS'
    | 'INSTANT_MICRODEPOSITS'
    | null
  createdAt: number
  /** A login error set by /sandbox/item/reset_login (or a linking error); cleared by update mode. */
  error: StoredPlaidError | null
  /** Sandbox Items fall into ITEM_LOGIN_REQUIRED on their own 30 days after they were created or repaired. */
  loginExpiresAt: number
  removedAt: number | null
  lastWebhook: { sentAt: number; code: string } | null
}

export interface PublicTokenRecord {
  publicToken: string
  itemId: string
  expiresAt: number
  exchangedAt: number | null
}

export interface AccessTokenRecord {
  itemId: string
  /** Set by /item/access_token/invalidate: the token then answers INVALID_ACCESS_TOKEN. */
  invalidatedAt: number | null
}

export interface SigningKeyRecord {
  kid: string
  createdAt: number
  expiredAt: number | null
  publicJwk: { kty: string; crv: string; x: string; y: string }
  privateJwk: { kty: string; crv: string; x: string; y: string; d: string }
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dropped'

export interface DeliveryAttempt {
  at: number
  statusCode: number | null
  error: string | null
  durationMs: number
}

export interface DeliveryRecord {
  id: string
  itemId: string
  url: string
  webhookType: string
  webhookCode: string
  payload: Record<string, unknown>
  status: DeliveryStatus
  createdAt: number
  attempts: DeliveryAttempt[]
  nextAttemptAt: number | null
}

export interface LinkSessionRecord {
  linkSessionId: string
  linkToken: string
  startedAt: number
  finishedAt: number | null
  institutionId: string | null
  /** MFA rounds still to answer, each with its expected answers. */
  pendingMfa: MfaRound[]
  /** Accounts offered to the user once credentials (and MFA) succeeded. */
  offeredAccounts: AccountRecord[] | null
  authMethod: ItemRecord['authMethod']
  result: { publicToken: string; itemId: string; accountIds: string[] } | null
  events: { event_name: string; view_name: string | null; timestamp: number }[]
  /** Instant Micro-deposits: the deposit sent in this session, waiting for its code (absent otherwise). */
  instantDeposit?: InstantDepositRecord | null
}

/** A real-time micro-deposit sent during a Link session; the Item exists only once its code is entered. */
export interface InstantDepositRecord {
  routing: string
  account: string
  name: string
  subtype: 'checking' | 'savings'
  sentAt: number
  /** Wrong codes entered so far; the third ends the verification (`failed`). */
  attempts: number
  failed: boolean
}

/**
 * One trip of a Link session to an OAuth institution's consent page. The oauth_state_id is the only
 * credential of the bank page; Link consumes the outcome once (`processedAt`), as Plaid does.
 */
export interface OAuthStateRecord {
  oauthStateId: string
  linkToken: string
  linkSessionId: string
  institutionId: string
  /** `popup`: the bank page opened in a window; `redirect`: the whole page went there and comes back. */
  mode: 'popup' | 'redirect'
  createdAt: number
  /** Set when the user signed in at the bank: the accounts the bank offers for consent. */
  offeredAccounts: AccountRecord[] | null
  authMethod: ItemRecord['authMethod']
  decision: 'approved' | 'denied' | null
  /** The accounts the user ticked on the consent page (approved only). */
  consentedAccountIds: string[]
  processedAt: number | null
}

export type MfaRound =
  | { type: 'device'; prompt: string; expected: string[] }
  | { type: 'questions'; questions: { id: string; text: string }[]; expected: string[] }
  | {
      type: 'selections'
      selections: { id: string; question: string; answers: string[] }[]
      expected: string[]
    }

export function emptyState(): SandboxState {
  return {
    version: 1,
    linkTokens: {},
    linkSessions: {},
    publicTokens: {},
    accessTokens: {},
    items: {},
    signingKeys: [],
    deliveries: [],
    oauthStates: {},
    processorTokens: {},
  }
}
