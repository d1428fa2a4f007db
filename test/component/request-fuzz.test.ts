import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_DOCS_PATH } from '../../server/http/api-docs.ts'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'
import { startTestEmulator, type TestEmulator } from '../helpers/plaid.ts'

/**
 * Property: whatever strings a client puts into any field, path parameter or query parameter of any
 * JSON route, the answer is never a 5xx. The routes come from the OpenAPI document, so a new route is
 * fuzzed without touching this file. Strings are arbitrary Unicode, UTF-16 units (NUL, lone
 * surrogates), well-known troublemakers and very long runs; the rest of each request is shaped after
 * the route's schema so that many requests get past validation into the services and the database.
 */

type JsonSchema = {
  type?: string | string[]
  format?: string
  pattern?: string
  const?: unknown
  enum?: unknown[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  minItems?: number
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  minimum?: number
  maximum?: number
}
type Parameter = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; schema: JsonSchema }
type Operation = {
  parameters?: Parameter[]
  requestBody?: { content: Record<string, { schema: JsonSchema }> }
}
type Route = { method: string; path: string; operation: Operation }
type Fuzzed = { url: string; payload: string | undefined }

const SEED = 20_261_206
const RUNS_PER_ROUTE = 20

// Ids of real records, so uuid fields sometimes reach the services with something they can find.
const knownIds: string[] = []

const utf16Unit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit))
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: utf16Unit, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      '\u0000',
      '\ud800',
      '\udfff',
      'a\ud800b',
      '\udc00\ud800',
      '😀',
      ' ',
      '%00',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(1_000, 70_000, 400_000), fc.constantFrom('x', 'é', '😀', '\u0000', '\ud800'))
      .map(([length, unit]) => unit.repeat(length / unit.length)),
  },
)
/** Valid text with one hostile piece somewhere, e.g. `a@b\u0000`. */
const emailLike = fc
  .tuple(hostileString, hostileString, fc.constantFrom('example.test', 'safeclose.test'))
  .map(([local, extra, domain]) => `${local || 'a'}@${domain}${extra}`)

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'uuid') {
    return fc.oneof(fc.uuid(), hostileString, ...(knownIds.length ? [fc.constantFrom(...knownIds)] : []))
  }
  if (schema.format === 'date-time') {
    return fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      hostileString,
    )
  }
  if (schema.pattern?.includes('@')) return fc.oneof(emailLike, hostileString)
  return hostileString
}

function arbitraryFor(schema: JsonSchema, key = ''): fc.Arbitrary<unknown> {
  // Switching a workspace to real Plaid would make later bank calls fail upstream (502/503 by
  // design, not the input's doing); every other enum value is fair game.
  if (key === 'environment') return fc.constant('emulator')
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const branches = schema.anyOf ?? schema.oneOf
  if (branches) return fc.oneof(...branches.map((branch) => arbitraryFor(branch, key)))
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return stringFor(schema)
    case 'integer':
      return fc.integer({ min: (schema.minimum ?? -1_000) - 1, max: (schema.maximum ?? 1_000) + 1 })
    case 'number':
      return fc.double({ noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(arbitraryFor(schema.items ?? {}), { minLength: schema.minItems ?? 0, maxLength: 3 })
    case 'object': {
      const properties = schema.properties ?? {}
      const record = fc.record(
        Object.fromEntries(
          Object.entries(properties).map(([name, value]) => [name, arbitraryFor(value, name)]),
        ),
        { requiredKeys: (schema.required ?? []).filter((name) => name in properties) },
      )
      // Now and then an unknown field with a hostile name and value, too.
      return fc.oneof(
        { weight: 5, arbitrary: record },
        {
          weight: 1,
          arbitrary: fc
            .tuple(record, hostileString, hostileString)
            .map(([value, name, extra]) => ({ ...value, [name]: extra })),
        },
      )
    }
    default:
      return fc.oneof(hostileString, fc.dictionary(hostileString, hostileString, { maxKeys: 3 }))
  }
}

/** Percent-encodes every code unit, writing lone surrogates as WTF-8 bytes (as a raw client can). */
function percentEncode(value: string): string {
  let encoded = ''
  for (let index = 0; index < value.length; index += 1) {
    const codePoint = value.codePointAt(index) as number
    if (codePoint > 0xffff) index += 1
    if (/^[A-Za-z0-9._~-]$/.test(String.fromCodePoint(codePoint))) {
      encoded += String.fromCodePoint(codePoint)
      continue
    }
    const bytes =
      codePoint < 0x80
        ? [codePoint]
        : codePoint < 0x800
          ? [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 63)]
          : codePoint < 0x10000
            ? [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 63), 0x80 | (codePoint & 63)]
            : [
                0xf0 | (codePoint >> 18),
                0x80 | ((codePoint >> 12) & 63),
                0x80 | ((codePoint >> 6) & 63),
                0x80 | (codePoint & 63),
              ]
    encoded += bytes.map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')
  }
  return encoded
}

