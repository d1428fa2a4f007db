import { AppError } from '../../errors.ts'
import { principalOf, type SessionContext } from '../auth/service.ts'
import { type AuthNumbers, appErrorFromPlaid, PlaidRequestError } from './gateway.ts'
import type { BankLinkingDeps, ItemAccess } from './item-access.ts'
import { ACCESS_TOKEN_PURPOSE } from './item-access.ts'
import * as repository from './repository.ts'
import type { AuthMask, OwnershipCheck } from './service.ts'

/** What signing asks of a linked account: the ownership check (identity match), payout numbers, and the Auth masks the lab shows. */
export function createAccountChecksService(deps: BankLinkingDeps, access: ItemAccess) {
  const { db, gateway, keyring } = deps
  const { connectionFor, decryptAccessToken, payoutDetailsOf } = access
  return {
    /**
     * For the signing flow: finds the chosen account on the user's live Item and asks Plaid how well
     * the signer's legal name and e-mail match its owners. The access token never leaves this module.
     */
    async checkAccountOwnership(
      session: SessionContext,
      input: { accountId: string; legalName: string; email: string },
    ): Promise<OwnershipCheck> {
      const connection = await connectionFor(session.workspace.id)
      const owner = principalOf(session)
      const item = await repository.findLiveItem(db, owner, connection.environment)
      if (!item || item.status === 'revoked') {
        throw new AppError('STEP_NOT_READY', 'Link a bank account first.')
      }
      const { item: status } = await repository.findStatus(db, {
        owner,
        defaultEnvironment: deps.defaultEnvironment,
      })
      const account = status?.accounts.find((candidate) => candidate.account_id === input.accountId)
      if (!account) throw new AppError('NOT_FOUND', 'That account is not part of your bank connection.')
      const accessToken = decryptAccessToken(item)
      if (!accessToken) {
        throw new AppError(
          'ENCRYPTION_KEY_MISSING',
          'The stored bank connection cannot be read. Ask your administrator to check the encryption key configuration.',
        )
      }
      let scores: { nameScore: number | null; emailScore: number | null } | null = null
      let identityErrorCode: string | null = null
      try {
        const matches = await gateway.matchIdentity(connection, accessToken, {
          legalName: input.legalName,
          email: input.email,
        })
        scores = matches.find((match) => match.accountId === input.accountId) ?? null
      } catch (error) {
        if (!(error instanceof PlaidRequestError)) throw error
        if (error.errorCode === null) throw appErrorFromPlaid(error)
        if (error.errorCode === 'ITEM_LOGIN_REQUIRED') {
          throw new AppError('STEP_NOT_READY', 'Your bank asks you to sign in again. Reconnect your account.')
        }
        // The Item works but Plaid has no identity data for it: the check is answered, with no scores.
        deps.logger.warn(
          { plaid_error_code: error.errorCode, plaid_request_id: error.requestId },
          'identity match unavailable',
        )
        identityErrorCode = error.errorCode
      }
      return {
        item: {
          rowId: item.id,
          plaidItemId: item.plaidItemId,
          institutionId: item.institutionId,
          institutionName: item.institutionName,
          status: item.status,
        },
        account: {
          accountId: account.account_id,
          name: account.name,
          mask: account.mask,
          verificationStatus: account.verification_status,
        },
        nameScore: scores?.nameScore ?? null,
        emailScore: scores?.emailScore ?? null,
        identityErrorCode,
      }
    },

    /**
     * For the signing flow: the Auth numbers and holder names of an account on the signer's live Item
     * (/auth/get, /identity/get). The caller encrypts the numbers at once; they are never logged.
     * Null numbers when Plaid has none for the account (the payout step then goes on without them).
     */
    async fetchPayoutDetails(session: SessionContext, accountId: string) {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item ? decryptAccessToken(item) : null
      if (!item || !accessToken) return { numbers: null, holderNames: [], errorCode: 'NO_ITEM' }
      return payoutDetailsOf(connection, accessToken, accountId)
    },

    /**
     * The Auth numbers of an account on an Item named by Plaid's item_id, for the payout checks that
     * follow a webhook (no session). Null when the Item or its token is gone or Plaid has none.
     */
    async fetchAuthNumbersOfItem(plaidItemId: string, accountId: string): Promise<AuthNumbers | null> {
      const owner = await repository.findItemOwner(db, plaidItemId)
      if (!owner) return null
      const item = await repository.findItem(db, owner.environment, plaidItemId)
      if (!item?.accessTokenCiphertext || !item.accessTokenKeyId || !keyring.status.isConfigured) return null
      const connection = await deps.connections(item.environment, item.workspaceId)
      if (!connection) return null
      const accessToken = keyring.decrypt(
        { keyId: item.accessTokenKeyId, ciphertext: item.accessTokenCiphertext },
        { purpose: ACCESS_TOKEN_PURPOSE, rowId: item.id },
      )
      return gateway.getAuthNumbers(connection, accessToken, accountId)
    },

    /**
     * For the lab: each account's Auth numbers as masks (last four digits), or Plaid's error code
     * (PRODUCT_NOT_READY while a micro-deposit is pending). The numbers never leave this function.
     */
    async getAuthMasks(
      session: SessionContext,
    ): Promise<{ accounts: AuthMask[]; error_code: string | null }> {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item && item.status !== 'revoked' ? decryptAccessToken(item) : null
      if (!item || !accessToken) throw new AppError('CONFLICT', 'Link a bank account first.')
      try {
        const all = await gateway.getAllAuthNumbers(connection, accessToken)
        return {
          accounts: all.map((numbers) => ({
            account_id: numbers.accountId,
            account_mask: numbers.account.slice(-4),
            routing_mask: numbers.routing.slice(-4),
            wire_routing_mask: numbers.wireRouting ? numbers.wireRouting.slice(-4) : null,
            is_tokenized_account_number: numbers.isTokenizedAccountNumber,
            verification_status: numbers.verificationStatus,
          })),
          error_code: null,
        }
      } catch (error) {
        if (!(error instanceof PlaidRequestError) || error.errorCode === null) {
          throw error instanceof PlaidRequestError ? appErrorFromPlaid(error) : error
        }
        return { accounts: [], error_code: error.errorCode }
      }
    },
  }
}
