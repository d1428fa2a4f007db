/**
 * Plaid's own schemas for Auth, micro-deposits, processor tokens, Identity and their webhooks: the
 * emulator's contract (openapi-contract.ts), which lives in the repository, so these checks always run.
 */
export { contractViolations as authContractViolations } from './openapi-contract.ts'

/** The response schema of each endpoint the micro-deposit tests call. */
export const RESPONSE_SCHEMAS: Record<string, string> = {
  '/link/token/create': 'LinkTokenCreateResponse',
  '/link/token/get': 'LinkTokenGetResponse',
  '/item/public_token/exchange': 'ItemPublicTokenExchangeResponse',
  '/item/get': 'ItemGetResponse',
  '/accounts/get': 'AccountsGetResponse',
  '/auth/get': 'AuthGetResponse',
  '/identity/get': 'IdentityGetResponse',
  '/identity/match': 'IdentityMatchResponse',
  '/processor/token/create': 'ProcessorTokenCreateResponse',
  '/sandbox/item/set_verification_status': 'SandboxItemSetVerificationStatusResponse',
  '/sandbox/item/fire_webhook': 'SandboxItemFireWebhookResponse',
  '/sandbox/public_token/create': 'SandboxPublicTokenCreateResponse',
}
