import type { Browser } from 'playwright-core'
import { expect } from 'vitest'
import { createPlaidSandbox, type PlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import { EMULATOR_CREDENTIALS } from '../../server/app.ts'
import { launchBrowser, newOfflineContext, type OfflineContext } from './browser.ts'
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
