import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import { EMULATOR_CREDENTIALS, PLAID_SANDBOX_PREFIX } from '../../server/app.ts'
import { STATUS_BY_CODE } from '../../server/errors.ts'
import { API_DOCS_PATH, SESSION_SECURITY_SCHEME } from '../../server/http/api-docs.ts'
import { API_TAGS } from '../../server/http/api-operations.ts'
import { textFormatPlugin } from '../../server/http/text.ts'
import { SESSION_COOKIE } from '../../server/modules/auth/session-guard.ts'
import { buildTestApp, DEMO, TEST_KEYRING, type TestApp } from '../helpers/build-app.ts'
import { registeredRoutes } from '../helpers/routes.ts'

type Operation = {
  summary?: string
  tags?: string[]
  security?: Record<string, string[]>[]
  'x-safeclose-access'?: string
  responses: Record<string, unknown>
}
type OpenApiDocument = {
  openapi: string
  security: Record<string, string[]>[]
  paths: Record<string, Record<string, Operation>>
  components: {
    securitySchemes: Record<string, unknown>
    schemas: Record<string, { properties: { error: { properties: { code: { enum: string[] } } } } }>
  }
}

const PLAID_SECRET = 'docs-test-plaid-secret-0123456789'
/** Valid bodies for the signer flow's POST routes, so the request gets past validation. */
const SIGNER_FLOW_BODIES: Record<string, object> = {
  'POST /api/signer/signing/bank/link-started': { link_session_id: 'docs-test-session' },
  'POST /api/signer/signing/bank/account': { account_id: 'docs-test-account' },
  'POST /api/signer/signing/sign': { typed_name: 'Sam Signer', consent: true },
}
const toOpenApiPath = (url: string) => url.replaceAll(/:(\w+)/g, '{$1}')
const toUrl = (path: string) => path.replaceAll(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000')

describe('OpenAPI description at GET /api/docs', () => {
  let t: TestApp
  let body: string
  let document: OpenApiDocument
  let operations: { method: string; path: string; operation: Operation }[]

  beforeAll(async () => {
    t = await buildTestApp({
      // The sandbox is mounted so the test can see that its routes stay out of the document.
      env: { PLAID_SANDBOX_ENABLED: 'true', PLAID_CLIENT_ID: 'docs-test-client', PLAID_SECRET },
      plaidSandboxPlugin: createPlaidSandbox().plugin,
    })
    const response = await t.app.inject({ method: 'GET', url: API_DOCS_PATH })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    body = response.body
    document = response.json()
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
    )
  })
  afterAll(() => t.close())

  it('is a valid OpenAPI 3.1 document whose schemas all compile as JSON Schema 2020-12', async () => {
    expect(document.openapi).toBe('3.1.0')
    const result = await new Validator().validate(structuredClone(document))
    expect(result.errors).toBeUndefined()
    expect(result.valid).toBe(true)

    const ajv = new Ajv2020({ strict: true, strictRequired: false })
    addFormats.default(ajv)
    textFormatPlugin(ajv)
    ajv.addKeyword('x-safeclose-access')
    for (const { method, path, operation } of operations) {
      const op = operation as Operation & {
        requestBody?: { content: Record<string, { schema: object }> }
        parameters?: { schema: object }[]
      }
      const schemas = [
        ...Object.values(op.requestBody?.content ?? {}).map((media) => media.schema),
        ...(op.parameters ?? []).map((parameter) => parameter.schema),
        ...Object.values(op.responses).flatMap((response) =>
          Object.values((response as { content?: Record<string, { schema: object }> }).content ?? {}).map(
            (media) => media.schema,
          ),
        ),
      ]
      for (const schema of schemas) expect(() => ajv.compile(schema), `${method} ${path}`).not.toThrow()
    }
  })

  it('lists every /api route the app registered (but itself), and nothing it did not', () => {
    const apiRoutes = registeredRoutes(t.app)
      .filter((route) => route.url.startsWith('/api/') && route.url !== API_DOCS_PATH)
      .filter((route) => route.method !== 'HEAD')
      .map((route) => `${route.method} ${toOpenApiPath(route.url)}`)
    // Guards the route reader itself: an empty list would make this test pass vacuously.
    expect(apiRoutes).toContain('POST /api/auth/sign-in/email')
    expect(apiRoutes).toContain('DELETE /api/signings/{id}/documents/{documentId}')

    const documented = operations.map(({ method, path }) => `${method} ${path}`)
    expect(documented.filter((entry) => entry.includes(' /api/')).sort()).toEqual([...apiRoutes].sort())
    expect(documented.filter((entry) => !entry.includes(' /api/')).sort()).toEqual([
      'GET /healthz',
      'GET /readyz',
    ])
  })

  it('gives every operation a summary, one module tag and an access level', () => {
    const tags = Object.keys(API_TAGS)
    for (const { method, path, operation } of operations) {
      const name = `${method} ${path}: add it to server/http/api-operations.ts`
      expect(operation.summary, name).toBeTruthy()
      expect(operation.tags, name).toHaveLength(1)
      expect(tags, name).toContain(operation.tags?.[0])
      expect(['public', 'session', 'signer', 'manager', 'admin'], name).toContain(
        operation['x-safeclose-access'],
      )
    }
  })

  it('leaves out the embedded Plaid sandbox, the web pages and the docs route', () => {
    const paths = Object.keys(document.paths)
    expect(registeredRoutes(t.app).some((route) => route.url.startsWith(`${PLAID_SANDBOX_PREFIX}/`))).toBe(
      true,
    )
    expect(paths.filter((path) => path.startsWith(PLAID_SANDBOX_PREFIX))).toEqual([])
    expect(paths).not.toContain(API_DOCS_PATH)
    expect(paths.filter((path) => path.includes('*') || path.startsWith('/assets'))).toEqual([])
    expect(body).not.toContain('plaid-sandbox')
  })

  it('declares the session cookie as the credential, and no-session routes as public', async () => {
    expect(document.components.securitySchemes[SESSION_SECURITY_SCHEME]).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: SESSION_COOKIE,
    })
    expect(document.security).toEqual([{ [SESSION_SECURITY_SCHEME]: [] }])
    const publicRoutes = operations.filter(({ operation }) => operation.security?.length === 0)
    expect(publicRoutes.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'GET /healthz',
      'GET /readyz',
      'POST /api/auth/password-reset/confirm',
      'POST /api/auth/password-reset/request',
      'POST /api/auth/sign-in/2fa',
      'POST /api/auth/sign-in/email',
      'POST /api/auth/sign-out',
      'POST /api/invitations/accept',
      'POST /api/invitations/preview',
      'POST /api/setup',
      'POST /api/setup/preview',
      'POST /api/signing-links/open',
      'POST /api/verify',
      'POST /api/webhooks/plaid',
    ])
    // The document must say what the guards do: without a cookie, exactly the others answer 401.
    for (const { method, path, operation } of operations) {
      const response = await t.app.inject({ method: method as 'GET', url: toUrl(path) })
      const isUnauthenticated =
        response.statusCode === 401 && response.json().error.code === 'UNAUTHENTICATED'
      expect(isUnauthenticated, `${method} ${path}`).toBe(operation.security?.length !== 0)
    }
  })

  it('states role requirements that the guards enforce', async () => {
    const signer = await t.signIn(DEMO.signer)
    const manager = await t.signIn(DEMO.manager)
    const refused = async (method: string, path: string, cookie: string) => {
      // Role guards run before validation; the signer flow checks its scope after it.
      const payload = SIGNER_FLOW_BODIES[`${method} ${path}`]
      const response = await t.app.inject({
        method: method as 'GET',
        url: toUrl(path),
        headers: { cookie },
        payload,
      })
      return response.statusCode === 403
    }
    for (const { method, path, operation } of operations) {
      const access = operation['x-safeclose-access']
      const name = `${method} ${path}`
      if (access === 'manager' || access === 'admin')
        expect(await refused(method, path, signer), name).toBe(true)
      if (access === 'admin') expect(await refused(method, path, manager), name).toBe(true)
      // A password session, even the signer's own, is not a signing-link session.
      if (access === 'signer') expect(await refused(method, path, signer), name).toBe(true)
    }
  })

  it('describes the common error model, and real error answers match it', async () => {
    const errorSchema = document.components.schemas.ApiError
    expect(errorSchema?.properties.error.properties.code.enum.sort()).toEqual(
      Object.keys(STATUS_BY_CODE).sort(),
    )
    const apiOperations = operations.filter(({ path }) => path.startsWith('/api/'))
    for (const { operation } of apiOperations) {
      expect(operation.responses.default).toEqual({ $ref: '#/components/responses/Error' })
    }

    const validate = new Ajv2020({ strict: false }).compile(errorSchema ?? {})
    const unauthenticated = await t.app.inject({ method: 'GET', url: '/api/session' })
    const invalid = await t.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload: {} })
    for (const answer of [unauthenticated.json(), invalid.json()]) {
      expect(validate(answer), JSON.stringify(validate.errors)).toBe(true)
    }
    expect(validate({ error: { code: 'NOT_A_CODE', message: 'x' }, request_id: 'r' })).toBe(false)
  })

  it('leaks no secrets, keys or token-shaped examples', () => {
    const keys = TEST_KEYRING.split(',').map((entry) => entry.slice(entry.indexOf(':') + 1))
    const secrets = [PLAID_SECRET, EMULATOR_CREDENTIALS.secret, DEMO.password, ...keys]
    for (const secret of secrets) expect(body).not.toContain(secret)
    expect(body).not.toMatch(/(public|access|link)-(sandbox|development|production)-[A-Za-z0-9]/)
    expect(body).not.toMatch(/"examples?"\s*:/)
  })
})
