import type { Browser } from 'playwright-core'
import { expect } from 'vitest'
import { createPlaidSandbox, type PlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import { EMULATOR_CREDENTIALS } from '../../server/app.ts'
import { assertWebBuilt, launchBrowser, newOfflineContext, type OfflineContext } from './browser.ts'
import { DEMO } from './build-app.ts'
import { startTestEmulator, type TestEmulator } from './plaid.ts'
import { startTestServer, type TestServer } from './test-server.ts'

/** A phone, for the pages and Link flows that differ on small touch screens. */
export const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }

export type BrowserStack = {
  server: TestServer
  sandbox: PlaidSandbox
  /** A fresh offline browser profile; its page and console errors are checked when the stack closes. */
  newPage(options?: { phone?: boolean }): Promise<OfflineContext>
  close(): Promise<void>
}

/**
 * The set-up of most browser tests: a real Safeclose server with the emulator mounted as in the
 * embedded demo (so signed-in pages load its Link script), and Debian's Chromium.
 */
export async function startBrowserStack(): Promise<BrowserStack> {
  assertWebBuilt()
  const sandbox = createPlaidSandbox({ clients: [EMULATOR_CREDENTIALS] })
  const [server, browser]: [TestServer, Browser] = await Promise.all([
    startTestServer({ env: { PLAID_SANDBOX_ENABLED: 'true' }, plaidSandboxPlugin: sandbox.plugin }),
    launchBrowser(),
  ])
  const opened: OfflineContext[] = []
  return {
    server,
    sandbox,
    async newPage(options = {}) {
      const context = await newOfflineContext(browser, options.phone ? { contextOptions: PHONE } : {})
      opened.push(context)
      return context
    },
    async close() {
      for (const { context } of opened) await context.close()
      await browser.close()
      await server.close()
      await sandbox.close()
      expect(opened.flatMap((context) => context.problems)).toEqual([])
    },
  }
}

export type EmulatorBrowserStack = {
  server: TestServer
  emulator: TestEmulator
  /** A fresh offline browser profile (options as newOfflineContext's), closed with the stack. */
  newPage(contextOptions?: Parameters<Browser['newContext']>[0]): Promise<OfflineContext>
  /** The page and console errors of every page opened so far. */
  problems(): string[]
  /** A JSON call as the demo manager (app.inject); throws on any status from 300 up. */
  managerApi<T>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<T>
  close(): Promise<void>
}

/**
 * The set-up of the signing flows' browser tests: a real Safeclose server with the standalone emulator
 * on its own origin (every page carries its Link script, as in the demo; the page policy then allows
 * our own origin only where it must), Debian's Chromium, and the demo manager's session for API calls.
 */
export async function startEmulatorBrowserStack(): Promise<EmulatorBrowserStack> {
  assertWebBuilt()
  const emulator = await startTestEmulator()
  const [server, browser]: [TestServer, Browser] = await Promise.all([
    startTestServer({ env: { PLAID_EMULATOR_URL: emulator.url } }),
    launchBrowser(),
  ])
  const managerCookie = await server.signIn(DEMO.manager)
  const opened: OfflineContext[] = []
  return {
    server,
    emulator,
    async newPage(contextOptions) {
      const context = await newOfflineContext(browser, contextOptions ? { contextOptions } : {})
      opened.push(context)
      return context
    },
    problems: () => opened.flatMap((context) => context.problems),
    async managerApi<T>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object): Promise<T> {
      const response = await server.app.inject({ method, url, headers: { cookie: managerCookie }, payload })
      if (response.statusCode >= 300) {
        throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`)
      }
      return response.json() as T
    },
    async close() {
      for (const { context } of opened) await context.close()
      await browser.close()
      await server.close()
      await emulator.close()
    },
  }
}
