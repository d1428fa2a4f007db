import { contractViolations } from './openapi-contract.ts'

/**
 * Plaid's own schemas for /link/token/create and /link/token/get, from the emulator's contract
 * (openapi-contract.ts), which lives in the repository, so these checks always run.
 */
export type LinkTokenSchemaName =
  | 'LinkTokenCreateRequest'
  | 'LinkTokenCreateResponse'
  | 'LinkTokenGetRequest'
  | 'LinkTokenGetResponse'
  | 'PlaidError'

/** Readable violations of the named Plaid schema; empty when `body` conforms. */
export function linkTokenViolations(schemaName: LinkTokenSchemaName, body: unknown): string[] {
  return contractViolations(schemaName, body)
}
