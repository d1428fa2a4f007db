import { describe, expect, it } from 'vitest'
import { evaluateCredentials } from '../../plaid-sandbox/src/core/credentials.ts'
import { findInstitution } from '../../plaid-sandbox/src/fixtures/institutions.ts'
import { TEST_CREDENTIALS } from '../../web/src/routes/plaid-lab/environment-banner.tsx'

// The lab tells testers which credentials to type into Link: each row must do what it says there.
describe('the Plaid lab test credentials', () => {
  const platypus = findInstitution('ins_109508')
  if (!platypus) throw new Error('First Platypus Bank is missing from the emulator fixtures')
  const expected: Record<string, string> = {
    'Successful link': 'linked',
    'Multi-factor (device code)': 'mfa',
    'Wrong credentials error': 'error',
  }

  it.each(TEST_CREDENTIALS.map((row) => [row.scenario, row] as const))('%s', (scenario, row) => {
    const outcome = evaluateCredentials(platypus, row.username, row.password)
    expect(outcome.kind).toBe(expected[scenario])
    if (outcome.kind === 'mfa') expect(outcome.rounds[0]?.expected).toEqual(['1234'])
    if (outcome.kind === 'error') expect(outcome.error.code).toBe('INVALID_CREDENTIALS')
  })
})
