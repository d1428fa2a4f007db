import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseSync } from 'vite'
import { describe, expect, it } from 'vitest'

// ADR 0023: the web app reads its data in route loaders and changes it through actions and fetchers,
// never in an effect. This static check parses every file in web/src and fails when the body of a
// `useEffect` / `useLayoutEffect` reaches the API: a function imported from web/src/api, `fetch`, or a
// function (in the same file or exported from another one) whose code reaches those. It follows names,
// not scopes or types, so it errs on the side of reporting; the few effects that talk to the API on
// purpose are listed below with the reason, and the list must stay exact.

const WEB_SRC = fileURLToPath(new URL('../../web/src/', import.meta.url))
const API_DIR = join(WEB_SRC, 'api')

const DELIBERATE: Record<string, string[]> = {
  // ADR 0015: trades the token in the address for a session, then loads a new document.
  'routes/signing/signer-link-page.tsx': ['signerApi'],
  // ADR 0015: finishes a bank's OAuth redirect, then loads a new document.
  'routes/oauth-return-page.tsx': ['fetchSession, plaidApi'],
  // Back from a bank's OAuth page: re-opens Plaid Link once with the stored token (a one-time
  // hand-over kept in sessionStorage, not page data).
  'routes/signing/bank-step.tsx': ['takeLinkResumption'],
  // The same in the lab; and the lab follows webhooks by re-reading its status every 5 s while an
  // Item is linked, each answer shown as the lab's status exchange.
  'routes/plaid-lab/use-plaid-lab.ts': ['takeLinkResumption', 'plaidApi'],
  // Leaving the lab sends the Link events still queued (a write on unmount, not a read).
  'routes/plaid-lab/use-link-event-reporter.ts': ['flush'],
}

type Node = { type: string; start: number; [key: string]: unknown }

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).type === 'string'
}

function children(node: Node): Node[] {
  return Object.entries(node).flatMap(([key, value]) => {
    if (key === 'type' || key === 'start' || key === 'end') return []
    if (Array.isArray(value)) return value.filter(isNode)
    return isNode(value) ? [value] : []
  })
}

function walk(node: Node, visit: (node: Node) => void): void {
  visit(node)
  for (const child of children(node)) walk(child, visit)
}

/**
 * The identifiers a piece of code reads: not property names (the `then` of `x.then`), and not the
 * class on the right of `instanceof` (testing for an `ApiError` calls nothing).
 */
function referencedNames(node: Node): Set<string> {
  const names = new Set<string>()
  const visit = (current: Node) => {
    if (current.type === 'Identifier') names.add(current.name as string)
    for (const child of children(current)) {
      const skipped =
        (current.type === 'MemberExpression' && child === current.property && !current.computed) ||
        (current.type === 'Property' && child === current.key && !current.computed && !current.shorthand) ||
        (current.type === 'BinaryExpression' && current.operator === 'instanceof' && child === current.right)
      if (!skipped) visit(child)
    }
  }
  visit(node)
  return names
}

type ParsedFile = {
  imports: { local: string; from: string; imported: string }[]
  /** Every named function or variable, at any depth, with the code that defines it. */
  declarations: { name: string; code: Node; exported: boolean }[]
  /** The function each effect runs. */
  effects: Node[]
}

const EFFECTS = new Set(['useEffect', 'useLayoutEffect', 'useInsertionEffect'])
const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'])

function calleeName(call: Node): unknown {
  const callee = call.callee as Node
  if (callee.type === 'Identifier') return callee.name
  return callee.type === 'MemberExpression' ? (callee.property as Node).name : null
}

/**
 * The function a declaration names (`function f`, `const f = () => …`, `const f = useCallback(…)`),
 * or null for a value: `const answer = await api.x()` holds data, and reading it calls nothing.
 */
function functionOf(code: Node): Node | null {
  if (FUNCTIONS.has(code.type)) return code
  const wrapped = code.type === 'CallExpression' ? (code.arguments as Node[])[0] : undefined
  const isWrapper =
    code.type === 'CallExpression' && ['useCallback', 'useMemo'].includes(calleeName(code) as string)
  return isWrapper && wrapped && FUNCTIONS.has(wrapped.type) ? wrapped : null
}

function parseFile(path: string, source: string): ParsedFile {
  const parsed = parseSync(path, source)
  if (parsed.errors.length > 0) throw new Error(`${path}: ${parsed.errors[0]?.message}`)
  const imports = parsed.module.staticImports.flatMap((statement) =>
    statement.moduleRequest.value.startsWith('.')
      ? statement.entries
          .filter((entry) => !entry.isType)
          .map((entry) => ({
            local: entry.localName.value,
            from: resolve(dirname(path), statement.moduleRequest.value),
            imported: entry.importName.kind === 'Name' ? (entry.importName.name ?? '') : '*',
          }))
      : [],
  )
  const exported = new Set<Node>()
  for (const statement of parsed.program.body as unknown as Node[]) {
    if (statement.type === 'ExportNamedDeclaration' && isNode(statement.declaration)) {
      exported.add(statement.declaration)
    }
  }
  const declarations: ParsedFile['declarations'] = []
  const effects: ParsedFile['effects'] = []
  walk(parsed.program as unknown as Node, (node) => {
    if (node.type === 'FunctionDeclaration' && isNode(node.id)) {
      declarations.push({ name: node.id.name as string, code: node, exported: exported.has(node) })
    }
    if (node.type === 'VariableDeclaration') {
      for (const declarator of node.declarations as Node[]) {
        const id = declarator.id as Node
        const code = isNode(declarator.init) ? functionOf(declarator.init) : null
        if (id.type === 'Identifier' && code) {
          declarations.push({ name: id.name as string, code, exported: exported.has(node) })
        }
      }
    }
    const body = node.type === 'CallExpression' ? (node.arguments as Node[])[0] : undefined
    if (body && EFFECTS.has(calleeName(node) as string)) effects.push(body)
  })
  return { imports, declarations, effects }
}

