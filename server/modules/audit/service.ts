import { createHash } from 'node:crypto'
import type { Database, Queryable } from '../../../db/client.ts'
import type { AuditAction } from './actions.ts'
import * as repository from './repository.ts'

/**
 * The append-only audit log. Every event is hash-chained to the previous event of its chain
 * (`workspace:<id>`, `signing:<id>`), so a changed, removed or reordered row breaks verification.
 * Callers must never put secrets or tokens into `details`. Events are built with `auditEvent`
 * (events.ts), their actions listed in actions.ts.
 */
export type AuditEventInput = {
  chainKey: string
  workspaceId: string | null
  actorUserId: string | null
  /** The signer who acted through their signing link (then `actorUserId` is null). */
  actorSignerId?: string | null
  action: AuditAction
  subjectType?: string | null
  subjectId?: string | null
  details?: Record<string, unknown>
  ipAddress?: string | null
  userAgent?: string | null
}

export type AuditEvent = {
  sequence: number
  action: string
  actorUserId: string | null
  actorSignerId: string | null
  subjectType: string | null
  subjectId: string | null
  details: Record<string, unknown>
  ipAddress: string | null
  userAgent: string | null
  occurredAt: string
  hash: string
}

export type ChainVerification =
  | { isValid: true; eventCount: number }
  | { isValid: false; eventCount: number; firstBrokenSequence: number }

export type AuditService = ReturnType<typeof createAuditService>

const GENESIS_HASH = '0'.repeat(64)

export function createAuditService(deps: { db: Database; now?: () => Date }) {
  const now = deps.now ?? (() => new Date())

  return {
    /** Appends one event. Pass `tx` to make the event part of the caller's transaction. */
    async record(input: AuditEventInput, tx?: Queryable): Promise<void> {
      const write = async (queryable: Queryable) => {
        await repository.lockChain(queryable, input.chainKey)
        const tail = await repository.findChainTail(queryable, input.chainKey)
        const row = {
          chainKey: input.chainKey,
          sequence: (tail?.sequence ?? 0) + 1,
          workspaceId: input.workspaceId,
          actorUserId: input.actorUserId,
          actorSignerId: input.actorSignerId ?? null,
          action: input.action,
          subjectType: input.subjectType ?? null,
          subjectId: input.subjectId ?? null,
          details: input.details ?? {},
          ipAddress: input.ipAddress ?? null,
          userAgent: input.userAgent ?? null,
          occurredAt: now(),
          previousHash: tail?.hash ?? GENESIS_HASH,
        }
        await repository.insertAuditRow(queryable, { ...row, hash: hashEvent(row) })
      }
      // A savepoint inside the caller's transaction, or a transaction of our own: the advisory lock
      // needs a transaction to be released at its end.
      await (tx ?? deps.db).transaction((inner) => write(inner))
    },

    /**
     * Whether an event about `subjectId` carrying `details.change_key = changeKey` is already in the
     * chain: lets a retried job append its event for one change exactly once.
     */
    hasChangeEvent(chainKey: string, subjectId: string, changeKey: string, tx?: Queryable): Promise<boolean> {
      return repository.hasChangeEvent(tx ?? deps.db, chainKey, subjectId, changeKey)
    },

    async listChain(chainKey: string): Promise<AuditEvent[]> {
      const rows = await repository.listChain(deps.db, chainKey)
      return rows.map((row) => ({
        sequence: row.sequence,
        action: row.action,
        actorUserId: row.actorUserId,
        actorSignerId: row.actorSignerId,
        subjectType: row.subjectType,
        subjectId: row.subjectId,
        details: row.details,
        ipAddress: row.ipAddress,
        userAgent: row.userAgent,
        occurredAt: row.occurredAt.toISOString(),
        hash: row.hash,
      }))
    },

    /** The newest events of a chain, newest first, with the acting user's e-mail where known. */
    async listRecent(chainKey: string, limit: number) {
      const rows = await repository.listRecentWithActors(deps.db, chainKey, limit)
      return rows.map((row) => ({
        sequence: row.sequence,
        action: row.action,
        occurred_at: row.occurredAt.toISOString(),
        actor: row.actorUserId
          ? { type: 'member' as const, id: row.actorUserId, email: row.actorEmail }
          : row.actorSignerId
            ? { type: 'signer' as const, id: row.actorSignerId, email: null }
            : null,
        subject_type: row.subjectType,
        subject_id: row.subjectId,
        details: row.details,
        ip_address: row.ipAddress,
        hash: row.hash,
      }))
    },

    /** Recomputes every hash of the chain from the stored rows. */
    async verifyChain(chainKey: string): Promise<ChainVerification> {
      const rows = await repository.listChain(deps.db, chainKey)
      let previousHash = GENESIS_HASH
      for (const [index, row] of rows.entries()) {
        const isIntact =
          row.sequence === index + 1 && row.previousHash === previousHash && hashEvent(row) === row.hash
        if (!isIntact) return { isValid: false, eventCount: rows.length, firstBrokenSequence: index + 1 }
        previousHash = row.hash
      }
      return { isValid: true, eventCount: rows.length }
    },
  }
}

type HashedFields = Omit<repository.AuditRow, 'id' | 'hash'>

function hashEvent(row: HashedFields): string {
  const content = canonicalJson({
    chainKey: row.chainKey,
    sequence: row.sequence,
    workspaceId: row.workspaceId,
    actorUserId: row.actorUserId,
    // Only hashed when set, so the events written before signers had their own actor column verify.
    actorSignerId: row.actorSignerId ?? undefined,
    action: row.action,
    subjectType: row.subjectType,
    subjectId: row.subjectId,
    details: row.details,
    ipAddress: row.ipAddress,
    userAgent: row.userAgent,
    occurredAt: row.occurredAt.toISOString(),
    previousHash: row.previousHash,
  })
  return createHash('sha256').update(content).digest('hex')
}

/** JSON with object keys sorted at every level: jsonb does not keep key order, the hash must not depend on it. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`
}
