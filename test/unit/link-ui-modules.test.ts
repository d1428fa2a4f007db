import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The emulated Link's browser files (plaid-sandbox/src/link-ui/) are plain JavaScript served as is:
// link.html loads link.js as a native ES module, which imports the small modules under link/. They stay
// small, type-checked (`// @ts-check`, and `npm run typecheck` runs plaid-sandbox/tsconfig.link-ui.json), and the
// browser never gets anything but .js from them.

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const LINK_UI = join(ROOT, 'plaid-sandbox/src/link-ui')
/** Past this a module does more than one thing: split it along what it does. */
const MAX_LINES = 300
/** Classic scripts, loaded by <script src> from their own pages, not part of link.js's module graph. */
const CLASSIC_SCRIPTS = ['link-initialize.js', join('oauth-bank', 'bank.js')]

function scriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return scriptFiles(path)
    return entry.name.endsWith('.js') ? [path] : []
  })
}

/** Specifiers of the static `import … from` / `export … from` statements (JSDoc `@import`s are comments). */
function importSpecifiers(source: string): string[] {
  return [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map(
    (match) => match[1] ?? '',
  )
}

function lineCount(source: string): number {
  return source.replace(/\n$/, '').split('\n').length
}

/** JSON with `//` comment lines, as tsc reads it. */
function readJsonc(path: string): Record<string, unknown> {
  const text = readFileSync(path, 'utf8')
  return JSON.parse(
    text
      .split('\n')
      .filter((line) => !/^\s*\/\//.test(line))
      .join('\n'),
  ) as Record<string, unknown>
}

const files = scriptFiles(LINK_UI)
const name = (file: string) => relative(LINK_UI, file)

describe('the Link UI browser files', () => {
  it('are found (guards the scan)', () => {
    const names = files.map(name)
    expect(names).toEqual(
      expect.arrayContaining(['link.js', 'link-initialize.js', join('link', 'session.js')]),
    )
    expect(names.length).toBeGreaterThan(10)
  })

  it(`each start with // @ts-check and stay within ${MAX_LINES} lines`, () => {
    for (const file of files) {
      const source = readFileSync(file, 'utf8')
      expect(source.split('\n')[0], `${name(file)}: first line`).toBe('// @ts-check')
      expect(lineCount(source), `${name(file)}: lines`).toBeLessThanOrEqual(MAX_LINES)
    }
  })

  it('import only .js files of this folder, by relative URL, so the browser never fetches a .ts file', () => {
    for (const file of files) {
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        const where = `${name(file)}: '${specifier}'`
        expect(specifier, where).toMatch(/^\.\.?\/.*\.js$/)
        const target = resolve(dirname(file), specifier)
        expect(relative(LINK_UI, target).startsWith('..'), where).toBe(false)
        expect(existsSync(target), where).toBe(true)
      }
    }
  })

  it('load link.js as the page module, and every other module is reachable from it', () => {
    const html = readFileSync(join(LINK_UI, 'link.html'), 'utf8')
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0])
    expect(scripts).toEqual(['<script type="module" src="link.js">'])

    const reached = new Set<string>()
    const visit = (file: string) => {
      if (reached.has(file)) return
      reached.add(file)
      for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
        visit(resolve(dirname(file), specifier))
      }
    }
    visit(join(LINK_UI, 'link.js'))
    const unreached = files.filter((file) => !reached.has(file) && !CLASSIC_SCRIPTS.includes(name(file)))
    expect(unreached.map(name)).toEqual([])
    // The classic scripts import nothing: their pages load them with a plain <script src>.
    for (const script of CLASSIC_SCRIPTS) {
      expect(importSpecifiers(readFileSync(join(LINK_UI, script), 'utf8')), script).toEqual([])
    }
  })

  it('are type-checked by npm run typecheck', () => {
    const tsconfigPath = join(ROOT, 'plaid-sandbox/tsconfig.link-ui.json')
    const tsconfig = readJsonc(tsconfigPath)
    expect(tsconfig.compilerOptions).toMatchObject({ allowJs: true, checkJs: true })
    expect(tsconfig.include).toEqual(['src/link-ui/**/*.js'])
    const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(packageJson.scripts.typecheck).toContain(`tsc --noEmit -p ${relative(ROOT, tsconfigPath)}`)
  })
})
