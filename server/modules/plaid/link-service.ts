import { randomUUID } from 'node:crypto'
import { AppError } from '../../errors.ts'
import { principalOf, type RequestOrigin, type SessionContext } from '../auth/service.ts'
import type { BankLinkingDeps, ItemAccess } from './item-access.ts'
import { LINK_HOME, LINK_RESUME_TTL_MS, LINK_TOKEN_PURPOSE, NEEDS_UPDATE } from './item-access.ts'
import * as repository from './repository.ts'
import type { ExchangeResult, LinkEventInput, LinkTokenResult, OAuthResume } from './service.ts'

/** Link: link tokens (create and update mode), the OAuth return, Link's events, and exchanging the public token for a stored Item. */
export function createLinkService(deps: BankLinkingDeps, access: ItemAccess) {
  const { db, gateway, keyring, settings } = deps
  const now = deps.now ?? (() => new Date())
  const { connectionFor, decryptAccessToken, plaidCall, removeAtPlaid, keepExchangedItem } = access
  return {
    async createLinkToken(
      session: SessionContext,
      request: { mode?: 'create' | 'update' },
    ): Promise<LinkTokenResult> {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const isUpdateWanted =
        request.mode === 'update' || (item !== null && (NEEDS_UPDATE.has(item.status) || item.hasNewAccounts))
      if (request.mode === 'update' && (!item || item.status === 'revoked')) {
        throw new AppError('CONFLICT', 'There is no bank connection to update. Link an account first.')
      }
      const accessToken = isUpdateWanted && item ? decryptAccessToken(item) : null
      if (request.mode === 'update' && !accessToken) {
        throw new AppError(
          'ENCRYPTION_KEY_MISSING',
          'The stored bank connection cannot be read. Ask your administrator to check the encryption key configuration.',
        )
      }
      const token = await plaidCall(() =>
        gateway.createLinkToken(connection, {
          // Our opaque principal id: Plaid never learns the user's name or e-mail from us.
          clientUserId: session.principal === 'member' ? session.user.id : session.signer.id,
          webhookUrl: connection.webhookUrl,
          redirectUri: connection.oauthRedirectUri,
          ...(accessToken ? { accessToken, shouldSelectNewAccounts: item?.hasNewAccounts ?? false } : {}),
        }),
      )
      const mode = accessToken ? 'update' : 'create'
      // An OAuth bank may send a mobile browser away and back to /oauth-return: keep the token here
      // (encrypted, never in a URL) so that page can re-open Link with it.
      if (connection.oauthRedirectUri && keyring.status.isConfigured) {
        const id = randomUUID()
        const encrypted = keyring.encrypt(token.linkToken, { purpose: LINK_TOKEN_PURPOSE, rowId: id })
        const tokenExpiry = new Date(token.expiration).getTime()
        await repository.saveLinkResume(db, principalOf(session), {
          id,
          environment: connection.environment,
          mode,
          linkTokenCiphertext: encrypted.ciphertext,
          linkTokenKeyId: encrypted.keyId,
          expiresAt: new Date(Math.min(now().getTime() + LINK_RESUME_TTL_MS, tokenExpiry || Infinity)),
        })
      }
      return {
        link_token: token.linkToken,
        expiration: token.expiration,
        environment: connection.environment,
        mode,
        persist_ready: keyring.status.isConfigured,
      }
    },

    /**
     * The link token the principal had in flight when a bank's OAuth redirect took them away, and
     * where to continue. 404 when there is none (expired, already used, or never an OAuth hand-off).
     */
    async getOAuthResume(session: SessionContext): Promise<OAuthResume> {
      const resume = await repository.findLinkResume(db, principalOf(session), now())
      const linkToken =
        resume && keyring.status.isConfigured
          ? keyring.decrypt(
              { keyId: resume.linkTokenKeyId, ciphertext: resume.linkTokenCiphertext },
              { purpose: LINK_TOKEN_PURPOSE, rowId: resume.id },
            )
          : null
      if (!resume || !linkToken) {
        throw new AppError(
          'NOT_FOUND',
          'This bank sign-in can no longer be resumed. Start linking your bank account again.',
        )
      }
      return {
        link_token: linkToken,
        mode: resume.mode,
        environment: resume.environment,
        return_to: LINK_HOME[session.principal],
      }
    },

    deleteExpiredLinkResumes(): Promise<number> {
      return repository.deleteExpiredLinkResumes(db, now())
    },

    /** The latest Link callbacks this principal reported in the active environment (the lab's timeline). */
    async listLinkEvents(session: SessionContext) {
      const environment = await settings.getActiveEnvironment(session.workspace.id)
      const rows = await repository.listLinkEvents(db, principalOf(session), environment, 100)
      return {
        events: rows.map((row) => ({
          type: row.kind,
          event_name: row.eventName,
          view_name: row.viewName,
          link_session_id: row.linkSessionId,
          request_id: row.requestId,
          error_type: row.errorType,
          error_code: row.errorCode,
          institution_id: row.institutionId,
          exit_status: row.exitStatus,
          timestamp: (row.occurredAt ?? row.receivedAt).toISOString(),
        })),
      }
    },

    async recordLinkEvents(session: SessionContext, events: LinkEventInput[]): Promise<void> {
      const environment = await settings.getActiveEnvironment(session.workspace.id)
      await repository.insertLinkEvents(
        db,
        principalOf(session),
        events.map((event) => ({
          environment,
          kind: event.type,
          eventName: event.event_name ?? null,
          viewName: event.view_name ?? null,
          linkSessionId: event.link_session_id ?? null,
          requestId: event.request_id ?? null,
          errorType: event.error_type ?? null,
          errorCode: event.error_code ?? null,
          institutionId: event.institution_id ?? null,
          exitStatus: event.exit_status ?? null,
          occurredAt: event.timestamp ? new Date(event.timestamp) : null,
        })),
      )
    },

    async exchangePublicToken(
      session: SessionContext,
      publicToken: string,
      origin: RequestOrigin,
    ): Promise<ExchangeResult> {
      const connection = await connectionFor(session.workspace.id)
      const exchanged = await plaidCall(() => gateway.exchangePublicToken(connection, publicToken))
      try {
        const result = await keepExchangedItem(session, origin, connection, exchanged)
        // The token in flight is spent: an OAuth return must not re-open Link with it.
        await repository.deleteLinkResume(db, principalOf(session))
        return result
      } catch (error) {
        // The Item exists at Plaid but we could not keep it: remove it, so no orphaned, billable
        // connection stays behind, unless it is the user's current Item (a relink of the same one).
        const current = await repository
          .findLiveItem(db, principalOf(session), connection.environment)
          .catch(() => null)
        if (current?.plaidItemId !== exchanged.itemId) {
          const isRemoved = await removeAtPlaid(connection, exchanged.accessToken)
          deps.logger.warn(
            { item_id: exchanged.itemId, removed_at_plaid: isRemoved },
            'exchanged Item not kept',
          )
        }
        throw error
      }
    },
  }
}
