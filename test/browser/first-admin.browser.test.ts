// How a real organisation starts, in Chromium: `npm run admin:create` on an embedded database prints a
// one-time link; the first admin opens it, chooses a password and lands in their new, empty workspace.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../db/client.ts'
import { createPlaidSandbox, type PlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import { EMULATOR_CREDENTIALS } from '../../server/app.ts'
import { launchBrowser, newOfflineContext, type OfflineContext } from '../helpers/browser.ts'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'
import { findFreePort } from '../helpers/test-server.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

let dataDir: string
let sandbox: PlaidSandbox
let server: TestApp | undefined
let browser: Browser
let opened: OfflineContext | undefined
let url: string
let invitation: string

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'safeclose-first-admin-'))
  const port = await findFreePort()
  url = `http://127.0.0.1:${port}`
  // The operator runs the command while the server is stopped.
  const { stdout } = await run(
    process.execPath,
    [
      'scripts/admin-create.ts',
      '--workspace',
      'Acme Title',
      '--email',
      'owner@acme.test',
      '--name',
      'Olive Owner',
    ],
    { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, PUBLIC_URL: url, LOG_LEVEL: 'silent' } },
  )
  invitation = stdout.match(new RegExp(`${url}/invite/[A-Za-z0-9_-]{43}`))?.[0] ?? ''
  // Then starts it on the same embedded database, with no demo.
  sandbox = createPlaidSandbox({ clients: [EMULATOR_CREDENTIALS] })
  const database = await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') })
  server = await buildTestApp({
    database,
    seedDemo: false,
    env: { HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, PLAID_SANDBOX_ENABLED: 'true' },
    plaidSandboxPlugin: sandbox.plugin,
  })
  await server.app.listen({ host: '127.0.0.1', port })
  browser = await launchBrowser()
}, 120_000)

afterAll(async () => {
  await opened?.context.close()
  await browser?.close()
  await server?.close()
  await sandbox?.close()
  await rm(dataDir, { recursive: true, force: true })
  expect(opened?.problems ?? []).toEqual([])
})

describe('the first administrator', () => {
  it('creates their account from the command-line link and can invite colleagues', async () => {
    expect(invitation).not.toBe('')
    opened = await newOfflineContext(browser)
    const { page } = opened
    await page.goto(invitation)
    await page.getByRole('heading', { name: 'Join Acme Title' }).waitFor()
    expect(await page.getByLabel('Your name').inputValue()).toBe('Olive Owner')
    await page.getByLabel('Choose a password').fill('acme title owner passphrase')
    await page.getByRole('button', { name: 'Join Acme Title' }).click()
    await page.waitForURL(`${url}/signing`)
    await page.getByText('Olive Owner').first().waitFor()
    await page.getByRole('link', { name: 'Members' }).click()
    await page.getByRole('cell', { name: 'owner@acme.test' }).waitFor()
    await page.getByRole('button', { name: 'Send invitation' }).waitFor()
  })
})
