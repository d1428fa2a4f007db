import { createHash, randomBytes, randomInt } from 'node:crypto'
import { generateSecret, generateURI, verify } from 'otplib'
import type { Database } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import { type Keyring, KeyringError, rotateStoredValues } from '../../security/keyring.ts'
import type { AuditAction } from '../audit/actions.ts'
import { auditEvent, requestActor, userActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import { verifyPassword } from './password.ts'
import type { AuthService, MemberSession, MemberSignIn, RequestOrigin, SecondFactorGate } from './service.ts'
import { hashSessionToken } from './service.ts'
import * as repository from './two-factor-repository.ts'

/** The pending sign-in's cookie: sent only to /api/auth/sign-in/*, and not a session. */
export const PENDING_SIGN_IN_COOKIE = 'safeclose_2fa'
/** RFC 6238 defaults that every authenticator app understands: SHA-1, 6 digits, 30 seconds. */
const TOTP_PERIOD_SECONDS = 30
/** How long a pending sign-in (password right, code still to come) lives. */
export const PENDING_SIGN_IN_TTL_MS = 5 * 60_000
/** Wrong codes one pending sign-in may take before it dies. */
export const PENDING_SIGN_IN_MAX_ATTEMPTS = 5
/** How long a sign-in or `POST /api/auth/reauth` counts as recent for `requireRecentAuth`. */
export const RECENT_AUTH_WINDOW_MS = 5 * 60_000
export const RECOVERY_CODE_COUNT = 10
const TOTP_ISSUER = 'Safeclose'
const TOTP_SECRET_PURPOSE = 'totp-secret'
// 32 symbols without look-alikes (no i, l, o, u): 10 symbols = 50 bits per code.
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'

export type SecondFactorProof = { code?: string; recovery_code?: string }

export type TwoFactorStatus = {
  totp_enabled: boolean
  totp_pending: boolean
  recovery_codes_remaining: number
  /** The workspace requires two-factor of this member's role. */
  required: boolean
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>

/** Only what the auth service needs at sign-in; made before it, so the two do not depend on each other. */
export function createSecondFactorGate(deps: { db: Database; now?: () => Date }): SecondFactorGate {
  const now = deps.now ?? (() => new Date())
  return {
    async startIfEnrolled({ userId, workspaceId }) {
      if (!(await repository.isTotpEnabled(deps.db, userId))) return null
      const token = randomBytes(32).toString('base64url')
      const expiresAt = new Date(now().getTime() + PENDING_SIGN_IN_TTL_MS)
      await repository.deleteExpiredPendingSignIns(deps.db, now())
      await repository.insertPendingSignIn(deps.db, {
        tokenHash: hashSessionToken(token),
        userId,
        workspaceId,
        expiresAt,
      })
      return { token, expiresAt }
    },
  }
}

export function createTwoFactorService(deps: {
  db: Database
  keyring: Keyring
  audit: AuditService
  auth: AuthService
  now?: () => Date
}) {
  const now = deps.now ?? (() => new Date())

  function decryptSecret(userId: string, record: repository.TotpRecord): string {
    return deps.keyring.decrypt(
      { keyId: record.secretKeyId, ciphertext: record.secretCiphertext },
      { purpose: TOTP_SECRET_PURPOSE, rowId: userId },
    )
  }

  /** The time step a code matches (±1 step), or null; never a step at or before `lastUsedStep`. */
  async function matchingStep(secret: string, code: string, lastUsedStep: number | null) {
    const epoch = Math.floor(now().getTime() / 1000)
    const currentStep = Math.floor(epoch / TOTP_PERIOD_SECONDS)
    if (lastUsedStep !== null && lastUsedStep >= currentStep + 1) return null
    try {
      const result = await verify({
        secret,
        token: code,
        epoch,
        period: TOTP_PERIOD_SECONDS,
        epochTolerance: TOTP_PERIOD_SECONDS,
        ...(lastUsedStep === null ? {} : { afterTimeStep: lastUsedStep }),
      })
      return result.valid && 'timeStep' in result ? result.timeStep : null
    } catch {
      return null
    }
  }

  async function audit(
    action: AuditAction,
    who: { userId: string; workspaceId: string },
    origin: RequestOrigin,
    details?: Record<string, unknown>,
  ) {
    await deps.audit.record(
      auditEvent(userActor(who.userId, origin), action, {
        chain: workspaceChain(who.workspaceId),
        subject: { type: 'user', id: who.userId },
        details: details ?? {},
      }),
    )
  }

  /**
   * Checks a TOTP code or a recovery code of a user with TOTP enabled and uses it up: the code's time
   * step is stored (no code twice), a recovery code is marked used. Throws INVALID_CODE otherwise.
   */
  async function spendSecondFactor(
    who: { userId: string; workspaceId: string },
    proof: SecondFactorProof,
    origin: RequestOrigin,
  ): Promise<'totp' | 'recovery_code'> {
    const record = await repository.findTotp(deps.db, who.userId)
    if (!record?.enabledAt) throw new AppError('CONFLICT', 'Two-factor sign-in is not enabled.')
    if (proof.code !== undefined) {
      const step = await matchingStep(
        decryptSecret(who.userId, record),
        normalizeCode(proof.code),
        record.lastUsedStep,
      )
      if (step === null || !(await repository.claimTotpStep(deps.db, who.userId, step))) {
        throw new AppError('INVALID_CODE', 'The code is incorrect or was already used.', {
          details: { field: 'code' },
        })
      }
      return 'totp'
    }
    const used = await repository.spendRecoveryCode(
      deps.db,
      who.userId,
      hashRecoveryCode(proof.recovery_code ?? ''),
      now(),
    )
    if (!used) {
      throw new AppError('INVALID_CODE', 'The recovery code is incorrect or was already used.', {
        details: { field: 'recovery_code' },
      })
    }
    const remaining = await repository.countUnusedRecoveryCodes(deps.db, who.userId)
    await audit('auth.recovery_code_used', who, origin, { recovery_codes_remaining: remaining })
    return 'recovery_code'
  }

  return {
    async status(session: MemberSession): Promise<TwoFactorStatus> {
      const [record, remaining, policy] = await Promise.all([
        repository.findTotp(deps.db, session.user.id),
        repository.countUnusedRecoveryCodes(deps.db, session.user.id),
        repository.findSecurityPolicy(deps.db, session.workspace.id),
      ])
      return {
        totp_enabled: Boolean(record?.enabledAt),
        totp_pending: Boolean(record && !record.enabledAt),
        recovery_codes_remaining: record?.enabledAt ? remaining : 0,
        required:
          Boolean(policy?.requireTwoFactor) && (session.role === 'admin' || session.role === 'manager'),
      }
    },

    /** A new secret, stored encrypted as pending until a code from it enables it. */
    async setup(session: MemberSession): Promise<{ secret: string; otpauth_url: string }> {
      if (!deps.keyring.status.isConfigured) {
        throw new AppError('ENCRYPTION_KEY_MISSING', 'No encryption key is configured for secrets.')
      }
      const secret = generateSecret({ length: 20 })
      const encrypted = deps.keyring.encrypt(secret, { purpose: TOTP_SECRET_PURPOSE, rowId: session.user.id })
      const saved = await repository.savePendingTotp(deps.db, session.user.id, encrypted)
      if (!saved) throw new AppError('CONFLICT', 'Two-factor sign-in is already enabled. Disable it first.')
      return {
        secret,
        otpauth_url: generateURI({ issuer: TOTP_ISSUER, label: session.user.email, secret }),
      }
    },

    /** Confirms the pending secret with a code from it; returns the recovery codes, shown once. */
    async enable(
      session: MemberSession,
      code: string,
      origin: RequestOrigin,
    ): Promise<{ recovery_codes: string[] }> {
      const userId = session.user.id
      const record = await repository.findTotp(deps.db, userId)
      if (!record) throw new AppError('CONFLICT', 'Set up an authenticator first.')
      if (record.enabledAt) throw new AppError('CONFLICT', 'Two-factor sign-in is already enabled.')
      const step = await matchingStep(decryptSecret(userId, record), normalizeCode(code), null)
      if (step === null) {
        throw new AppError('INVALID_CODE', 'The code is incorrect. Check the time on your device.', {
          details: { field: 'code' },
        })
      }
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode)
      await deps.db.transaction(async (tx) => {
        // Their sessions stop being held by the workspace policy: no instance may keep the old answer.
        deps.auth.forgetSessionsOfUser(userId)
        if (!(await repository.enableTotp(tx, userId, step, now()))) {
          throw new AppError('CONFLICT', 'Two-factor sign-in is already enabled.')
        }
        await repository.replaceRecoveryCodes(tx, userId, codes.map(hashRecoveryCode))
        await deps.audit.record(
          auditEvent(userActor(userId, origin), 'auth.two_factor_enabled', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'user', id: userId },
            details: { method: 'totp', recovery_codes: RECOVERY_CODE_COUNT },
          }),
          tx,
        )
      })
      return { recovery_codes: codes }
    },

    /** Turns TOTP off with a current code or a recovery code; its recovery codes go with it. */
    async disable(session: MemberSession, proof: SecondFactorProof, origin: RequestOrigin): Promise<void> {
      const who = { userId: session.user.id, workspaceId: session.workspace.id }
      const method = await spendSecondFactor(who, proof, origin)
      await deps.db.transaction(async (tx) => {
        deps.auth.forgetSessionsOfUser(who.userId)
        await repository.deleteTotp(tx, who.userId)
        await deps.audit.record(
          auditEvent(userActor(who.userId, origin), 'auth.two_factor_disabled', {
            chain: workspaceChain(who.workspaceId),
            subject: { type: 'user', id: who.userId },
            details: { method: 'totp', proved_with: method },
          }),
          tx,
        )
      })
    },

    /**
     * Completes a pending sign-in with a code or a recovery code. Every attempt counts; after
     * PENDING_SIGN_IN_MAX_ATTEMPTS wrong ones the pending sign-in is gone and the password is asked again.
     */
    async completeSignIn(
      pendingToken: string,
      proof: SecondFactorProof,
      origin: RequestOrigin,
    ): Promise<MemberSignIn> {
      const tokenHash = hashSessionToken(pendingToken)
      const pending = await repository.countPendingSignInAttempt(
        deps.db,
        tokenHash,
        now(),
        PENDING_SIGN_IN_MAX_ATTEMPTS,
      )
      if (!pending) {
        await repository.deletePendingSignIn(deps.db, tokenHash)
        throw expiredSignIn()
      }
      const who = { userId: pending.userId, workspaceId: pending.workspaceId }
      let method: 'totp' | 'recovery_code'
      try {
        method = await spendSecondFactor(who, proof, origin)
      } catch (error) {
        const left = PENDING_SIGN_IN_MAX_ATTEMPTS - pending.attempts
        if (error instanceof AppError && error.code === 'INVALID_CODE' && left > 0) {
          throw new AppError(
            'INVALID_CODE',
            `${error.message} ${left} attempt${left === 1 ? '' : 's'} left.`,
            {
              details: error.details,
            },
          )
        }
        await repository.deletePendingSignIn(deps.db, tokenHash)
        if (error instanceof AppError && error.code === 'INVALID_CODE') {
          throw new AppError('TWO_FACTOR_SIGN_IN_EXPIRED', 'Too many wrong codes. Sign in again.')
        }
        // Two-factor was turned off meanwhile, or the secret cannot be read: start over.
        if (error instanceof AppError || error instanceof KeyringError) throw expiredSignIn()
        throw error
      }
      await repository.deletePendingSignIn(deps.db, tokenHash)
      return deps.auth.openMemberSession({ ...who, secondFactor: method, ...origin })
    },

    /** Marks the session freshly authenticated, with the password or (TOTP users) a code. */
    async reauthenticate(
      session: MemberSession,
      sessionToken: string,
      proof: { password?: string; code?: string },
      origin: RequestOrigin,
    ): Promise<{ authenticated_until: string }> {
      if (proof.password !== undefined) {
        const stored = await repository.findPasswordHash(deps.db, session.user.id)
        if (!stored || !(await verifyPassword(proof.password, stored))) {
          throw new AppError('INVALID_CREDENTIALS', 'The password is incorrect.', {
            details: { field: 'password' },
          })
        }
      } else {
        await spendSecondFactor({ userId: session.user.id, workspaceId: session.workspace.id }, proof, origin)
      }
      const at = now()
      await repository.markSessionAuthenticated(deps.db, hashSessionToken(sessionToken), at)
      return { authenticated_until: new Date(at.getTime() + RECENT_AUTH_WINDOW_MS).toISOString() }
    },

    /** True when the session proved who it is within RECENT_AUTH_WINDOW_MS. */
    async isRecentlyAuthenticated(sessionToken: string): Promise<boolean> {
      const at = await repository.findSessionAuthenticatedAt(deps.db, hashSessionToken(sessionToken))
      return at !== null && now().getTime() - at.getTime() < RECENT_AUTH_WINDOW_MS
    },

    async getPolicy(workspaceId: string): Promise<{ require_two_factor: boolean }> {
      const policy = await repository.findSecurityPolicy(deps.db, workspaceId)
      return { require_two_factor: policy?.requireTwoFactor ?? false }
    },

    async updatePolicy(
      session: MemberSession,
      update: { require_two_factor: boolean },
      origin: RequestOrigin,
    ): Promise<{ require_two_factor: boolean }> {
      // An administrator who switched it on without a second factor would lock themselves out.
      if (update.require_two_factor && !(await repository.isTotpEnabled(deps.db, session.user.id))) {
        throw new AppError(
          'CONFLICT',
          'Enable two-factor sign-in for your own account before requiring it of others.',
        )
      }
      await deps.db.transaction(async (tx) => {
        deps.auth.forgetSessionsOfWorkspace(session.workspace.id)
        await repository.saveSecurityPolicy(tx, {
          workspaceId: session.workspace.id,
          requireTwoFactor: update.require_two_factor,
          updatedBy: session.user.id,
          updatedAt: now(),
        })
        await deps.audit.record(
          auditEvent(requestActor(session, origin), 'workspace.security_policy_updated', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'workspace', id: session.workspace.id },
            details: { require_two_factor: update.require_two_factor },
          }),
          tx,
        )
      })
      return { require_two_factor: update.require_two_factor }
    },
  }
}

