import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// ADR 0021: the web app takes the API's types from server/http/contract.ts, type-only, and from
// nowhere else on the server; and that module imports nothing at run time.

const WEB_SRC = fileURLToPath(new URL('../../web/src/', import.meta.url))
const CONTRACT = fileURLToPath(new URL('../../server/http/contract.ts', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) ? [path] : []
  })
}

/** Every `import … from '…'` and `export … from '…'` statement, whole (they may span lines). */
function moduleStatements(source: string): { statement: string; specifier: string }[] {
  return [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((match) => ({
    statement: match[0],
    specifier: match[1] ?? '',
  }))
}

describe('the web app and the API contract', () => {
  it('imports from the server only the contract, and only its types', () => {
    const files = sourceFiles(WEB_SRC)
    const fromServer = files.flatMap((file) =>
      moduleStatements(readFileSync(file, 'utf8'))
        .filter(({ specifier }) => specifier.includes('/server/'))
        .map(({ statement, specifier }) => ({ file: relative(WEB_SRC, file), statement, specifier })),
    )
    // Guards the scan: web/src/api takes its types from the contract.
    expect(fromServer.some(({ file }) => file === join('api', 'signings.ts'))).toBe(true)
    for (const { file, statement, specifier } of fromServer) {
      expect(specifier.endsWith('/server/http/contract.ts'), `${file}: ${specifier}`).toBe(true)
      expect(/^(import|export) type\b/.test(statement), `${file}: ${statement}`).toBe(true)
    }
  })

  it('keeps the contract free of runtime imports', () => {
    const statements = moduleStatements(readFileSync(CONTRACT, 'utf8'))
    expect(statements.length).toBeGreaterThan(5)
    for (const { statement } of statements) expect(statement).toMatch(/^import type\b/)
  })
})
