import { readFileSync } from 'node:fs'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { mapValues } from './openapi-schema.ts'

/**
 * Plaid's own schemas for /link/token/create and /link/token/get, from the copy in
 * `test/contract/link-token-schemas.json` (extracted from the official OpenAPI spec by
 * `extract-schemas.ts`). Lives in the repository, so these checks always run.
 */
interface SchemaCopy {
  source: string
  version: string
  components: { schemas: Record<string, Record<string, unknown>> }
}

export const LINK_TOKEN_SCHEMAS = JSON.parse(
  readFileSync(new URL('../contract/link-token-schemas.json', import.meta.url), 'utf8'),
) as SchemaCopy

const SCHEMA_ID = 'plaid-link-token'
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
addFormats.default(ajv)
for (const format of ['double', 'float', 'binary', 'url', 'cognito', 'valid', '']) ajv.addFormat(format, true)
ajv.addSchema({
  $id: SCHEMA_ID,
  components: { schemas: mapValues(LINK_TOKEN_SCHEMAS.components.schemas, SCHEMA_ID) },
})

const validators = new Map<string, ValidateFunction>()

export type LinkTokenSchemaName =
  | 'LinkTokenCreateRequest'
  | 'LinkTokenCreateResponse'
  | 'LinkTokenGetRequest'
  | 'LinkTokenGetResponse'
  | 'PlaidError'

/** Readable violations of the named Plaid schema; empty when `body` conforms. */
export function linkTokenViolations(schemaName: LinkTokenSchemaName, body: unknown): string[] {
  let validate = validators.get(schemaName)
  if (!validate) {
    const found = ajv.getSchema(`${SCHEMA_ID}#/components/schemas/${schemaName}`)
    if (!found) throw new Error(`no schema ${schemaName} in link-token-schemas.json`)
    validate = found
    validators.set(schemaName, validate)
  }
  if (validate(body)) return []
  return (validate.errors ?? []).map((error) => `${schemaName}${error.instancePath} ${error.message}`)
}
