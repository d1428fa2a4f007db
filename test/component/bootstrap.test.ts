import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../db/client.ts'
import { createAuditService } from '../../server/modules/audit/service.ts'
import { createAuthService } from '../../server/modules/auth/service.ts'
import { createBootstrap } from '../../server/modules/members/bootstrap.ts'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PASSWORD = 'first admin strong passphrase'

describe('first run: the setup link', () => {
  let t: TestApp
  let bootstrap: ReturnType<typeof createBootstrap>
  const { call } = apiClient(() => t.app)

  beforeAll(async () => {
    t = await buildTestApp({ seedDemo: false })
    const audit = createAuditService({ db: t.database.db })
    bootstrap = createBootstrap({
      db: t.database.db,
      audit,
      auth: createAuthService({ db: t.database.db, audit, sessionTtlHours: 1 }),
      publicUrl: 'http://127.0.0.1:3000',
    })
  })
  afterAll(async () => {
    await t?.close()
  })

  it('creates the first workspace and admin once, then no link works and none is issued', async () => {
    const link = (await bootstrap.issueSetupLink()) as string
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/setup\/[A-Za-z0-9_-]{43}$/)
    const token = link.split('/').at(-1)
    expect((await call('POST', '/api/setup/preview', null, { token })).statusCode).toBe(200)
    expect((await call('POST', '/api/setup/preview', null, { token: 'x'.repeat(43) })).statusCode).toBe(410)

    const body = { token, workspace_name: 'Acme Title', name: 'Olive Owner', email: 'owner@acme.test' }
    const weak = await call('POST', '/api/setup', null, { ...body, password: 'password' })
    expect(weak.statusCode).toBe(400)
    const created = await call('POST', '/api/setup', null, { ...body, password: PASSWORD })
    expect(created.statusCode).toBe(200)
    expect(created.json()).toMatchObject({
      principal: 'member',
      role: 'admin',
      user: { email: 'owner@acme.test', name: 'Olive Owner' },
      workspace: { name: 'Acme Title' },
    })
    expect(created.cookies.some((cookie) => cookie.name === 'safeclose_session')).toBe(true)

    expect((await call('POST', '/api/setup', null, { ...body, password: PASSWORD })).statusCode).toBe(410)
    expect((await call('POST', '/api/setup/preview', null, { token })).statusCode).toBe(410)
    expect(await bootstrap.issueSetupLink()).toBeNull()
  })
})

describe('npm run admin:create', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'safeclose-admin-create-'))
  })
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  const adminCreate = (args: string[]) =>
    run(process.execPath, ['scripts/admin-create.ts', ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        PUBLIC_URL: 'https://closings.acme.test',
      },
    })

  it('refuses missing or bad arguments, and never takes a password', async () => {
    await expect(adminCreate(['--workspace', 'Acme Title'])).rejects.toMatchObject({ code: 2 })
    await expect(adminCreate(['--workspace', 'A', '--email', 'x', '--name', 'Y'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--email'),
    })
    await expect(
      adminCreate(['--workspace', 'A', '--email', 'a@b.test', '--name', 'Y', '--password', 'secret']),
    ).rejects.toMatchObject({ code: 2 })
  })

  it('creates the workspace and prints a one-time invitation that makes its first admin', async () => {
    const { stdout } = await adminCreate([
      '--workspace',
      'Acme Title',
      '--email',
      'owner@acme.test',
      '--name',
      'Olive Owner',
    ])
    const url = stdout.match(/https:\/\/closings\.acme\.test\/invite\/[A-Za-z0-9_-]{43}/)?.[0]
    expect(url, stdout).toBeDefined()

    const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') })
    const t = await buildTestApp({ database, seedDemo: false })
    try {
      const token = (url as string).split('/').at(-1)
      const preview = await t.app.inject({
        method: 'POST',
        url: '/api/invitations/preview',
        payload: { token },
      })
      expect(preview.json()).toMatchObject({
        workspace_name: 'Acme Title',
        email: 'owner@acme.test',
        name: 'Olive Owner',
        role: 'admin',
        has_account: false,
      })
      const accepted = await t.app.inject({
        method: 'POST',
        url: '/api/invitations/accept',
        payload: { token, name: 'Olive Owner', password: PASSWORD },
      })
      expect(accepted.json()).toMatchObject({ role: 'admin', workspace: { name: 'Acme Title' } })
    } finally {
      await t.close()
    }
  })

  it('says so clearly when the embedded database is in use', async () => {
    // A live process (this test runner) holds the embedded database.
    await writeFile(path.join(dataDir, 'pglite.lock'), String(process.pid))
    try {
      await expect(
        adminCreate(['--workspace', 'Busy', '--email', 'busy@acme.test', '--name', 'Busy Bee']),
      ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('in use by another process') })
    } finally {
      await rm(path.join(dataDir, 'pglite.lock'), { force: true })
    }
  })
})
