import { generateSync } from 'otplib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAuditService } from '../../server/modules/audit/service.ts'
import { createAuthService, hashSessionToken, type MemberSession } from '../../server/modules/auth/service.ts'
import { createSessionCache, type SessionCache } from '../../server/modules/auth/session-cache.ts'
import { createTwoFactorService } from '../../server/modules/auth/two-factor.ts'
import { isHeldByTwoFactorPolicy } from '../../server/modules/auth/two-factor-repository.ts'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { shareTestDatabase } from '../helpers/database.ts'
import {
  deleteSilently,
  OTHER_INSTANCE_DEADLINE_MS,
  refusedWithin,
  tokenHashOf,
} from '../helpers/sessions.ts'

const STRONG = 'correct horse battery staple'

/** A clock the test moves: every app in this file reads it (sessions, cache lifetimes). */
function testClock() {
  let offsetMs = 0
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms
    },
  }
}

async function sessionWithin<T>(
  client: ReturnType<typeof apiClient>,
  cookie: string,
  isDone: (session: JsonBody) => T | undefined,
): Promise<T> {
  const started = Date.now()
  for (;;) {
    const found = isDone(await client.ok('GET', '/api/session', cookie))
    if (found !== undefined) return found
    if (Date.now() - started > OTHER_INSTANCE_DEADLINE_MS) {
      throw new Error(`the change was not seen after ${OTHER_INSTANCE_DEADLINE_MS} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/**
 * What the role guard says of this member session, on GET /api/signings (admins and managers):
 * 'free' (200) or 'held' by the workspace's two-factor policy (403 TWO_FACTOR_REQUIRED).
 */
async function guardOf(client: ReturnType<typeof apiClient>, cookie: string): Promise<'free' | 'held'> {
  const response = await client.call('GET', '/api/signings', cookie)
  if (response.statusCode === 200) return 'free'
  expect(response.statusCode).toBe(403)
  expect(response.json().error.code).toBe('TWO_FACTOR_REQUIRED')
  return 'held'
}

/** Polls the role guard until it says `expected`; fails after the deadline. */
async function guardWithin(
  client: ReturnType<typeof apiClient>,
  cookie: string,
  expected: 'free' | 'held',
): Promise<number> {
  const started = Date.now()
  for (;;) {
    if ((await guardOf(client, cookie)) === expected) return Date.now() - started
    if (Date.now() - started > OTHER_INSTANCE_DEADLINE_MS) {
      throw new Error(`the role guard did not say ${expected} after ${OTHER_INSTANCE_DEADLINE_MS} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The session response carries the declared fields only: the two-factor hold is not one of them. */
const SESSION_RESPONSE_KEYS = ['principal', 'role', 'signer', 'user', 'workspace']

/** How long an instance that changed sessions itself stores nothing new (session-cache.ts). */
const QUIET_AFTER_LOCAL_CHANGE_MS = 2_000

const cookieOf = (response: { cookies: Array<{ name: string; value: string }> }) => {
  const cookie = response.cookies.find((entry) => entry.name === 'safeclose_session')
  if (!cookie) throw new Error('no session cookie')
  return `${cookie.name}=${cookie.value}`
}
// Two app instances over one database (on PGlite, one embedded database shared in this process).
// Every session is read on both before it is revoked, so both have it cached: a revocation that one
// of them did not hear about would keep it alive there for the cache's lifetime (30 s), not 1.5 s.
describe('session cache: revocation across two instances', () => {
  let a: TestApp
  let b: TestApp
  const onA = apiClient(() => a.app)
  const onB = apiClient(() => b.app)

  beforeEach(async () => {
    a = await buildTestApp()
    b = await buildTestApp({ database: await shareTestDatabase(a.database), seedDemo: false })
    // Two apps, and the first time a migrated template too: slow on a loaded machine.
  }, 120_000)
  afterEach(async () => {
    await b?.close()
    await a?.close()
  })

  /** Reads the session on both instances, twice, so each has it cached. */
  async function warm(...cookies: string[]): Promise<void> {
    for (const cookie of cookies) {
      for (const client of [onA, onB, onA, onB]) await client.ok('GET', '/api/session', cookie)
    }
  }

  async function userIdOf(email: string): Promise<string> {
    const { rows } = await a.database.executeSql('select id from users where email = $1', [email])
    return (rows[0] as { id: string }).id
  }

  it('sign-out: refused at once on the instance that signed out, within 1 s on the other', async () => {
    const cookie = await a.signIn(DEMO.manager)
    await warm(cookie)
    expect((await onA.call('POST', '/api/auth/sign-out', cookie)).statusCode).toBe(204)
    expect((await onA.call('GET', '/api/session', cookie)).statusCode).toBe(401)
    expect(await refusedWithin(onB, cookie)).toBeLessThanOrEqual(OTHER_INSTANCE_DEADLINE_MS)
  })

  it('member removal ends the removed member’s sessions on both instances', async () => {
    const admin = await a.signIn(DEMO.admin)
    const manager = await a.signIn(DEMO.manager)
    await warm(admin, manager)
    const managerId = await userIdOf(DEMO.manager)
    expect((await onA.call('DELETE', `/api/admin/members/${managerId}`, admin)).statusCode).toBe(204)
    expect((await onA.call('GET', '/api/session', manager)).statusCode).toBe(401)
    await refusedWithin(onB, manager)
    // Nobody else's session went with it.
    expect((await onB.call('GET', '/api/session', admin)).statusCode).toBe(200)
  })

  it('a role change applies at once on the instance that made it, within 1 s on the other', async () => {
    const admin = await b.signIn(DEMO.admin)
    const manager = await b.signIn(DEMO.manager)
    await warm(admin, manager)
    const managerId = await userIdOf(DEMO.manager)
    await onB.ok('PATCH', `/api/admin/members/${managerId}`, admin, { role: 'signer' })
    expect((await onB.ok('GET', '/api/session', manager)).role).toBe('signer')
    expect((await onB.call('GET', '/api/signings', manager)).statusCode).toBe(403)
    await sessionWithin(onA, manager, (session) => (session.role === 'signer' ? true : undefined))
    expect((await onA.call('GET', '/api/signings', manager)).statusCode).toBe(403)
  })

  it('a password change ends the other sessions on both instances and keeps the caller’s', async () => {
    const kept = await a.signIn(DEMO.manager)
    const other = await b.signIn(DEMO.manager)
    await warm(kept, other)
    await onA.ok('POST', '/api/auth/password', kept, {
      current_password: DEMO.password,
      new_password: STRONG,
    })
    expect((await onA.call('GET', '/api/session', other)).statusCode).toBe(401)
    await refusedWithin(onB, other)
    expect((await onA.call('GET', '/api/session', kept)).statusCode).toBe(200)
    expect((await onB.call('GET', '/api/session', kept)).statusCode).toBe(200)
  })

  it('a password reset ends every session of the user on both instances', async () => {
    const admin = await a.signIn(DEMO.admin)
    const signer = await a.signIn(DEMO.signer)
    await warm(signer)
    expect(
      (await onA.call('POST', '/api/auth/password-reset/request', null, { email: DEMO.signer })).statusCode,
    ).toBe(202)
    const token = await resetTokenFor(DEMO.signer, admin)
    // Confirmed on B this time: B refuses at once, A within 1 s.
    await onB.ok('POST', '/api/auth/password-reset/confirm', '', { token, password: STRONG })
    expect((await onB.call('GET', '/api/session', signer)).statusCode).toBe(401)
    await refusedWithin(onA, signer)
  })

  it('a workspace switch ends the old session on both instances', async () => {
    const admin = await a.signIn(DEMO.admin)
    const adminId = await userIdOf(DEMO.admin)
    const { rows } = await a.database.executeSql(
      "insert into workspaces (name) values ('Second') returning id",
    )
    const otherId = (rows[0] as { id: string }).id
    await a.database.executeSql(
      "insert into memberships (user_id, workspace_id, role) values ($1, $2, 'manager')",
      [adminId, otherId],
    )
    await warm(admin)
    const switched = await onA.call('POST', '/api/session/workspace', admin, { workspace_id: otherId })
    expect(switched.statusCode).toBe(200)
    expect((await onA.call('GET', '/api/session', admin)).statusCode).toBe(401)
    await refusedWithin(onB, admin)
    expect((await onB.ok('GET', '/api/session', cookieOf(switched))).workspace.id).toBe(otherId)
  })

  it('a replaced signing link and a cancelled package end the signer sessions on both instances', async () => {
    const manager = await a.signIn(DEMO.manager)
    const { packageId, signerId, cookie: firstLink } = await signerSession(manager)
    await warm(firstLink)
    const resent = await onA.ok('POST', `/api/signings/${packageId}/signers/${signerId}/resend`, manager)
    expect((await onA.call('GET', '/api/session', firstLink)).statusCode).toBe(401)
    await refusedWithin(onB, firstLink)

    const opened = await onB.call('POST', '/api/signing-links/open', null, {
      token: new URL(resent.invitation.url).pathname.split('/').at(-1),
    })
    const secondLink = cookieOf(opened)
    await warm(secondLink)
    await onB.ok('POST', `/api/signings/${packageId}/cancel`, manager, { reason: 'Wrong buyer' })
    expect((await onB.call('GET', '/api/session', secondLink)).statusCode).toBe(401)
    await refusedWithin(onA, secondLink)
  })

  it('hears changes made outside the services too: a renamed user, a deleted signer', async () => {
    const manager = await a.signIn(DEMO.manager)
    const { signerId, cookie: link } = await signerSession(manager)
    await warm(manager, link)
    await b.database.executeSql('update users set name = $1 where email = $2', ['Renamed', DEMO.manager])
    await sessionWithin(onA, manager, (session) => (session.user.name === 'Renamed' ? true : undefined))
    await b.database.executeSql('delete from signers where id = $1', [signerId])
    await refusedWithin(onA, link)
  })

  /** Makes the demo manager a second administrator (plain SQL, before they sign in). */
  async function secondAdmin(): Promise<{ cookie: string; userId: string }> {
    const userId = await userIdOf(DEMO.manager)
    await a.database.executeSql("update memberships set role = 'admin' where user_id = $1", [userId])
    return { cookie: await a.signIn(DEMO.manager), userId }
  }

  /** Sets up and enables TOTP through the routes of `client`; answers the recovery codes. */
  async function enrol(client: ReturnType<typeof apiClient>, cookie: string): Promise<string[]> {
    const { secret } = await client.ok('POST', '/api/auth/2fa/totp/setup', cookie)
    const enabled = await client.ok('POST', '/api/auth/2fa/totp/enable', cookie, {
      code: generateSync({ secret, epoch: Math.floor(Date.now() / 1000) }),
    })
    return enabled.recovery_codes as string[]
  }

  it('the two-factor policy holds an admin without it at once on the instance that changed it, within 1 s on the other', async () => {
    const admin = await a.signIn(DEMO.admin)
    const other = await secondAdmin()
    await enrol(onA, admin)
    await warm(admin, other.cookie)
    for (const client of [onA, onB]) expect(await guardOf(client, other.cookie)).toBe('free')

    // Switched on (on A): held on A at once, on B within 1 s; the enrolled admin is not held.
    await onA.ok('PUT', '/api/admin/security-policy', admin, { require_two_factor: true })
    expect(await guardOf(onA, other.cookie)).toBe('held')
    await guardWithin(onB, other.cookie, 'held')
    for (const client of [onA, onB]) expect(await guardOf(client, admin)).toBe('free')
    // The session itself still answers, without the hold in it.
    const body = await onB.ok('GET', '/api/session', other.cookie)
    expect(Object.keys(body).sort()).toEqual(SESSION_RESPONSE_KEYS)
    expect(body).toMatchObject({ principal: 'member', role: 'admin' })

    // The held admin enrols (on A): free on A at once, on B within 1 s.
    const recoveryCodes = await enrol(onA, other.cookie)
    expect(await guardOf(onA, other.cookie)).toBe('free')
    await guardWithin(onB, other.cookie, 'free')

    // ... disables it again (on A): held again.
    const disabled = await onA.call('POST', '/api/auth/2fa/totp/disable', other.cookie, {
      recovery_code: recoveryCodes[0],
    })
    expect(disabled.statusCode).toBe(204)
    expect(await guardOf(onA, other.cookie)).toBe('held')
    await guardWithin(onB, other.cookie, 'held')

    // Switched off on B this time, once A has the held session cached again (A's own change above
    // keeps it from caching for 2 s): free on B at once, on A within 1 s.
    await new Promise((resolve) => setTimeout(resolve, QUIET_AFTER_LOCAL_CHANGE_MS + 100))
    await warm(other.cookie)
    expect(await guardOf(onA, other.cookie)).toBe('held')
    await onB.ok('PUT', '/api/admin/security-policy', admin, { require_two_factor: false })
    expect(await guardOf(onB, other.cookie)).toBe('free')
    await guardWithin(onA, other.cookie, 'free')
  })

  it('hears two-factor changes made in plain SQL: the policy row and the enrolment', async () => {
    const other = await secondAdmin()
    await warm(other.cookie)
    for (const client of [onA, onB]) expect(await guardOf(client, other.cookie)).toBe('free')
    const both = async (expected: 'free' | 'held') => {
      for (const client of [onA, onB]) await guardWithin(client, other.cookie, expected)
    }
    const workspaceId = a.workspaceId

    // The policy row: inserted, updated both ways, deleted. Each poll that sees the change caches it
    // again on both instances, so the next change finds it cached.
    await b.database.executeSql(
      'insert into workspace_security_policies (workspace_id, require_two_factor) values ($1, true)',
      [workspaceId],
    )
    await both('held')
    const setPolicy = (required: boolean) =>
      b.database.executeSql(
        'update workspace_security_policies set require_two_factor = $1 where workspace_id = $2',
        [required, workspaceId],
      )
    await setPolicy(false)
    await both('free')
    await setPolicy(true)
    await both('held')

    // The enrolment: a TOTP row enabled, then deleted (an operator resetting it).
    await b.database.executeSql(
      "insert into user_totp (user_id, secret_ciphertext, secret_key_id, enabled_at) values ($1, 'x', 'k', now())",
      [other.userId],
    )
    await both('free')
    await b.database.executeSql('delete from user_totp where user_id = $1', [other.userId])
    await both('held')

    // A sign-in while held answers the session without the hold in it.
    const signedIn = await onA.call('POST', '/api/auth/sign-in/email', null, {
      email: DEMO.manager,
      password: DEMO.password,
    })
    expect(signedIn.statusCode).toBe(200)
    expect(Object.keys(signedIn.json()).sort()).toEqual(SESSION_RESPONSE_KEYS)
    expect(await guardOf(onB, cookieOf(signedIn))).toBe('held')

    await b.database.executeSql('delete from workspace_security_policies where workspace_id = $1', [
      workspaceId,
    ])
    await both('free')
  })

  async function resetTokenFor(email: string, adminCookie: string): Promise<string> {
    const started = Date.now()
    for (;;) {
      const { messages } = await onA.ok('GET', '/api/admin/outbox', adminCookie)
      const message = messages.find(
        (entry: JsonBody) => entry.to === email && entry.subject.includes('Reset'),
      )
      const url = (message?.text as string | undefined)?.match(/\/reset-password\/([A-Za-z0-9_-]+)/)?.[1]
      if (url) return url
      if (Date.now() - started > 15_000) throw new Error('no reset e-mail in the outbox')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }

  /** An active package with one signer, whose link is opened on A. */
  async function signerSession(manager: string) {
    const created = await onA.ok('POST', '/api/signings', manager, { title: 'Closing at 2 Cache Row' })
    await onA.ok('POST', `/api/signings/${created.id}/documents`, manager, {
      title: 'Agreement',
      kind: 'markdown',
      markdown: 'Sign here.',
    })
    await onA.ok('POST', `/api/signings/${created.id}/signers`, manager, {
      legal_name: 'Sam Signer',
      email: 'sam.signer@example.test',
    })
    const activated = await onA.ok('POST', `/api/signings/${created.id}/activate`, manager)
    const invitation = activated.invitations[0] as { url: string; signer_id: string }
    const opened = await onA.call('POST', '/api/signing-links/open', null, {
      token: new URL(invitation.url).pathname.split('/').at(-1),
    })
    expect(opened.statusCode).toBe(200)
    return { packageId: created.id as string, signerId: invitation.signer_id, cookie: cookieOf(opened) }
  }
})

describe('session cache: one instance', () => {
  let t: TestApp
  const clock = testClock()
  const client = apiClient(() => t.app)

  beforeEach(async () => {
    t = await buildTestApp({
      now: clock.now,
      env: { SESSION_TTL_HOURS: '1', SESSION_CACHE_TTL_SECONDS: '30' },
    })
  })
  afterEach(async () => {
    await t?.close()
  })

  it('answers from memory: a session deleted behind its back lives on, but never past the cache lifetime', async () => {
    const cookie = await t.signIn(DEMO.manager)
    await client.ok('GET', '/api/session', cookie)
    await deleteSilently(t, cookie)
    // The database no longer knows the session; only the cache can answer this.
    const { rows } = await t.database.executeSql(
      'select count(*)::int as n from sessions where token_hash = $1',
      [tokenHashOf(cookie)],
    )
    expect((rows[0] as { n: number }).n).toBe(0)
    expect((await client.call('GET', '/api/session', cookie)).statusCode).toBe(200)
    clock.advance(31_000)
    expect((await client.call('GET', '/api/session', cookie)).statusCode).toBe(401)
  })

  it('the role guard asks the database nothing: a policy switched on behind its back holds only once the entry expires', async () => {
    const manager = await t.signIn(DEMO.manager)
    expect(await guardOf(client, manager)).toBe('free')
    // Switched on with its trigger disabled: no instance hears of it.
    const trigger = 'workspace_security_policies_session_cache'
    await t.database.executeSql(`alter table workspace_security_policies disable trigger ${trigger}`)
    await t.database.executeSql(
      'insert into workspace_security_policies (workspace_id, require_two_factor) values ($1, true)',
      [t.workspaceId],
    )
    await t.database.executeSql(`alter table workspace_security_policies enable trigger ${trigger}`)
    const { rows } = await t.database.executeSql('select id from users where email = $1', [DEMO.manager])
    const managerId = (rows[0] as { id: string }).id
    expect(await isHeldByTwoFactorPolicy(t.database.db, t.workspaceId, managerId)).toBe(true)
    // The database says held; a guard that asked it would refuse. It answers from the cached session.
    expect(await guardOf(client, manager)).toBe('free')
    clock.advance(31_000)
    expect(await guardOf(client, manager)).toBe('held')
  })

  it('never serves a cached session past its expiry', async () => {
    const cookie = await t.signIn(DEMO.manager)
    // Cached 10 s before the session ends (the database still has it then) ...
    clock.advance(3_600_000 - 10_000)
    expect((await client.call('GET', '/api/session', cookie)).statusCode).toBe(200)
    // ... and asked again 11 s later, well within the cache lifetime: the session has ended.
    clock.advance(11_000)
    expect((await client.call('GET', '/api/session', cookie)).statusCode).toBe(401)
  })

  it('signs out, removes and demotes at once on the same instance', async () => {
    const admin = await t.signIn(DEMO.admin)
    const manager = await t.signIn(DEMO.manager)
    const signer = await t.signIn(DEMO.signer)
    for (const cookie of [admin, manager, signer]) await client.ok('GET', '/api/session', cookie)
    const members = (await client.ok('GET', '/api/admin/members', admin)).members as JsonBody[]
    const idOf = (email: string) => members.find((member) => member.email === email).user_id as string

    await client.ok('PATCH', `/api/admin/members/${idOf(DEMO.manager)}`, admin, { role: 'signer' })
    expect((await client.ok('GET', '/api/session', manager)).role).toBe('signer')
    expect((await client.call('DELETE', `/api/admin/members/${idOf(DEMO.signer)}`, admin)).statusCode).toBe(
      204,
    )
    expect((await client.call('GET', '/api/session', signer)).statusCode).toBe(401)
    await client.call('POST', '/api/auth/sign-out', manager)
    expect((await client.call('GET', '/api/session', manager)).statusCode).toBe(401)
  })
})

// The revoking instance must not wait for its own commit's notification, which can arrive after its
// response. Here the cache hears no notification at all: only the service's own invalidation works.
describe('session cache: the instance that changes a session forgets it itself', () => {
  let t: TestApp
  let auth: ReturnType<typeof createAuthService>
  let cache: SessionCache
  let workspaceId: string
  /** The cache's clock only, to step past its quiet period after a change. */
  let cacheOffsetMs = 0

  beforeEach(async () => {
    t = await buildTestApp()
    workspaceId = t.workspaceId
    cacheOffsetMs = 0
    cache = createSessionCache({
      maxEntries: 100,
      ttlMs: 30_000,
      now: () => new Date(Date.now() + cacheOffsetMs),
    })
    cache.setListening(true)
    const db = t.database.db
    auth = createAuthService({
      db,
      audit: createAuditService({ db }),
      sessionTtlHours: 1,
      sessionCache: cache,
    })
  })
  afterEach(async () => {
    await t?.close()
  })

  async function cachedSessionOf(email: string) {
    const { rows } = await t.database.executeSql('select id from users where email = $1', [email])
    const userId = (rows[0] as { id: string }).id
    const opened = await auth.openMemberSession({ userId, workspaceId, ipAddress: null, userAgent: null })
    expect(await auth.resolveSession(opened.token)).not.toBeNull()
    return { userId, token: opened.token }
  }

  it('on sign-out', async () => {
    const { token } = await cachedSessionOf(DEMO.manager)
    await auth.signOut(token)
    expect(await auth.resolveSession(token)).toBeNull()
  })

  it('on a role change and a removal', async () => {
    const manager = await cachedSessionOf(DEMO.manager)
    const signer = await cachedSessionOf(DEMO.signer)
    await t.database.db.transaction((tx) =>
      auth.changeRole(tx, { userId: manager.userId, workspaceId, role: 'signer' }),
    )
    expect(await auth.resolveSession(manager.token)).toMatchObject({ role: 'signer' })
    await t.database.db.transaction((tx) => auth.removeMembership(tx, { userId: signer.userId, workspaceId }))
    expect(await auth.resolveSession(signer.token)).toBeNull()
  })

  it('on a password change, keeping the caller’s session', async () => {
    const kept = await cachedSessionOf(DEMO.manager)
    const other = await cachedSessionOf(DEMO.manager)
    await t.database.db.transaction((tx) =>
      auth.setPassword(tx, {
        userId: kept.userId,
        email: DEMO.manager,
        password: STRONG,
        keepToken: kept.token,
      }),
    )
    expect(await auth.resolveSession(other.token)).toBeNull()
    expect(await auth.resolveSession(kept.token)).not.toBeNull()
  })

  it('on a two-factor enrolment, its removal, and a policy change', async () => {
    const db = t.database.db
    const twoFactor = createTwoFactorService({
      db,
      keyring: t.keyring,
      audit: createAuditService({ db }),
      auth,
    })
    const origin = { ipAddress: null, userAgent: null }
    const admin = await cachedSessionOf(DEMO.admin)
    const manager = await cachedSessionOf(DEMO.manager)
    const memberSession = async (token: string): Promise<MemberSession> => {
      const session = await auth.resolveSession(token)
      if (session?.principal !== 'member') throw new Error('expected a member session')
      return session
    }
    const codeOf = (secret: string) => generateSync({ secret, epoch: Math.floor(Date.now() / 1000) })
    /** Past the quiet period of the last change, both sessions cached again (as they are before it). */
    const cachedAgain = async () => {
      cacheOffsetMs += QUIET_AFTER_LOCAL_CHANGE_MS + 100
      for (const token of [admin.token, manager.token]) {
        await auth.resolveSession(token)
        expect(cache.get(hashSessionToken(token))).toBeDefined()
      }
    }
    const managerHold = async () => (await memberSession(manager.token)).heldByTwoFactorPolicy

    const { secret } = await twoFactor.setup(await memberSession(admin.token))
    await twoFactor.enable(await memberSession(admin.token), codeOf(secret), origin)
    await cachedAgain()
    expect(await managerHold()).toBe(false)
    await twoFactor.updatePolicy(await memberSession(admin.token), { require_two_factor: true }, origin)
    expect(await managerHold()).toBe(true)
    expect((await memberSession(admin.token)).heldByTwoFactorPolicy).toBe(false)

    await cachedAgain()
    const managerSetup = await twoFactor.setup(await memberSession(manager.token))
    const { recovery_codes: recoveryCodes } = await twoFactor.enable(
      await memberSession(manager.token),
      codeOf(managerSetup.secret),
      origin,
    )
    expect(await managerHold()).toBe(false)

    await cachedAgain()
    await twoFactor.disable(
      await memberSession(manager.token),
      { recovery_code: recoveryCodes[0] as string },
      origin,
    )
    expect(await managerHold()).toBe(true)

    await cachedAgain()
    await twoFactor.updatePolicy(await memberSession(admin.token), { require_two_factor: false }, origin)
    expect(await managerHold()).toBe(false)
  })

  it('on a workspace switch', async () => {
    const admin = await cachedSessionOf(DEMO.admin)
    const { rows } = await t.database.executeSql(
      "insert into workspaces (name) values ('Second') returning id",
    )
    const otherId = (rows[0] as { id: string }).id
    await t.database.executeSql(
      "insert into memberships (user_id, workspace_id, role) values ($1, $2, 'manager')",
      [admin.userId, otherId],
    )
    const session = await auth.resolveSession(admin.token)
    if (session?.principal !== 'member') throw new Error('expected a member session')
    await auth.switchWorkspace(admin.token, session, otherId, { ipAddress: null, userAgent: null })
    expect(await auth.resolveSession(admin.token)).toBeNull()
  })
})
