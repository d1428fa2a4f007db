import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import { PLAID_SANDBOX_PREFIX } from '../../server/app.ts'
import { API_DOCS_PATH } from '../../server/http/api-docs.ts'
import { buildTestApp, type TestApp } from '../helpers/build-app.ts'
import { registeredRoutes } from '../helpers/routes.ts'

/**
 * Every route declares its success answer (ADR 0021). A JSON answer has a schema, so the OpenAPI
 * document describes it and Fastify's serializer sends only the declared fields; an answer that is
 * not JSON names its media type. The document at GET /api/docs is built from the routes' own
 * schemas (nothing is filled in for a route that declares none), so reading it reads the routes.
 */

/** Operations whose success body is not JSON: their media type, checked against the document. */
const NOT_JSON: Record<string, string> = {
  'GET /api/signings/{id}/certificate': 'text/html',
  'GET /api/signings/{id}/documents/{documentId}/pdf': 'application/pdf',
  'GET /api/signings/{id}/sealed.pdf': 'application/pdf',
  'GET /api/signings/{id}/certificate.pdf': 'application/pdf',
  'GET /api/signer/signing/documents/{documentId}/pdf': 'application/pdf',
  'GET /api/signer/signing/sealed.pdf': 'application/pdf',
}

/**
 * Routes outside the document, and why they have no response schema: none of them answers JSON
 * of Safeclose's API.
 */
const OUTSIDE_THE_DOCUMENT: { route: RegExp; why: string }[] = [
  { route: /^GET \/\*$/, why: "the web app's HTML pages (index.html with a fresh nonce)" },
  { route: /^GET \/assets\/\*$/, why: 'hashed static files (@fastify/static)' },
  { route: /^GET \/favicon\.svg$/, why: 'an SVG file' },
  { route: new RegExp(`^GET ${API_DOCS_PATH}$`), why: 'the OpenAPI document itself' },
  {
    route: new RegExp(`^[A-Z]+ ${PLAID_SANDBOX_PREFIX}(/.*)?$`),
    why: "the embedded Plaid emulator: Plaid's API (its contract is plaid-sandbox/contract/), not Safeclose's",
  },
]

type Response = { description?: string; content?: Record<string, { schema?: Record<string, unknown> }> }
type Operation = { responses: Record<string, Response> }

const toOpenApiPath = (url: string) => url.replaceAll(/:(\w+)/g, '{$1}')

describe('response schemas', () => {
  let t: TestApp
  let operations: { name: string; operation: Operation }[]

  beforeAll(async () => {
    t = await buildTestApp({
      env: {
        PLAID_SANDBOX_ENABLED: 'true',
        PLAID_CLIENT_ID: 'schemas-test-client',
        PLAID_SECRET: 'x'.repeat(30),
      },
      plaidSandboxPlugin: createPlaidSandbox().plugin,
    })
    const document = (await t.app.inject({ method: 'GET', url: API_DOCS_PATH })).json() as {
      paths: Record<string, Record<string, Operation>>
    }
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    )
  })
  afterAll(() => t.close())

  it('every documented operation declares its 2xx answer: a JSON schema, no content (204) or a media type', () => {
    // Guards the reading itself: an empty list would pass vacuously.
    expect(operations.length).toBeGreaterThan(80)
    const missing: string[] = []
    for (const { name, operation } of operations) {
      const successes = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status))
      const isDeclared =
        successes.length > 0 &&
        successes.every(([status, response]) => {
          if (status === '204') return response.content === undefined
          const media = Object.entries(response.content ?? {})
          if (media.length === 0) return false
          const expected = NOT_JSON[name]
          return media.every(([type, { schema }]) =>
            expected ? type === expected : type === 'application/json' && schema !== undefined,
          )
        })
      if (!isDeclared) missing.push(name)
    }
    expect(missing, 'declare `response: { 2xx: Schema }` on these routes').toEqual([])
  })

  it('describes the non-JSON answers by media type (a PDF as its contentMediaType)', () => {
    for (const [name, type] of Object.entries(NOT_JSON)) {
      const found = operations.find((entry) => entry.name === name)
      expect(found, name).toBeDefined()
      const media = found?.operation.responses['200']?.content?.[type]
      expect(media, name).toBeDefined()
      if (type === 'application/pdf')
        expect(media?.schema).toMatchObject({ type: 'string', contentMediaType: 'application/pdf' })
    }
  })

  it('types every JSON answer in the contract (ApiAnswers in server/http/contract.ts)', async () => {
    const source = await readFile(new URL('../../server/http/contract.ts', import.meta.url), 'utf8')
    const block = source.slice(source.indexOf('export type ApiAnswers = {'))
    const keys = [...block.matchAll(/^ {2}'([A-Z]+ \/[^']*)': /gm)].map(([, key = '']) => toOpenApiPath(key))
    expect(keys).toContain('GET /api/signings/{id}')
    const json = operations.map(({ name }) => name).filter((name) => !(name in NOT_JSON))
    expect([...keys].sort()).toEqual([...json].sort())
  })

  it('leaves out of the document only the listed non-API routes', () => {
    const documented = new Set(operations.map(({ name }) => name))
    const routes = registeredRoutes(t.app)
      .filter((route) => route.method !== 'HEAD')
      .map((route) => `${route.method} ${toOpenApiPath(route.url)}`)
    expect(routes).toContain('GET /healthz')
    const undocumented = routes.filter((name) => !documented.has(name))
    const unexplained = undocumented.filter(
      (name) => !OUTSIDE_THE_DOCUMENT.some(({ route }) => route.test(name)),
    )
    expect(unexplained).toEqual([])
    // Each exception is still in use (a stale entry would hide nothing, but misleads).
    for (const { route, why } of OUTSIDE_THE_DOCUMENT) {
      expect(
        undocumented.some((name) => route.test(name)),
        why,
      ).toBe(true)
    }
  })
})