function arbitraryRequest(route: Route): fc.Arbitrary<Fuzzed> {
  const parameters = route.operation.parameters ?? []
  const pathParameters = parameters.filter((parameter) => parameter.in === 'path')
  const queryParameters = parameters.filter((parameter) => parameter.in === 'query')
  const bodySchema = route.operation.requestBody?.content['application/json']?.schema
  const hasBody = route.method !== 'GET' && route.method !== 'HEAD' && route.method !== 'DELETE'
  return fc
    .record({
      path: fc.tuple(...pathParameters.map((parameter) => stringFor(parameter.schema))),
      query: fc.tuple(
        ...queryParameters.map((parameter) => fc.option(arbitraryFor(parameter.schema), { nil: undefined })),
      ),
      // A route without a declared body gets an arbitrary object: it must ignore or refuse it.
      body: hasBody ? (bodySchema ? arbitraryFor(bodySchema) : arbitraryFor({})) : fc.constant(undefined),
    })
    .map(({ path, query, body }) => {
      let index = 0
      const url = route.path.replaceAll(/\{\w+\}/g, () => percentEncode(path[index++] ?? ''))
      const search = queryParameters
        .map((parameter, position) => [parameter.name, query[position]] as const)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => `${name}=${percentEncode(String(value))}`)
        .join('&')
      // JSON.stringify writes lone surrogates as \ud800 escapes, which JSON.parse turns back into them.
      return {
        url: search ? `${url}?${search}` : url,
        payload: body === undefined ? undefined : JSON.stringify(body),
      }
    })
}

