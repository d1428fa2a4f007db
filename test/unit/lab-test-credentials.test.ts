import { describe, expect, it } from 'vitest'
import { evaluateCredentials } from '../../plaid-sandbox/src/core/credentials.ts'
import { INSTANT_ROUTING_NUMBERS } from '../../plaid-sandbox/src/core/instant-microdeposits.ts'
import { isValidRoutingNumber, SAME_DAY_SANDBOX_CODE } from '../../plaid-sandbox/src/core/microdeposits.ts'
import { findInstitution } from '../../plaid-sandbox/src/fixtures/institutions.ts'
import { MICRO_DEPOSIT_PATHS, TEST_CREDENTIALS } from '../../web/src/routes/plaid-lab/environment-banner.tsx'

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

// The micro-deposit rows (ADR 0018) must match what the emulator does with them.
describe('the Plaid lab micro-deposit paths', () => {
  it('names Houndstooth and a password that links an Automated Micro-deposit account', () => {
    const houndstooth = findInstitution('ins_109512')
    if (!houndstooth) throw new Error('Houndstooth Bank is missing from the emulator fixtures')
    const row = MICRO_DEPOSIT_PATHS.find((path) => path.scenario === 'Automated micro-deposits')
    expect(row?.where).toContain(houndstooth.name)
    expect(row?.enter).toBe('user_good / microdeposits_good')
    const outcome = evaluateCredentials(houndstooth, 'user_good', 'microdeposits_good')
    expect(outcome).toMatchObject({ kind: 'linked', authMethod: 'AUTOMATED_MICRODEPOSITS' })
  })

  it('gives Same-Day numbers the emulator accepts', () => {
    const row = MICRO_DEPOSIT_PATHS.find((path) => path.scenario === 'Same-Day micro-deposits')
    const routing = row?.enter.match(/Routing (\d+)/)?.[1] ?? ''
    expect(isValidRoutingNumber(routing)).toBe(true)
    expect(row?.enter).toMatch(/account \d{4,17}\b/)
    expect(row?.next).toContain('ABC')
  })

  it('names Windowpane and an instant routing number the emulator sends the deposit to', () => {
    const row = MICRO_DEPOSIT_PATHS.find((path) => path.scenario === 'Instant micro-deposits')
    const windowpane = findInstitution('ins_135858')
    expect(windowpane?.instantMicrodeposits).toBe(true)
    expect(row?.where).toContain(`${windowpane?.name} (ins_135858)`)
    const routing = row?.enter.match(/Routing (\d+)/)?.[1] ?? ''
    expect(INSTANT_ROUTING_NUMBERS.has(routing)).toBe(true)
    expect(windowpane?.routing_numbers).toContain(routing)
    expect(row?.enter).toMatch(/account \d{4,17}\b/)
    expect(row?.next).toContain(SAME_DAY_SANDBOX_CODE)
  })
})