/** `npm run keys:rotate`: every TOTP secret (enabled or pending) under the active key. */
export async function rotateStoredTotpSecrets(deps: { db: Database; keyring: Keyring }): Promise<number> {
  const rows = await repository.listTotpSecrets(deps.db)
  const previous = new Map(rows.map((row) => [row.userId, row.secretCiphertext]))
  return rotateStoredValues(
    deps.keyring,
    TOTP_SECRET_PURPOSE,
    rows.map((row) => ({
      rowId: row.userId,
      value: { keyId: row.secretKeyId, ciphertext: row.secretCiphertext },
    })),
    (userId, encrypted) =>
      repository.replaceTotpCiphertext(deps.db, userId, previous.get(userId) ?? '', encrypted),
  )
}

function expiredSignIn(): AppError {
  return new AppError('TWO_FACTOR_SIGN_IN_EXPIRED', 'This sign-in expired. Sign in again with your password.')
}

function normalizeCode(code: string): string {
  return code.replaceAll(/\s/g, '')
}

function newRecoveryCode(): string {
  let code = ''
  for (let index = 0; index < 10; index += 1) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]
  return `${code.slice(0, 5)}-${code.slice(5)}`
}

/** Case, spaces and dashes do not matter when a recovery code is typed back. */
export function hashRecoveryCode(code: string): string {
  const normalized = code.toLowerCase().replaceAll(/[\s-]/g, '')
  return createHash('sha256').update(`safeclose-recovery:${normalized}`).digest('base64url')
}
