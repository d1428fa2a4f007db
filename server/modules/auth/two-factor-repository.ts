import { and, count, eq, gt, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import {
  memberships,
  pendingSignIns,
  recoveryCodes,
  sessions,
  users,
  userTotp,
  workspaceSecurityPolicies,
} from '../../../db/schema.ts'

export type TotpRecord = {
  secretCiphertext: string
  secretKeyId: string
  enabledAt: Date | null
  lastUsedStep: number | null
}

export async function findTotp(db: Queryable, userId: string): Promise<TotpRecord | null> {
  const [row] = await db
    .select({
      secretCiphertext: userTotp.secretCiphertext,
      secretKeyId: userTotp.secretKeyId,
      enabledAt: userTotp.enabledAt,
      lastUsedStep: userTotp.lastUsedStep,
    })
    .from(userTotp)
    .where(eq(userTotp.userId, userId))
  return row ?? null
}

export async function listTotpSecrets(
  db: Queryable,
): Promise<Array<{ userId: string; secretCiphertext: string; secretKeyId: string }>> {
  return db
    .select({
      userId: userTotp.userId,
      secretCiphertext: userTotp.secretCiphertext,
      secretKeyId: userTotp.secretKeyId,
    })
    .from(userTotp)
}

/** Re-encrypted by `npm run keys:rotate`; only when the stored value is still the one read. */
export async function replaceTotpCiphertext(
  db: Queryable,
  userId: string,
  previousCiphertext: string,
  secret: { ciphertext: string; keyId: string },
): Promise<void> {
  await db
    .update(userTotp)
    .set({ secretCiphertext: secret.ciphertext, secretKeyId: secret.keyId })
    .where(and(eq(userTotp.userId, userId), eq(userTotp.secretCiphertext, previousCiphertext)))
}

export async function isTotpEnabled(db: Queryable, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: userTotp.userId })
    .from(userTotp)
    .where(and(eq(userTotp.userId, userId), isNotNull(userTotp.enabledAt)))
  return row !== undefined
}

/** Which of these users have TOTP enabled. */
export async function listTotpEnabledUserIds(db: Queryable, userIds: string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set()
  const rows = await db
    .select({ userId: userTotp.userId })
    .from(userTotp)
    .where(and(inArray(userTotp.userId, userIds), isNotNull(userTotp.enabledAt)))
  return new Set(rows.map((row) => row.userId))
}

/** Stores a new pending secret, replacing an earlier pending one; never touches an enabled one. */
export async function savePendingTotp(
  db: Queryable,
  userId: string,
  secret: { ciphertext: string; keyId: string },
): Promise<boolean> {
  const rows = await db
    .insert(userTotp)
    .values({ userId, secretCiphertext: secret.ciphertext, secretKeyId: secret.keyId })
    .onConflictDoUpdate({
      target: userTotp.userId,
      set: { secretCiphertext: secret.ciphertext, secretKeyId: secret.keyId, lastUsedStep: null },
      setWhere: isNull(userTotp.enabledAt),
    })
    .returning({ userId: userTotp.userId })
  return rows.length === 1
}

/** Confirms the pending secret with the time step of the code that proved it. */
export async function enableTotp(db: Queryable, userId: string, step: number, now: Date): Promise<boolean> {
  const rows = await db
    .update(userTotp)
    .set({ enabledAt: now, lastUsedStep: step })
    .where(and(eq(userTotp.userId, userId), isNull(userTotp.enabledAt)))
    .returning({ userId: userTotp.userId })
  return rows.length === 1
}

/**
 * Claims a time step for an accepted code: succeeds only when it is later than the last one used, so
 * the same code (or an older one) is never accepted twice, even by two requests at once.
 */
export async function claimTotpStep(db: Queryable, userId: string, step: number): Promise<boolean> {
  const rows = await db
    .update(userTotp)
    .set({ lastUsedStep: step })
    .where(
      and(
        eq(userTotp.userId, userId),
        isNotNull(userTotp.enabledAt),
        or(isNull(userTotp.lastUsedStep), lt(userTotp.lastUsedStep, step)),
      ),
    )
    .returning({ userId: userTotp.userId })
  return rows.length === 1
}

export async function deleteTotp(db: Queryable, userId: string): Promise<void> {
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
  await db.delete(userTotp).where(eq(userTotp.userId, userId))
}

export async function replaceRecoveryCodes(
  db: Queryable,
  userId: string,
  codeHashes: string[],
): Promise<void> {
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
  await db.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })))
}

/** Marks an unused recovery code used; false when it is unknown or was used before. */
export async function spendRecoveryCode(
  db: Queryable,
  userId: string,
  codeHash: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, codeHash),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ id: recoveryCodes.id })
  return rows.length === 1
}

