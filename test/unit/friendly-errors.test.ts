import { describe, expect, it } from 'vitest'
import { ApiError, apiErrorFrom } from '../../web/src/api/client.ts'
import { friendlyValidationMessage, inputNameOf } from '../../web/src/friendly-errors.ts'

function refusal(error: Record<string, unknown>, status = 400) {
  return apiErrorFrom({
    method: 'POST',
    path: '/api/x',
    requestBody: {},
    status,
    ok: false,
    responseBody: { error, request_id: 'req-1' },
    requestId: 'req-1',
  })
}

describe('friendly messages for refused values', () => {
  it('says a short signing token is an incomplete link, never the validator text', () => {
    const error = refusal({
      code: 'VALIDATION_FAILED',
      message: 'body.token must NOT have fewer than 20 characters',
      field: 'body.token',
      rule: 'minLength',
    })
    expect(error).toBeInstanceOf(ApiError)
    expect(error.message).toMatch(/^This link is incomplete\./)
    expect(error.message).not.toContain('body.')
    expect(error.refused).toEqual({ field: 'body.token', rule: 'minLength' })
    expect(error.requestId).toBe('req-1')
  })

  it('says an upload that is not a PDF is not a PDF', () => {
    const error = refusal({
      code: 'VALIDATION_FAILED',
      message: 'body.pdf_base64 is not a PDF file (it does not start with %PDF-).',
      field: 'body.pdf_base64',
      rule: 'pdf',
    })
    expect(error.message).toMatch(/^That file is not a PDF\./)
    expect(friendlyValidationMessage({ field: 'file', rule: 'pdf_encrypted' })).toMatch(/password/)
  })

  it('names the field in words for the common rules', () => {
    expect(friendlyValidationMessage({ field: 'body.legal_name', rule: 'required' })).toBe(
      'Legal name is required.',
    )
    expect(friendlyValidationMessage({ field: 'body.reason', rule: 'maxLength' })).toBe('Reason is too long.')
    expect(friendlyValidationMessage({ field: 'body.email', rule: 'format' })).toMatch(/valid e-mail/)
    expect(friendlyValidationMessage({ field: 'body.account_id', rule: 'pattern' })).toBe(
      'Account id is not valid.',
    )
    expect(friendlyValidationMessage({ field: 'body', rule: 'additionalProperties' })).toMatch(/Reload/)
    expect(inputNameOf('body.legal_name')).toBe('legal_name')
  })

  it('passes the messages of other codes through, and keeps a validation message without details', () => {
    expect(refusal({ code: 'CONFLICT', message: 'Already signed.' }, 409).message).toBe('Already signed.')
    const bare = refusal({ code: 'VALIDATION_FAILED', message: 'Pick a date in the future.' })
    expect(bare.message).toBe('Pick a date in the future.')
    expect(bare.refused).toBeNull()
  })
})
