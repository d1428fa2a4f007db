// The built web app's stylesheets are split per lazily loaded page: the entry stylesheet that every
// page downloads carries only the shell's and shared components' rules, and a page's own rules arrive
// with its chunk, linked from /assets under the nonce-only CSP. Reads web/dist (run `npm run build:web`).
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type BrowserStack, startBrowserStack } from '../helpers/browser-stack.ts'
import type { TestServer } from '../helpers/test-server.ts'

const DIST = new URL('../../web/dist/', import.meta.url)
const MANIFEST = fileURLToPath(new URL('.vite/manifest.json', DIST))

type ManifestChunk = {
  file: string
  css?: string[]
  imports?: string[]
  isEntry?: boolean
  isDynamicEntry?: boolean
}
type Manifest = Record<string, ManifestChunk>

/** One class per split page that only that page's module tree uses (manifest key → class). */
const PAGE_ONLY_CLASSES: [string, string][] = [
  ['src/routes/signing/signer-flow-page.tsx', 'signer-steps'],
  ['src/routes/signing/signer-field-step.tsx', 'signature-pad'],
  ['src/routes/plaid-lab/plaid-lab-page.tsx', 'env-banner'],
  ['src/routes/account-security.tsx', 'recovery-codes'],
  ['src/routes/signing/manager-package-page.tsx', 'payout-alert'],
  ['src/routes/signing/manager-package/field-editor.tsx', 'field-box'],
  ['src/routes/verify-page.tsx', 'drop-zone'],
  ['src/routes/admin-settings.tsx', 'details--stacked'],
  ['src/routes/admin-outbox.tsx', 'outbox'],
  ['src/routes/admin-members.tsx', 'plain-list'],
  ['src/routes/admin-webhooks.tsx', 'webhooks-page'],
]

let manifest: Manifest

beforeAll(() => {
  if (!existsSync(MANIFEST))
    throw new Error(
      'web/dist/.vite/manifest.json is missing: run `npm run build:web` (npm run test:browser does)',
    )
  manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest
})

/** The chunks `key` loads before it runs (itself and its static imports), never its dynamic imports. */
function staticClosure(key: string): string[] {
  const seen = new Set<string>()
  const visit = (name: string) => {
    if (seen.has(name)) return
    seen.add(name)
    for (const imported of manifest[name]?.imports ?? []) visit(imported)
  }
  visit(key)
  return [...seen]
}

function stylesheetsOf(key: string): string[] {
  return [...new Set(staticClosure(key).flatMap((name) => manifest[name]?.css ?? []))]
}

function cssText(file: string): string {
  return readFileSync(new URL(file, DIST), 'utf8')
}

function definesClass(css: string, className: string): boolean {
  return new RegExp(`\\.${className.replace(/-/g, '\\-')}(?![\\w-])`).test(css)
}

describe('the built stylesheets', () => {
  it('give every split page a stylesheet of its own, and several of them', () => {
    const pageSheets = new Set(PAGE_ONLY_CLASSES.flatMap(([key]) => manifest[key]?.css ?? []))
    expect(pageSheets.size).toBe(PAGE_ONLY_CLASSES.length)
  })

  it.each(PAGE_ONLY_CLASSES)(
    'keep %s out of the entry: .%s arrives only with that page',
    (key, className) => {
      const entry = manifest['index.html']
      expect(entry?.isEntry).toBe(true)
      // The page is a lazily loaded chunk, not part of what the entry loads up front.
      expect(manifest[key]?.isDynamicEntry).toBe(true)
      expect(staticClosure('index.html')).not.toContain(key)

      const entrySheets = stylesheetsOf('index.html')
      expect(entrySheets.length).toBeGreaterThan(0)
      for (const sheet of entrySheets) expect(definesClass(cssText(sheet), className), sheet).toBe(false)
      expect(stylesheetsOf(key).some((sheet) => definesClass(cssText(sheet), className))).toBe(true)
    },
  )
})

describe('a page whose stylesheet is its own', () => {
  let stack: BrowserStack
  let server: TestServer
  let context: BrowserContext
  let page: Page
  let problems: string[]

  beforeAll(async () => {
    // Mounted as in the embedded demo, so every page carries the emulator's Link script like a real one.
    stack = await startBrowserStack()
    server = stack.server
  })

  afterAll(async () => {
    await stack?.close()
  })

  beforeEach(async () => {
    ;({ context, page, problems } = await stack.newPage())
  })

  afterEach(async () => {
    await context.close()
    // A stylesheet refused by the CSP shows up here as a console error.
    expect(problems).toEqual([])
  })

  const linkedStylesheets = () =>
    page.$$eval('link[rel="stylesheet"]', (links) =>
      links.map((link) => new URL((link as HTMLLinkElement).href).pathname),
    )

  it('is linked from /assets when the page loads, and styles it under the CSP', async () => {
    const verifySheets = (manifest['src/routes/verify-page.tsx']?.css ?? []).map((file) => `/${file}`)
    expect(verifySheets.length).toBeGreaterThan(0)

    await page.goto(`${server.url}/signin`)
    await page.getByRole('button', { name: 'Sign in' }).waitFor()
    const upFront = await linkedStylesheets()
    expect(upFront).toEqual(stylesheetsOf('index.html').map((file) => `/${file}`))
    for (const sheet of verifySheets) expect(upFront).not.toContain(sheet)

    await page.goto(`${server.url}/verify`)
    await page.getByRole('heading', { name: 'Verify a signed PDF' }).waitFor()
    await expect.poll(linkedStylesheets).toEqual(expect.arrayContaining(verifySheets))
    // The drop zone's dashed border comes from the page's own stylesheet, so that sheet was applied.
    const dropZone = page.locator('.drop-zone')
    await expect
      .poll(() => dropZone.evaluate((element) => getComputedStyle(element).borderTopStyle))
      .toBe('dashed')
  })
})