/** For each file (relative to `root`), its effects that reach the API: for each, the names through which. */
function effectsReachingTheApi(root: string, sources: Map<string, string>): Map<string, string[]> {
  const apiDir = join(root, 'api')
  const files = new Map(
    [...sources]
      .filter(([path]) => !path.startsWith(apiDir + sep))
      .map(([path, source]) => [path, parseFile(path, source)] as const),
  )
  // The names (exported by each file) whose code reaches the API; grown until nothing changes.
  const reachingExports = new Map<string, Set<string>>()
  const reachingIn = new Map<string, Set<string>>()
  let changed = true
  while (changed) {
    changed = false
    for (const [path, file] of files) {
      const reaching = new Set<string>()
      if (!file.declarations.some((declaration) => declaration.name === 'fetch')) reaching.add('fetch')
      for (const { local, from, imported } of file.imports) {
        const fromApi = from.startsWith(apiDir + sep)
        const fromReachingModule = reachingExports.get(from)?.has(imported) ?? false
        if (fromApi || fromReachingModule) reaching.add(local)
      }
      let grew = true
      while (grew) {
        grew = false
        for (const { name, code } of file.declarations) {
          if (reaching.has(name)) continue
          if ([...referencedNames(code)].some((used) => reaching.has(used))) {
            reaching.add(name)
            grew = true
          }
        }
      }
      const exports = new Set(
        file.declarations
          .filter(({ name, exported }) => exported && reaching.has(name))
          .map(({ name }) => name),
      )
      if (exports.size !== (reachingExports.get(path)?.size ?? 0)) changed = true
      reachingExports.set(path, exports)
      reachingIn.set(path, reaching)
    }
  }
  const found = new Map<string, string[]>()
  for (const [path, file] of files) {
    const reaching = reachingIn.get(path) ?? new Set()
    const effects = file.effects
      .map((effect) => [...referencedNames(effect)].filter((name) => reaching.has(name)).sort())
      .filter((names) => names.length > 0)
      .map((names) => names.join(', '))
    if (effects.length > 0) found.set(relative(root, path).split(sep).join('/'), effects)
  }
  return found
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

describe('the web data layer (ADR 0023)', () => {
  it('reads no data in effects, apart from the deliberate exceptions', () => {
    const files = sourceFiles(WEB_SRC)
    expect(files.some((file) => file.startsWith(API_DIR + sep))).toBe(true)
    const sources = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]))
    expect(Object.fromEntries(effectsReachingTheApi(WEB_SRC, sources))).toEqual(DELIBERATE)
  })

  describe('the check itself', () => {
    const root = '/app/src'
    const api = `export function fetchWorkspaces() { return fetch('/api/session/workspaces') }`
    const check = (files: Record<string, string>) =>
      Object.fromEntries(
        effectsReachingTheApi(
          root,
          new Map(
            Object.entries({ 'api/session.ts': api, ...files }).map(([path, code]) => [
              join(root, path),
              code,
            ]),
          ),
        ),
      )

    it('finds an API call written in the effect', () => {
      const page = `import { useEffect, useState } from 'react'
        import { fetchWorkspaces } from '../api/session.ts'
        export function Switcher() {
          const [choices, setChoices] = useState([])
          useEffect(() => { fetchWorkspaces().then((answer) => setChoices(answer.workspaces)) }, [])
          return choices.length
        }`
      expect(check({ 'routes/switcher.tsx': page })).toEqual({ 'routes/switcher.tsx': ['fetchWorkspaces'] })
    })

    it('finds one made through a local callback, a helper module or fetch', () => {
      const helper = `import * as session from './api/session.ts'
        export async function choices() { return (await session.fetchWorkspaces()).workspaces }
        export function unrelated() { return 1 }`
      const page = `import { useCallback, useEffect } from 'react'
        import { choices, unrelated } from '../helper.ts'
        export function Page() {
          const load = useCallback(async () => choices(), [])
          React.useLayoutEffect(() => { void load() }, [load])
          useEffect(() => { void fetch('/api/other') }, [])
          useEffect(() => { unrelated() }, [])
          return null
        }`
      expect(check({ 'helper.ts': helper, 'routes/page.tsx': page })).toEqual({
        'routes/page.tsx': ['load', 'fetch'],
      })
    })

    it('leaves effects that do not reach the API alone', () => {
      const page = `import { useEffect, useRef } from 'react'
        import { fetchWorkspaces } from '../api/session.ts'
        export async function pageLoader() { return fetchWorkspaces() }
        export function Page({ data }) {
          const input = useRef(null)
          useEffect(() => { input.current?.focus(); console.log(data.fetchWorkspaces) }, [data])
          return null
        }`
      expect(check({ 'routes/page.tsx': page })).toEqual({})
    })
  })
})
