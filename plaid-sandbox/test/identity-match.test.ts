import { describe, expect, it } from 'vitest'
import { scoreIdentityMatch } from '../src/core/identity-match.ts'
import { USER_GOOD_OWNER } from '../src/fixtures/identity.ts'

const score = (user: Parameters<typeof scoreIdentityMatch>[0]) => scoreIdentityMatch(user, [USER_GOOD_OWNER])

describe('identity match scoring', () => {
  it.each([
    ['Alberta Bobbeth Charleson', 100, 'perfect'],
    ['alberta  bobbeth charleson', 100, 'perfect'],
    ['Alberta B. Charleson', 95, 'strong'],
    ['Alberta Charleson', 95, 'strong'],
    ['Bert Charleson', 90, 'strong'],
    ['Alberta Xavier Charleson', 85, 'strong'],
    ['Anna Charleson', 80, 'partial'],
    ['John Charleson', 75, 'partial'],
    ['Alberta Smith', 70, 'partial'],
    ['John Smith', 8, 'mismatch'],
  ])('scores the legal name %s at %i (%s)', (legalName, expected) => {
    expect(score({ legal_name: legalName }).legal_name?.score).toBe(expected)
  })

  it('flags nickname matches and business names', () => {
    expect(score({ legal_name: 'Bert Charleson' }).legal_name).toMatchObject({
      is_nickname_match: true,
      is_first_name_or_last_name_match: true,
    })
    expect(score({ legal_name: 'Charleson Holdings LLC' }).legal_name?.is_business_name_detected).toBe(true)
  })

  it('scores phone numbers, e-mails and addresses in Plaid bands', () => {
    expect(score({ phone_number: '+12025550123' }).phone_number?.score).toBe(100)
    expect(score({ phone_number: '+13035550123' }).phone_number?.score).toBe(80)
    expect(score({ phone_number: '+14155559876' }).phone_number?.score).toBeLessThan(70)
    expect(score({ email_address: 'AccountHolder0@example.com' }).email_address?.score).toBe(100)
    expect(score({ email_address: 'account.holder0+bank@example.com' }).email_address?.score).toBe(90)
    expect(score({ email_address: 'someone@else.org' }).email_address?.score).toBeLessThan(70)
    expect(
      score({
        address: { street: '2992 Cameron Road', city: 'Malakoff', region: 'NY', postal_code: '14236' },
      }).address,
    ).toEqual({ score: 100, is_postal_code_match: true })
    expect(score({ address: { street: '2493 Leisure Ln', postal_code: '93405' } }).address?.score).toBe(95)
    expect(
      score({ address: { street: '1 Main St', city: 'Springfield', postal_code: '11111' } }).address,
    ).toMatchObject({
      is_postal_code_match: false,
    })
  })

  it('returns null for inputs that were not sent and is deterministic', () => {
    expect(score({})).toEqual({ legal_name: null, phone_number: null, email_address: null, address: null })
    const input = { legal_name: 'Albert Charles', phone_number: '555', email_address: 'x@y.z' }
    expect(score(input)).toEqual(score(input))
  })
})
