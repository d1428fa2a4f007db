import { describe, expect, it } from 'vitest'
import { contractViolations, successSchemaName } from './helpers/openapi-contract.ts'

// Guards the guard: the contract check used by every round-trip test must reject wrong bodies.
describe('contract check against the official Plaid OpenAPI spec', () => {
  it('rejects a body missing required fields and accepts nullable values', () => {
    expect(successSchemaName('/item/get')).toBe('ItemGetResponse')
    expect(contractViolations('ItemGetResponse', { request_id: 'x' })).not.toEqual([])
    expect(
      contractViolations('PlaidError', {
        error_type: 'INVALID_INPUT',
        error_code: 'INVALID_API_KEYS',
        error_message: 'invalid client_id or secret provided',
        display_message: null,
        request_id: 'abc',
      }),
    ).toEqual([])
    expect(
      contractViolations('PlaidError', { error_type: 'NOT_A_TYPE', error_code: 'X', error_message: '' }),
    ).not.toEqual([])
  })
})
