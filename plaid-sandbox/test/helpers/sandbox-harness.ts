import { expect, onTestFinished } from 'vitest'
import { startPlaidSandbox } from '../../src/main.ts'
import type { PlaidSandboxOptions } from '../../src/sandbox.ts'
import { contractCheckedClient } from './plaid-client.ts'

/** Fixed base time so token lifetimes are exact in assertions. */
export const BASE_TIME = Date.parse('2026-03-02T09:00:00Z')

/**
 * Starts a sandbox on an ephemeral port with a frozen clock (advance it through `sandbox.control`),
 * plus an SDK client whose responses are contract-checked. Closed and checked after each test.
 */
export async function startTestSandbox(options: PlaidSandboxOptions = {}) {
  const started = await startPlaidSandbox({
    port: 0,
    now: () => BASE_TIME,
    webhookRetrySchedule: [20, 40],
    ...options,
  })
  const { plaid, violations } = contractCheckedClient(started.url)
  onTestFinished(async () => {
    await started.close()
    expect(violations, 'responses that violate the official Plaid OpenAPI spec').toEqual([])
  })
  return { ...started, control: started.sandbox.control, plaid, violations }
}
