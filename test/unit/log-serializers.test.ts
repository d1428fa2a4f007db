import { describe, expect, it } from 'vitest'
import { redactUrl, safeErrorMessage, serializeError, serializeRequest } from '../../server/logger.ts'

describe('redactUrl', () => {
  it.each([
    ['/signing/s/abcDEF123_-xyz', '/signing/s/[redacted]'],
    ['/signing/s/abcDEF123/extra?x=1', '/signing/s/[redacted]/extra?x=1'],
    ['/signing//s/abc', '/signing//s/[redacted]'],
    ['/signing%2Fs%2Fabc', '/signing%2Fs%2F[redacted]'],
    ['/SIGNING/S/abc', '/SIGNING/S/[redacted]'],
    ['/invite/abcDEF123_-xyz', '/invite/[redacted]'],
    ['/reset-password/abcDEF123_-xyz', '/reset-password/[redacted]'],
    ['/setup/abcDEF123_-xyz', '/setup/[redacted]'],
    ['/api/invitations/accept', '/api/invitations/accept'],
    ['/link.html?token=link-sandbox-1&origin=x', '/link.html?token=[redacted]&origin=x'],
    [
      '/cb?link_token=a&public_token=b&access_token=c',
      '/cb?link_token=[redacted]&public_token=[redacted]&access_token=[redacted]',
    ],
    ['/oauth?oauth_state_id=123&Token=x', '/oauth?oauth_state_id=[redacted]&Token=[redacted]'],
    ['/x?receivedRedirectUri=https%3A%2F%2Fa%2F%3Foauth_state_id%3D1', '/x?receivedRedirectUri=[redacted]'],
    ['/x?anything=public-sandbox-123', '/x?anything=[redacted]'],
    ['/x?public-sandbox-123', '/x?[redacted]'],
    ['/items/access-production-123/get', '/items/[redacted]/get'],
    ['/x?tok%65n=abc', '/x?tok%65n=[redacted]'],
  ])('%s → %s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected)
  })

  it('leaves URLs without credentials alone', () => {
    for (const url of ['/', '/signing', '/signing/sign?x=1', '/api/signings/1a2b?step=2&page=', '/a?b'])
      expect(redactUrl(url)).toBe(url)
  })

  it('is what the request serializer writes', () => {
    expect(
      serializeRequest({ method: 'GET', url: '/signing/s/secret', host: 'h', ip: '1.2.3.4', headers: {} }),
    ).toMatchObject({ method: 'GET', url: '/signing/s/[redacted]', host: 'h', remoteAddress: '1.2.3.4' })
  })
})

describe('serializeError', () => {
  function pgError(message: string, fields: Record<string, unknown>) {
    return Object.assign(new Error(message), { name: 'error', severity: 'ERROR', ...fields })
  }

  it('drops SQL, parameters and detail from a failed query and its cause, keeping the error class', () => {
    const cause = pgError('duplicate key value violates unique constraint "users_email_lower_key"', {
      code: '23505',
      detail: 'Key (lower(email))=(ann@example.test) already exists.',
      table: 'users',
      constraint: 'users_email_lower_key',
      query: 'insert into users values ($1)',
      params: ['ann@example.test'],
      where: 'PL/pgSQL function f() line 3 at RAISE',
    })
    class DrizzleQueryError extends Error {
      query = 'insert into "users" ("email") values ($1)'
      params = ['ann@example.test']
    }
    const failed = new DrizzleQueryError(
      'Failed query: insert into "users" ("email") values ($1)\nparams: ann@example.test',
      {
        cause,
      },
    )
    const serialized = serializeError(failed) as Record<string, Record<string, unknown>>
    const text = JSON.stringify(serialized)
    expect(text).not.toContain('ann@example.test')
    expect(text).not.toContain('insert into')
    expect(serialized).toMatchObject({
      type: 'DrizzleQueryError',
      message: 'Failed query',
      cause: { type: 'DatabaseError', code: '23505', table: 'users', constraint: 'users_email_lower_key' },
    })
    expect(String(serialized.stack)).toMatch(/^DrizzleQueryError: Failed query\n\s+at /)
    for (const field of ['query', 'params', 'detail', 'where'])
      expect(serialized.cause).not.toHaveProperty(field)
  })

  it('cuts the value off a PostgreSQL message, keeps other messages', () => {
    expect(
      safeErrorMessage(pgError('invalid input syntax for type uuid: "ann@example.test"', { code: '22P02' })),
    ).toBe('invalid input syntax for type uuid')
    expect(safeErrorMessage(new Error('Request failed: status 400'))).toBe('Request failed: status 400')
  })

  it('passes strings through and survives cycles', () => {
    expect(serializeError('plain text')).toBe('plain text')
    const looped = new Error('loop') as Error & { self?: unknown }
    looped.cause = looped
    expect(serializeError(looped)).toMatchObject({ message: 'loop', cause: '[Circular]' })
  })
})
