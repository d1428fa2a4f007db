import type { Database } from '../../../db/client.ts'
import type { ItemStatus, PlaidEnvironment } from '../../../db/schema.ts'
import { type Keyring, rotateStoredValues } from '../../security/keyring.ts'
import { createAccountChecksService } from './account-checks-service.ts'
import { ACCESS_TOKEN_PURPOSE, type BankLinkingDeps, createItemAccess } from './item-access.ts'
import { createItemsService } from './items-service.ts'
import { createLinkService } from './link-service.ts'
import * as repository from './repository.ts'

export { ACCESS_TOKEN_PURPOSE, type BankLinkingDeps, LINK_HOME, PERSIST_HINT } from './item-access.ts'

export type LinkTokenResult = {
  link_token: string
  expiration: string
  environment: PlaidEnvironment
  mode: 'create' | 'update'
  persist_ready: boolean
}

/** What `/oauth-return` needs to re-open Link where the principal left it. */
export type OAuthResume = {
  link_token: string
  mode: 'create' | 'update'
  environment: PlaidEnvironment
  return_to: string
}

export type ExchangeResult = {
  item_id: string
  institution_id: string | null
  persisted: boolean
  persist_hint: string | null
}

export type StatusResult = {
  connected: boolean
  environment: PlaidEnvironment
  item: null | {
    item_id: string
    institution_id: string | null
    institution_name: string | null
    status: Exclude<ItemStatus, 'removed'>
    accounts: repository.StatusAccount[]
    /** When the user's consent ends (pending expiration) or the institution disconnects; else null. */
    consent_expires_at: string | null
    linked_at: string
    updated_at: string
  }
  action: null | 'link' | 'update'
}

export type LinkEventInput = {
  type: 'event' | 'exit'
  event_name?: string | null
  view_name?: string | null
  link_session_id?: string | null
  request_id?: string | null
  error_type?: string | null
  error_code?: string | null
  institution_id?: string | null
  exit_status?: string | null
  timestamp?: string | null
}

/** What the signing flow learns about a chosen payout account: display data and scores, never tokens. */
export type OwnershipCheck = {
  item: {
    rowId: string
    plaidItemId: string
    institutionId: string | null
    institutionName: string | null
    status: ItemStatus
  }
  account: { accountId: string; name: string; mask: string | null; verificationStatus: string | null }
  /** Plaid's /identity/match legal-name and e-mail scores; null when Plaid had no identity data. */
  nameScore: number | null
  emailScore: number | null
  /** Why there are no scores, when Plaid refused the match (e.g. PRODUCTS_NOT_SUPPORTED). */
  identityErrorCode: string | null
}

/** What the lab shows of an account's Auth numbers: the last four digits only, never a number. */
export type AuthMask = {
  account_id: string
  account_mask: string
  routing_mask: string
  wire_routing_mask: string | null
  is_tokenized_account_number: boolean | null
  verification_status: string | null
}

export type BankLinkingService = ReturnType<typeof createBankLinkingService>

/**
 * Bank linking for members and signers, one service per use case (Link, the linked Item, the
 * checks signing makes on an account) over the shared Item access, joined into the one object the
 * routes, the signer flow and the workers use.
 */
export function createBankLinkingService(deps: BankLinkingDeps) {
  const access = createItemAccess(deps)
  return {
    ...createLinkService(deps, access),
    ...createItemsService(deps, access),
    ...createAccountChecksService(deps, access),
  }
}

/** Re-encrypts stored access tokens under the active key (`npm run keys:rotate`); returns how many. */
export async function rotateStoredAccessTokens(deps: { db: Database; keyring: Keyring }): Promise<number> {
  const stored = (await repository.listEncryptedAccessTokens(deps.db)).map((row) => ({
    rowId: row.id,
    value: { keyId: row.accessTokenKeyId, ciphertext: row.accessTokenCiphertext },
  }))
  return rotateStoredValues(deps.keyring, ACCESS_TOKEN_PURPOSE, stored, (rowId, encrypted) =>
    repository.replaceAccessTokenCiphertext(deps.db, rowId, {
      accessTokenCiphertext: encrypted.ciphertext,
      accessTokenKeyId: encrypted.keyId,
    }),
  )
}
