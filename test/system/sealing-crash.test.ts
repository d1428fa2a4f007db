import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_PASSWORD, DEMO_USERS } from '../../server/seed/demo-workspace.ts'
import { makeMultiPagePdf } from '../helpers/esign.ts'
import { createScratchDatabase, type ServerProcess, serverProcess, withClient } from './server-process.ts'

const adminUrl = process.env.TEST_DATABASE_URL
// In CI this test must run: a missing server database is a failure there, never a quiet pass.
if (!adminUrl && process.env.CI) {
  throw new Error('CI must set TEST_DATABASE_URL: the sealing crash test needs PostgreSQL')
}
if (!adminUrl) {
  console.warn(
    '\n⚠ SKIPPED test/system/sealing-crash.test.ts: set TEST_DATABASE_URL to a PostgreSQL server ' +
      '(e.g. postgres://safeclose@127.0.0.1:54330/postgres) to run the sealing crash test.\n',
  )
}

const PAGES = 1500

/**
 * A real `node server/main.ts` is SIGKILLed while its sealing job works on a large package (the job
 * is active in pg-boss, no seal is stored yet); after a restart pg-boss hands the job out again once
 * it expires, and the package ends up with exactly one sealed PDF and one `signing.sealed` event.
 */
describe.skipIf(!adminUrl)('sealing survives a killed server', () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>
  let server: ServerProcess
  let dir: string

  beforeAll(async () => {
    database = await createScratchDatabase(adminUrl as string)
    server = await serverProcess({
      databaseUrl: database.url,
      plaidEmulatorUrl: 'http://127.0.0.1:9/unused',
      env: { SAFECLOSE_SEED_DEMO: 'true', LOG_LEVEL: 'warn' },
    })
    await server.start()
    dir = mkdtempSync(join(tmpdir(), 'safeclose-seal-crash-'))
  }, 60_000)
  afterAll(async () => {
    await server?.kill('SIGTERM')
    await database?.drop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function api(
    path: string,
    init: { method?: string; cookie?: string; body?: unknown; form?: FormData } = {},
  ) {
    const response = await fetch(`${server.url}${path}`, {
      method: init.method ?? (init.body || init.form ? 'POST' : 'GET'),
      headers: {
        origin: server.url,
        ...(init.cookie ? { cookie: init.cookie } : {}),
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      body: init.form ?? (init.body ? JSON.stringify(init.body) : undefined),
    })
    return response
  }

  async function json(path: string, init: Parameters<typeof api>[1] = {}) {
    const response = await api(path, init)
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions that read them
    return { body: (await response.json()) as Record<string, any>, response }
  }

  async function sealState() {
    return withClient(database.url, async (client) => {
      const seals = await client.query('select count(*)::int as n from signing_seals')
      const events = await client.query(
        "select count(*)::int as n from audit_events where action = 'signing.sealed'",
      )
      const jobs = await client.query("select state from pgboss.job where name = 'signing-seal'")
      return {
        seals: (seals.rows[0] as { n: number }).n,
        events: (events.rows[0] as { n: number }).n,
        jobStates: jobs.rows.map((row) => (row as { state: string }).state),
      }
    })
  }

  it('stores one sealed PDF after a SIGKILL in the middle of sealing', async () => {
    const managerEmail = DEMO_USERS[1]?.email as string
    const signIn = await json('/api/auth/sign-in/email', {
      body: { email: managerEmail, password: DEMO_PASSWORD },
    })
    const managerCookie = (signIn.response.headers.getSetCookie()[0] ?? '').split(';')[0] as string
    const { body: created } = await json('/api/signings', {
      cookie: managerCookie,
      body: { title: 'Large closing' },
    })
    const id = created.id as string
    const form = new FormData()
    form.append('title', 'Loan file')
    form.append(
      'file',
      new Blob([new Uint8Array(await makeMultiPagePdf(PAGES))], { type: 'application/pdf' }),
      'loan.pdf',
    )
    await json(`/api/signings/${id}/documents`, { cookie: managerCookie, form })
    await json(`/api/signings/${id}/signers`, {
      cookie: managerCookie,
      body: { legal_name: 'Ada Lovelace', email: 'ada.crash@example.test', bank_required: false },
    })
    const { body: activated } = await json(`/api/signings/${id}/activate`, {
      cookie: managerCookie,
      body: {},
    })
    const invitation = (activated.invitations as Array<{ url: string }>)[0] as { url: string }
    const opened = await json('/api/signing-links/open', {
      body: { token: new URL(invitation.url).pathname.split('/').at(-1) },
    })
    const signerCookie = (opened.response.headers.getSetCookie()[0] ?? '').split(';')[0] as string
    const { body: flow } = await json('/api/signer/signing', { cookie: signerCookie })
    for (const document of flow.documents as Array<{ id: string }>) {
      await json(`/api/signer/signing/documents/${document.id}/reviewed`, { cookie: signerCookie, body: {} })
    }
    await json('/api/signer/signing/sign', {
      cookie: signerCookie,
      body: { typed_name: 'Ada Lovelace', consent: true },
    })

    // Kill the server the moment its worker has taken the sealing job.
    const deadline = Date.now() + 30_000
    for (;;) {
      const state = await sealState()
      if (state.jobStates.includes('active')) break
      if (state.seals > 0) throw new Error(`sealed before the kill could land (${PAGES} pages were too few)`)
      if (Date.now() > deadline) throw new Error('the sealing job never became active')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await server.kill('SIGKILL')
    expect(await sealState()).toMatchObject({ seals: 0, events: 0 })

    // Restarted, the job is handed out again once it expires (JOB_EXPIRE_SECONDS=3 here).
    await server.start()
    const sealedBy = Date.now() + 90_000
    let state = await sealState()
    while (state.seals === 0 && Date.now() < sealedBy) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      state = await sealState()
    }
    // Settle: no second seal or event appears afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(await sealState()).toMatchObject({ seals: 1, events: 1 })

    const sealed = await api(`/api/signings/${id}/sealed.pdf`, { cookie: managerCookie })
    expect(sealed.status).toBe(200)
    const file = join(dir, 'sealed.pdf')
    writeFileSync(file, Buffer.from(await sealed.arrayBuffer()))
    const pdfsig = execFileSync('pdfsig', [file], { encoding: 'utf8' })
    expect(pdfsig).toContain('Signature is Valid')
    expect(pdfsig).toContain('Total document signed')
    expect(
      Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))?.[1]),
    ).toBeGreaterThan(PAGES)
  }, 180_000)
})
