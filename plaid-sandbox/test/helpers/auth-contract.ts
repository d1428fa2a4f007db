import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { mapValues } from './openapi-schema.ts'

/**
 * Plaid's own schemas for Auth, micro-deposits, processor tokens, Identity and their webhooks, from
 * the copy in `test/contract/auth-schemas.json` (extracted from the official OpenAPI spec by
 * `extract-schemas.ts`). Lives in the repository, so these checks always run.
 */
interface SchemaCopy {
  roots: string[]
  components: { schemas: Record<string, Record<string, unknown>> }
}

export const AUTH_SCHEMAS = JSON.parse(
  readFileSync(new URL('../contract/auth-schemas.json', import.meta.url), 'utf8'),
) as SchemaCopy

const SCHEMA_ID = 'plaid-auth'
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
addFormats.default(ajv)
for (const format of ['double', 'float', 'binary', 'url', 'cognito', 'valid', '']) ajv.addFormat(format, true)
ajv.addSchema({
  $id: SCHEMA_ID,
  components: { schemas: mapValues(AUTH_SCHEMAS.components.schemas, SCHEMA_ID) },
})

const validators = new Map<string, ValidateFunction>()

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

/** Readable violations of the named Plaid schema; empty when `body` conforms. */
export function authContractViolations(schemaName: string, body: unknown): string[] {
  let validate = validators.get(schemaName)
  if (!validate) {
    const found = ajv.getSchema(`${SCHEMA_ID}#/components/schemas/${schemaName}`)
    if (!found) throw new Error(`no schema ${schemaName} in auth-schemas.json`)
    validate = found
    validators.set(schemaName, validate)
  }
  if (validate(body)) return []
  return (validate.errors ?? []).map((error) => `${schemaName}${error.instancePath} ${error.message}`)
}