export async function countUnusedRecoveryCodes(db: Queryable, userId: string): Promise<number> {
  const [row] = await db
    .select({ unused: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
  return row?.unused ?? 0
}

export async function insertPendingSignIn(
  db: Queryable,
  pending: { tokenHash: string; userId: string; workspaceId: string; expiresAt: Date },
): Promise<void> {
  await db.insert(pendingSignIns).values(pending)
}

/**
 * Counts one attempt on a live pending sign-in and returns it, or null when the pending sign-in is
 * unknown, expired or has no attempt left. Counting before checking the code keeps concurrent
 * guesses within the limit.
 */
export async function countPendingSignInAttempt(
  db: Queryable,
  tokenHash: string,
  now: Date,
  maxAttempts: number,
): Promise<{ userId: string; workspaceId: string; attempts: number } | null> {
  const [row] = await db
    .update(pendingSignIns)
    .set({ attempts: sql`${pendingSignIns.attempts} + 1` })
    .where(
      and(
        eq(pendingSignIns.tokenHash, tokenHash),
        gt(pendingSignIns.expiresAt, now),
        lt(pendingSignIns.attempts, maxAttempts),
      ),
    )
    .returning({
      userId: pendingSignIns.userId,
      workspaceId: pendingSignIns.workspaceId,
      attempts: pendingSignIns.attempts,
    })
  return row ?? null
}

export async function deletePendingSignIn(db: Queryable, tokenHash: string): Promise<void> {
  await db.delete(pendingSignIns).where(eq(pendingSignIns.tokenHash, tokenHash))
}

export async function deleteExpiredPendingSignIns(db: Queryable, now: Date): Promise<void> {
  await db.delete(pendingSignIns).where(lte(pendingSignIns.expiresAt, now))
}

export async function findPasswordHash(db: Queryable, userId: string): Promise<string | null> {
  const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId))
  return row?.passwordHash ?? null
}

export async function findSessionAuthenticatedAt(db: Queryable, tokenHash: string): Promise<Date | null> {
  const [row] = await db
    .select({ authenticatedAt: sessions.authenticatedAt })
    .from(sessions)
    .where(eq(sessions.tokenHash, tokenHash))
  return row?.authenticatedAt ?? null
}

export async function markSessionAuthenticated(db: Queryable, tokenHash: string, at: Date): Promise<void> {
  await db.update(sessions).set({ authenticatedAt: at }).where(eq(sessions.tokenHash, tokenHash))
}

export async function findSecurityPolicy(
  db: Queryable,
  workspaceId: string,
): Promise<{ requireTwoFactor: boolean; updatedAt: Date } | null> {
  const [row] = await db
    .select({
      requireTwoFactor: workspaceSecurityPolicies.requireTwoFactor,
      updatedAt: workspaceSecurityPolicies.updatedAt,
    })
    .from(workspaceSecurityPolicies)
    .where(eq(workspaceSecurityPolicies.workspaceId, workspaceId))
  return row ?? null
}

export async function saveSecurityPolicy(
  db: Queryable,
  policy: { workspaceId: string; requireTwoFactor: boolean; updatedBy: string; updatedAt: Date },
): Promise<void> {
  await db
    .insert(workspaceSecurityPolicies)
    .values(policy)
    .onConflictDoUpdate({
      target: workspaceSecurityPolicies.workspaceId,
      set: {
        requireTwoFactor: policy.requireTwoFactor,
        updatedBy: policy.updatedBy,
        updatedAt: policy.updatedAt,
      },
    })
}

/**
 * Does the workspace require two-factor while this member (an admin or manager there) has not enabled
 * it? For a session just opened inside a transaction; the session lookup (repository.ts
 * `findLiveSession`) answers the same question for every later request, so the role guard needs no query.
 */
export async function isHeldByTwoFactorPolicy(
  db: Queryable,
  workspaceId: string,
  userId: string,
): Promise<boolean> {
  const [row] = await db
    .select({ held: sql<boolean>`true` })
    .from(workspaceSecurityPolicies)
    .innerJoin(
      memberships,
      and(eq(memberships.workspaceId, workspaceSecurityPolicies.workspaceId), eq(memberships.userId, userId)),
    )
    .where(
      and(
        eq(workspaceSecurityPolicies.workspaceId, workspaceId),
        eq(workspaceSecurityPolicies.requireTwoFactor, true),
        sql`${memberships.role} in ('admin', 'manager')`,
        sql`not exists (select 1 from ${userTotp} where ${userTotp.userId} = ${userId} and ${userTotp.enabledAt} is not null)`,
      ),
    )
  return row !== undefined
}
