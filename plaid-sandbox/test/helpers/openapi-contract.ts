import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { parse } from 'yaml'
import { mapValues } from './openapi-schema.ts'

/**
 * Validates sandbox responses against Plaid's official OpenAPI spec (version 2020-09-14), kept in the
 * repo (plaid-sandbox/contract/) so tests never read outside it. Parsed once per test file;
 * validators are compiled on first use per schema. A missing spec is a failure, never a skip.
 */
const SPEC_PATH = fileURLToPath(new URL('../../contract/plaid-openapi-2020-09-14.yml', import.meta.url))

if (!existsSync(SPEC_PATH)) {
  throw new Error(`Plaid's OpenAPI spec is missing at ${SPEC_PATH}: the contract tests cannot run without it`)
}

type JsonNode = Record<string, unknown>

interface Spec {
  paths: Record<
    string,
    { post?: { responses: Record<string, { content?: Record<string, { schema: JsonNode }> }> } }
  >
  components: { schemas: Record<string, JsonNode> }
}

let spec: Spec | null = null
let ajv: Ajv | null = null
const validators = new Map<string, ValidateFunction>()

function load(): { spec: Spec; ajv: Ajv } {
  if (!spec || !ajv) {
    spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Spec
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true })
    addFormats.default(ajv)
    for (const format of ['double', 'float', 'binary', 'url', 'cognito', 'valid', ''])
      ajv.addFormat(format, true)
    ajv.addSchema({ $id: 'plaid', components: { schemas: mapValues(spec.components.schemas) } })
  }
  return { spec, ajv }
}

function validatorFor(schemaName: string): ValidateFunction {
  let validate = validators.get(schemaName)
  if (!validate) {
    const found = load().ajv.getSchema(`plaid#/components/schemas/${schemaName}`)
    if (!found) throw new Error(`no schema ${schemaName} in the Plaid spec`)
    validate = found
    validators.set(schemaName, validate)
  }
  return validate
}

/** The response schema the spec declares for a successful call of `path`. */
export function successSchemaName(path: string): string {
  const ref = load().spec.paths[path]?.post?.responses['200']?.content?.['application/json']?.schema.$ref
  if (typeof ref !== 'string') throw new Error(`the Plaid spec has no 200 response for ${path}`)
  return ref.replace('#/components/schemas/', '')
}

/** Returns a readable list of violations, empty when the body conforms. */
export function contractViolations(schemaName: string, body: unknown): string[] {
  const validate = validatorFor(schemaName)
  if (validate(body)) return []
  return (validate.errors ?? []).map((error) => `${schemaName}${error.instancePath} ${error.message}`)
}
