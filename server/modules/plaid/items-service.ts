import { randomUUID } from 'node:crypto'
import type { ItemStatus } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import { QUEUES } from '../../jobs/queue.ts'
import { auditEvent, requestActor } from '../audit/events.ts'
import { principalOf, type RequestOrigin, type SessionContext } from '../auth/service.ts'
import type { BankLinkingDeps, ItemAccess } from './item-access.ts'
import { itemEventTarget, NEEDS_UPDATE } from './item-access.ts'
import * as repository from './repository.ts'
import { toAccountSnapshot } from './repository.ts'
import type { StatusResult } from './service.ts'

/** A principal's linked Item: its status, unlinking it, refreshing its accounts, and the sandbox simulations the lab offers. */
export function createItemsService(deps: BankLinkingDeps, access: ItemAccess) {
  const { db, gateway, audit } = deps
  const { connectionFor, decryptAccessToken, plaidCall, removeAtPlaid, removeRetiredItem } = access
  return {
    async getStatus(session: SessionContext): Promise<StatusResult> {
      const row = await repository.findStatus(db, {
        owner: principalOf(session),
        defaultEnvironment: deps.defaultEnvironment,
      })
      const item = row.item
      const status = item?.status === 'removed' ? null : item
      return {
        connected: status !== null && status !== undefined && status.status !== 'revoked',
        environment: row.environment,
        item: status
          ? {
              item_id: status.plaidItemId,
              institution_id: status.institutionId,
              institution_name: status.institutionName,
              status: status.status as Exclude<ItemStatus, 'removed'>,
              accounts: status.accounts,
              consent_expires_at: status.consentExpiresAt?.toISOString() ?? null,
              linked_at: status.linkedAt.toISOString(),
              updated_at: status.updatedAt.toISOString(),
            }
          : null,
        action:
          !status || status.status === 'revoked'
            ? 'link'
            : NEEDS_UPDATE.has(status.status) || status.hasNewAccounts
              ? 'update'
              : null,
      }
    },

    removeRetiredItem,

    /** Unlinks the user's Item in the active environment; calling it again is harmless. */
    async unlink(session: SessionContext, origin: RequestOrigin): Promise<{ removed: boolean }> {
      const connection = await connectionFor(session.workspace.id)
      const owner = principalOf(session)
      const item = await repository.findLiveItem(db, owner, connection.environment)
      if (!item) return { removed: false }
      const accessToken = decryptAccessToken(item)
      const isRemovedAtPlaid = accessToken ? await removeAtPlaid(connection, accessToken) : true
      if (!isRemovedAtPlaid) {
        throw new AppError(
          'PLAID_UNAVAILABLE',
          'Plaid could not remove the connection right now. Please try again.',
        )
      }
      await db.transaction(async (tx) => {
        await repository.markItemRemoved(tx, owner, item.id)
        await deps.jobs.enqueue(tx, QUEUES.plaidItemRetired, {
          plaidItemId: item.plaidItemId,
          reason: 'removed',
        })
        await audit.record(
          auditEvent(
            requestActor(session, origin),
            'plaid.item_removed',
            itemEventTarget(session, {
              item_id: item.plaidItemId,
              institution_id: item.institutionId,
              environment: item.environment,
            }),
          ),
          tx,
        )
      })
      return { removed: true }
    },

    /**
     * Asks Plaid for the principal's accounts again and stores their verification status: after a
     * Same-Day deposit code was confirmed in Link (update mode), which sends no webhook. Returns the
     * status; signing hears about changed accounts through a job queued with them.
     */
    async refreshAccounts(session: SessionContext, origin: RequestOrigin): Promise<StatusResult> {
      const connection = await connectionFor(session.workspace.id)
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item && item.status !== 'revoked' ? decryptAccessToken(item) : null
      if (!item || !accessToken) throw new AppError('CONFLICT', 'Link a bank account first.')
      const accounts = await plaidCall(() => gateway.getAccounts(connection, accessToken))
      await db.transaction(async (tx) => {
        const changed = await repository.syncAccounts(tx, item.id, accounts.map(toAccountSnapshot))
        if (changed.length > 0) {
          await audit.record(
            auditEvent(
              requestActor(session, origin),
              'plaid.accounts_refreshed',
              itemEventTarget(session, {
                item_id: item.plaidItemId,
                verification_changes: changed,
              }),
            ),
            tx,
          )
          await deps.jobs.enqueue(tx, QUEUES.plaidAccountsVerificationChanged, {
            plaidItemId: item.plaidItemId,
            changes: changed,
            changeKey: `refresh:${randomUUID()}`,
          })
        }
      })
      return this.getStatus(session)
    },

    /** Sandbox-only simulations for the lab: make Plaid put the user's Item into a state. */
    async simulate(
      session: SessionContext,
      simulation:
        | { kind: 'reset_login' }
        | { kind: 'fire_webhook'; webhookCode: string }
        | {
            kind: 'set_verification_status'
            accountId: string
            status: 'automatically_verified' | 'verification_expired'
          },
      origin: RequestOrigin,
    ): Promise<void> {
      const connection = await connectionFor(session.workspace.id)
      if (connection.environment === 'production') {
        throw new AppError('FORBIDDEN', 'Simulations are only available in the emulator and Plaid Sandbox.')
      }
      const item = await repository.findLiveItem(db, principalOf(session), connection.environment)
      const accessToken = item ? decryptAccessToken(item) : null
      if (!item || !accessToken) throw new AppError('CONFLICT', 'Link a bank account first.')
      await plaidCall(() =>
        simulation.kind === 'reset_login'
          ? gateway.resetLoginInSandbox(connection, accessToken)
          : simulation.kind === 'set_verification_status'
            ? gateway.setVerificationStatusInSandbox(
                connection,
                accessToken,
                simulation.accountId,
                simulation.status,
              )
            : gateway.fireWebhookInSandbox(
                connection,
                accessToken,
                simulation.webhookCode,
                // Safeclose links Auth Items: their DEFAULT_UPDATE is Auth's (Plaid's default type is
                // TRANSACTIONS, which an Auth Item refuses with SANDBOX_PRODUCT_NOT_ENABLED).
                simulation.webhookCode === 'DEFAULT_UPDATE' ? 'AUTH' : undefined,
              ),
      )
      await audit.record(
        auditEvent(
          requestActor(session, origin),
          'plaid.sandbox_simulation',
          itemEventTarget(session, {
            item_id: item.plaidItemId,
            simulation: simulation.kind,
            webhook_code: simulation.kind === 'fire_webhook' ? simulation.webhookCode : null,
            ...(simulation.kind === 'set_verification_status'
              ? { account_id: simulation.accountId, verification_status: simulation.status }
              : {}),
          }),
        ),
      )
    },
  }
}