describe('property: no request string makes any JSON route answer 5xx', () => {
  let t: TestApp
  let emulator: TestEmulator
  let routes: Route[]
  /** Status codes seen per identity and route: proof that requests got past validation too. */
  const statuses = new Map<string, number[]>()
  const identities: Record<'anonymous' | 'signer' | 'admin', string | null> = {
    anonymous: null,
    signer: null,
    admin: null,
  }

  beforeAll(async () => {
    emulator = await startTestEmulator()
    t = await buildTestApp({
      env: {
        PLAID_EMULATOR_URL: emulator.url,
        SIGN_IN_ATTEMPTS_PER_MINUTE: '100000',
        SIGN_IN_ATTEMPTS_PER_IP_PER_MINUTE: '100000',
      },
    })
    identities.admin = await t.signIn(DEMO.admin)
    const api = apiClient(() => t.app)
    const created = await api.ok('POST', '/api/signings', identities.admin, { title: 'Fuzz target' })
    await api.ok('POST', `/api/signings/${created.id}/documents`, identities.admin, {
      title: 'Terms',
      kind: 'markdown',
      markdown: '# Terms',
    })
    const draft = await api.ok('POST', `/api/signings/${created.id}/signers`, identities.admin, {
      legal_name: 'Sam Signer',
      email: 'sam.signer@example.test',
    })
    knownIds.push(created.id, draft.documents[0].id, draft.signers[0].id)

    // A signer session from a signing link, for the signer routes (fuzzed before the admin, who may
    // cancel the package and so end that session).
    const active = await api.ok('POST', '/api/signings', identities.admin, { title: 'Fuzz signer target' })
    await api.ok('POST', `/api/signings/${active.id}/documents`, identities.admin, {
      title: 'Deed',
      kind: 'markdown',
      markdown: '# Deed',
    })
    await api.ok('POST', `/api/signings/${active.id}/signers`, identities.admin, {
      legal_name: 'Fay Fuzz',
      email: 'fay.fuzz@example.test',
    })
    const activation = await api.ok('POST', `/api/signings/${active.id}/activate`, identities.admin)
    expect(knownIds.every((id) => typeof id === 'string')).toBe(true)
    const token = new URL(activation.invitations[0].url).pathname.split('/').at(-1)
    const opened = await api.call('POST', '/api/signing-links/open', null, { token })
    const signerCookie = opened.cookies.find((entry) => entry.name === 'safeclose_session')
    if (!signerCookie) throw new Error(`signing link did not open: ${opened.statusCode} ${opened.body}`)
    identities.signer = `${signerCookie.name}=${signerCookie.value}`
    knownIds.push(activation.signing.documents[0].id)

    const docs = (await t.app.inject({ method: 'GET', url: API_DOCS_PATH })).json() as {
      paths: Record<string, Record<string, Operation>>
    }
    routes = Object.entries(docs.paths)
      .flatMap(([path, item]) =>
        Object.entries(item).map(([method, operation]) => ({
          method: method.toUpperCase(),
          path,
          operation,
        })),
      )
      // Settings last: fuzzed Plaid credentials must not change the workspace under the other routes.
      .sort(
        (a, b) =>
          Number(a.path === '/api/admin/plaid-settings') - Number(b.path === '/api/admin/plaid-settings'),
      )
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    await emulator?.close()
  })

  it('enumerates every documented route', () => {
    expect(routes.length).toBeGreaterThan(30)
    expect(routes.map((route) => `${route.method} ${route.path}`)).toContain('POST /api/auth/sign-in/email')
  })

  for (const identity of ['anonymous', 'signer', 'admin'] as const) {
    it(`as ${identity}`, async () => {
      for (const route of routes) {
        // Signing out would turn the admin into the anonymous caller for every later route.
        if (identity !== 'anonymous' && route.path === '/api/auth/sign-out') continue
        await fc.assert(
          fc.asyncProperty(arbitraryRequest(route), async ({ url, payload }) => {
            const cookie = identities[identity]
            const response = await t.app.inject({
              method: route.method as 'GET',
              url,
              headers: {
                ...(cookie ? { cookie } : {}),
                ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
              },
              ...(payload === undefined ? {} : { payload }),
            })
            const where = `${route.method} ${url.slice(0, 200)} ${payload?.slice(0, 200) ?? ''}`
            expect(response.statusCode, `${where} → ${response.body.slice(0, 300)}`).toBeLessThan(500)
            const key = `${identity} ${route.method} ${route.path}`
            statuses.set(key, [...(statuses.get(key) ?? []), response.statusCode])
          }),
          { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
        )
      }
    }, 120_000)
  }

  it('got past validation into the services, not only 400s', () => {
    const answered = (prefix: string, accept: (status: number) => boolean) =>
      [...statuses].filter(([key, seen]) => key.startsWith(prefix) && seen.some(accept)).length
    expect(statuses.size).toBe(routes.length * 3 - 2)
    expect(answered('admin ', (status) => status >= 200 && status < 300)).toBeGreaterThanOrEqual(15)
    expect(answered('admin ', (status) => status === 404 || status === 409)).toBeGreaterThanOrEqual(10)
    expect(answered('anonymous POST /api/auth/sign-in', (status) => status === 401)).toBe(1)
    expect(answered('signer ', (status) => status >= 200 && status < 300)).toBeGreaterThanOrEqual(5)
  })
})
