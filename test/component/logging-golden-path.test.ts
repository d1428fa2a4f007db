import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { loggerOptions } from '../../server/logger.ts'
import { mountablePlaidSandbox } from '../../server/plaid-sandbox-mount.ts'
import { apiClient, type JsonBody } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { createRecordingGateway } from '../helpers/plaid.ts'
import { findFreePort } from '../helpers/test-server.ts'

const SIGNER = { legal_name: 'Wilhelmina Quackenbush', email: 'wilhelmina.logs@example.test' }
// Refused by a database trigger below: this row's values are what an "unexpected error" would carry.
const DOOMED = { legal_name: 'Dorothea Vanderbilt-Doom', email: 'dorothea.doomed@example.test' }

/**
 * The whole signer journey through a real listening server with the embedded emulator mounted, every
 * log line captured at debug level, then a search of that text for each credential the run handled.
 */
describe('logs of a full signing and bank-linking run', () => {
  let t: TestApp
  let sandbox: Awaited<ReturnType<typeof mountablePlaidSandbox>>
  let recording: ReturnType<typeof createRecordingGateway>
  let dataDir: string
  let url: string
  let output = ''
  const handled: Record<string, string> = {}
  const { call, ok } = apiClient(() => t.app)

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        output += chunk.toString()
        done()
      },
    })
    const logger = pino(loggerOptions('debug'), sink)
    const port = await findFreePort()
    url = `http://127.0.0.1:${port}`
    dataDir = await mkdtemp(join(tmpdir(), 'safeclose-logs-'))
    const env = {
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url,
      DATA_DIR: dataDir,
      PLAID_SANDBOX_ENABLED: 'true',
    }
    sandbox = await mountablePlaidSandbox(loadConfig(env), logger)
    recording = createRecordingGateway(`${url}/plaid-sandbox`)
    t = await buildTestApp({
      env,
      logger,
      plaidSandboxPlugin: sandbox.plugin,
      plaidGateway: recording.gateway,
    })
    await t.app.listen({ host: '127.0.0.1', port })
  })
  afterAll(async () => {
    await t?.close()
    await sandbox?.close()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  /** The status the app answered the emulator's webhook delivery with, from the request log. */
  function webhookAnswer(): number | null {
    const entries = output.split('\n').flatMap((line) => (line ? [JSON.parse(line)] : []))
    const incoming = entries.find((entry) => entry.req?.url === '/api/webhooks/plaid')
    const completed = entries.find((entry) => entry.reqId === incoming?.reqId && entry.res)
    return completed?.res.statusCode ?? null
  }

  async function createPackage(managerCookie: string, signer: { legal_name: string; email: string }) {
    const created = await ok('POST', '/api/signings', managerCookie, { title: 'Closing at 7 Log Lane' })
    await ok('POST', `/api/signings/${created.id}/documents`, managerCookie, {
      title: 'Purchase agreement',
      kind: 'markdown',
      markdown: '# Purchase agreement\n\nThe buyer pays **$1**.',
    })
    return {
      id: created.id as string,
      add: () => call('POST', `/api/signings/${created.id}/signers`, managerCookie, signer),
    }
  }

  it('runs the golden path and the log never holds a token, cookie or signer data', async () => {
    const managerCookie = await t.signIn(DEMO.manager)
    handled.managerSession = managerCookie.split('=')[1] as string

    const draft = await createPackage(managerCookie, SIGNER)
    expect((await draft.add()).statusCode).toBe(200)
    const activated = await ok('POST', `/api/signings/${draft.id}/activate`, managerCookie)
    const invitation = new URL(activated.invitations[0].url as string)
    const signingToken = invitation.pathname.split('/').at(-1) as string
    expect(invitation.pathname).toBe(`/signing/s/${signingToken}`)
    handled.signingToken = signingToken

    // The signer follows the link: the page (the web app, not built here), then the API it calls.
    await t.app.inject({ method: 'GET', url: invitation.pathname })
    await t.app.inject({ method: 'GET', url: `${invitation.pathname}?utm_source=mail` })
    const opened = await call('POST', '/api/signing-links/open', null, { token: signingToken })
    expect(opened.statusCode).toBe(200)
    const sessionCookie = opened.cookies.find((entry) => entry.name === 'safeclose_session')
    if (!sessionCookie) throw new Error('opening the link set no session')
    handled.signerSession = sessionCookie.value
    const signerCookie = `safeclose_session=${sessionCookie.value}`
    const flow = await ok('GET', '/api/signer/signing', signerCookie)
    for (const document of flow.documents)
      await ok('POST', `/api/signer/signing/documents/${document.id}/reviewed`, signerCookie, {})

    // Plaid Link through the embedded emulator, as the browser drives it: the iframe page carries
    // the link token in its URL, then the Link UI's JSON API hands out the public token.
    const { link_token: linkToken } = await ok('POST', '/api/plaid/link-token', signerCookie)
    handled.linkToken = linkToken
    const frame = await t.app.inject({
      method: 'GET',
      url: `/plaid-sandbox/link/v2/stable/link.html?token=${linkToken}&origin=${encodeURIComponent(url)}`,
    })
    expect(frame.statusCode).toBe(200)
    const linkUi = async (path: string, body: JsonBody) => {
      const response = await t.app.inject({
        method: 'POST',
        url: `/plaid-sandbox/link/v2/stable/api/${path}`,
        payload: { link_token: linkToken, ...body },
      })
      expect(response.statusCode, `${path}: ${response.body}`).toBe(200)
      return response.json()
    }
    const { link_session_id: linkSessionId } = await linkUi('session/start', {})
    const started = await call('POST', '/api/signer/signing/bank/link-started', signerCookie, {
      link_session_id: linkSessionId,
    })
    expect(started.statusCode).toBe(204)
    const credentials = await linkUi('credentials/submit', {
      link_session_id: linkSessionId,
      institution_id: 'ins_109508',
      username: 'user_good',
      password: 'pass_good',
    })
    const finished = await linkUi('accounts/submit', {
      link_session_id: linkSessionId,
      account_ids: [credentials.accounts[0].account_id],
    })
    handled.publicToken = finished.public_token
    expect(handled.publicToken).toMatch(/^public-sandbox-/)

    await ok('POST', '/api/plaid/exchange', signerCookie, { public_token: handled.publicToken })
    expect(recording.accessTokens).toHaveLength(1)
    handled.accessToken = recording.accessTokens[0] as string
    const status = await ok('GET', '/api/plaid/status', signerCookie)
    await ok('POST', '/api/signer/signing/bank/account', signerCookie, {
      account_id: status.item.accounts[0].account_id,
      link_session_id: linkSessionId,
    })
    // A webhook from the emulator to the app's own URL (on the mount's allowlist), signed and verified.
    await ok('POST', '/api/plaid/sandbox/fire-webhook', signerCookie, {
      webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
    })
    await expect.poll(() => webhookAnswer(), { timeout: 10_000 }).toBe(200)
    await ok('POST', '/api/signer/signing/sign', signerCookie, {
      typed_name: SIGNER.legal_name,
      consent: true,
    })
    // A used public token, refused by the emulator: a logged Plaid failure.
    await call('POST', '/api/plaid/exchange', signerCookie, { public_token: handled.publicToken })

    // An unexpected database error whose statement carries a signer's name and e-mail, and whose
    // PostgreSQL detail names the e-mail as a unique violation does.
    await t.database.executeSql(`
      create function refuse_doomed_signer() returns trigger language plpgsql as $$
      begin
        if new.email like 'dorothea%' then
          raise exception 'duplicate key value violates unique constraint "signers_email_key"'
            using errcode = '23505', constraint = 'signers_email_key', table = 'signers', column = 'email',
                  detail = 'Key (lower(email))=(' || new.email || ') already exists.';
        end if;
        return new;
      end $$`)
    await t.database.executeSql(
      'create trigger refuse_doomed_signer before insert on signers for each row execute function refuse_doomed_signer()',
    )
    const doomed = await createPackage(managerCookie, DOOMED)
    const failed = await doomed.add()
    expect(failed.statusCode).toBe(500)
    expect(failed.json().error.code).toBe('INTERNAL')

    // The log is there and useful: requests with redacted URLs, the error with its class kept.
    expect(output).toContain('/signing/s/[redacted]"')
    expect(output).toContain('/signing/s/[redacted]?utm_source=mail"')
    expect(output).toContain('/plaid-sandbox/link/v2/stable/link.html?token=[redacted]&origin=')
    const unexpected = output
      .split('\n')
      .filter((line) => line.includes('"unexpected error"'))
      .map((line) => JSON.parse(line))
    expect(unexpected).toHaveLength(1)
    expect(unexpected[0].err).toMatchObject({
      type: 'DrizzleQueryError',
      message: 'Failed query',
      cause: {
        type: 'DatabaseError',
        code: '23505',
        constraint: 'signers_email_key',
        table: 'signers',
        column: 'email',
        message: 'duplicate key value violates unique constraint "signers_email_key"',
      },
    })
    for (const field of ['query', 'params', 'detail'])
      expect(unexpected[0].err.cause, field).not.toHaveProperty(field)

    // And nothing the run handled appears in it, in any spelling a URL or JSON string could use.
    expect(Object.keys(handled)).toEqual([
      'managerSession',
      'signingToken',
      'signerSession',
      'linkToken',
      'publicToken',
      'accessToken',
    ])
    const forbidden = {
      ...handled,
      signerEmail: SIGNER.email,
      signerName: SIGNER.legal_name,
      doomedEmail: DOOMED.email,
      doomedName: DOOMED.legal_name,
      password: DEMO.password,
    }
    for (const [what, value] of Object.entries(forbidden)) {
      expect(value.length, what).toBeGreaterThan(8)
      for (const spelling of new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]))
        expect(output.includes(spelling), `${what} appears in the log`).toBe(false)
    }
    // The signing token's core too, in case a line cut or re-encoded it.
    expect(output).not.toContain(handled.signingToken.slice(0, 16))
  })
})
