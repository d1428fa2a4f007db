import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_DOCS_PATH } from '../../server/http/api-docs.ts'
import { databaseInputErrorCode } from '../../server/http/error-handler.ts'
import { isText, TEXT_FORMAT } from '../../server/http/text.ts'
import { apiClient } from '../helpers/api-client.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

type JsonSchema = {
  type?: string | string[]
  format?: string
  const?: unknown
  enum?: unknown[]
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
}
type Operation = {
  parameters?: { in: string; name: string; schema: JsonSchema }[]
  requestBody?: { content: Record<string, { schema: JsonSchema }> }
}

/** Formats that admit only ASCII shapes of their own, so they can carry no NUL or lone surrogate. */
const SAFE_FORMATS = new Set([TEXT_FORMAT, 'uuid', 'date-time'])

/** Paths (`body.title`, `params.id`) of request strings that are neither `Text()` nor constrained. */
function unguardedStrings(schema: JsonSchema, at: string): string[] {
  const nested = [
    ...Object.entries(schema.properties ?? {}).flatMap(([key, value]) =>
      unguardedStrings(value, `${at}.${key}`),
    ),
    ...(schema.items ? unguardedStrings(schema.items, `${at}[]`) : []),
    ...[...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])].flatMap((branch) =>
      unguardedStrings(branch, at),
    ),
  ]
  const isString = schema.type === 'string' || (Array.isArray(schema.type) && schema.type.includes('string'))
  const isGuarded =
    schema.const !== undefined || schema.enum !== undefined || SAFE_FORMATS.has(schema.format ?? '')
  return isString && !isGuarded ? [at, ...nested] : nested
}

describe('text input: NUL and lone surrogates', () => {
  let t: TestApp
  let admin: string
  const api = apiClient(() => t.app)

  beforeAll(async () => {
    t = await buildTestApp()
    admin = await t.signIn(DEMO.admin)
  })
  afterAll(() => t.close())

  it('isText refuses NUL and unpaired surrogates and keeps everything else', () => {
    expect(isText('Closing for 12 Elm St. — ✓ 😀 日本')).toBe(true)
    expect(isText('')).toBe(true)
    expect(isText('a\u0000b')).toBe(false)
    expect(isText('\ud800')).toBe(false)
    expect(isText('x\udc00')).toBe(false)
    expect(isText('\udc00\ud800')).toBe(false)
    expect(isText('\ud83d\ude00')).toBe(true)
  })

  it('every string in every request schema of the API is Text() or otherwise constrained', async () => {
    const document = (await t.app.inject({ method: 'GET', url: API_DOCS_PATH })).json() as {
      paths: Record<string, Record<string, Operation>>
    }
    const unguarded: string[] = []
    let checked = 0
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const where = `${method.toUpperCase()} ${path}`
        for (const parameter of operation.parameters ?? []) {
          checked += 1
          for (const field of unguardedStrings(parameter.schema, `${parameter.in}.${parameter.name}`))
            unguarded.push(`${where} ${field}`)
        }
        for (const content of Object.values(operation.requestBody?.content ?? {})) {
          checked += 1
          for (const field of unguardedStrings(content.schema, 'body')) unguarded.push(`${where} ${field}`)
        }
      }
    }
    expect(checked).toBeGreaterThan(20)
    expect(unguarded).toEqual([])
  })

  it('answers 400 VALIDATION_FAILED for NUL or a lone surrogate in the anonymous sign-in', async () => {
    for (const email of ['a\u0000@example.test', 'a\ud800@example.test']) {
      const response = await api.call('POST', '/api/auth/sign-in/email', null, { email, password: 'x' })
      expect(response.statusCode, JSON.stringify(email)).toBe(400)
      expect(response.json().error.code).toBe('VALIDATION_FAILED')
      expect(response.json().error.message).toContain('body.email')
    }
    const password = await api.call('POST', '/api/auth/sign-in/email', null, {
      email: DEMO.admin,
      password: 'pass\u0000word',
    })
    expect(password.statusCode).toBe(400)
  })

  it('refuses a lone surrogate in a title instead of storing U+FFFD, and keeps real emoji', async () => {
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a hostile client would.
    const lone = await api.call('POST', '/api/signings', admin, { title: 'Closing \ud800' })
    expect(lone.statusCode).toBe(400)
    expect(lone.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('body.title must not contain'),
    })
    const nul = await api.call('POST', '/api/signings', admin, { title: 'Closing', note: 'a\u0000b' })
    expect(nul.statusCode).toBe(400)

    const created = await api.ok('POST', '/api/signings', admin, { title: 'Closing 😀 日本' })
    const read = await api.ok('GET', `/api/signings/${created.id}`, admin)
    expect(read.title).toBe('Closing 😀 日本')
  })

  it('refuses NUL in Markdown, settings and querystrings', async () => {
    const created = await api.ok('POST', '/api/signings', admin, { title: 'Markdown check' })
    const markdown = await api.call('POST', `/api/signings/${created.id}/documents`, admin, {
      title: 'Terms',
      kind: 'markdown',
      markdown: `# Terms\n${'x'.repeat(100_000)}\u0000`,
    })
    expect(markdown.statusCode).toBe(400)
    const settings = await api.call('PUT', '/api/admin/plaid-settings', admin, {
      webhook_base_url: 'https://example.test/\u0000',
    })
    expect(settings.statusCode).toBe(400)
    const query = await api.call('GET', '/api/admin/webhooks?limit=1%00', admin)
    expect(query.statusCode).toBe(400)
    const param = await api.call('GET', '/api/signings/not-a-uuid%00', admin)
    expect(param.statusCode).toBe(400)
  })

  it('maps database errors caused by a value to their SQLSTATE (400 in the error handler)', async () => {
    const failures = await Promise.allSettled([
      t.database.db.execute("select 'not-a-uuid'::uuid"),
      t.database.db.execute("select E'a\\\\x00b'::text::bytea::text, convert_from('\\x00'::bytea, 'UTF8')"),
    ])
    const codes = failures.map((failure) =>
      failure.status === 'rejected' ? databaseInputErrorCode(failure.reason) : 'no error',
    )
    expect(codes[0]).toBe('22P02')
    expect(codes[1]).toMatch(/^22/)
    expect(databaseInputErrorCode(new Error('unrelated'))).toBeNull()
    expect(databaseInputErrorCode({ code: '23505' })).toBeNull()
  })
})
