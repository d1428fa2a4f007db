import type { TSchema } from 'typebox'
import { Compile } from 'typebox/compile'
import { plaidError } from '../errors.ts'

/**
 * Request validation with Plaid's error semantics: unknown fields → UNKNOWN_FIELDS, absent required
 * fields → MISSING_FIELDS, anything else wrong → INVALID_FIELD. Validators are compiled once per
 * schema at startup.
 */
export type RequestValidator = (body: unknown) => void

interface SchemaNode {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
  anyOf?: SchemaNode[]
  enum?: unknown[]
  const?: unknown
  minLength?: number
  minItems?: number
}

export function compileRequestValidator(schema: TSchema): RequestValidator {
  const compiled = Compile(schema)
  return (body) => {
    if (compiled.Check(body)) return
    const errors = [...compiled.Errors(body)]
    const unknown = errors.flatMap((error) =>
      error.keyword === 'additionalProperties'
        ? (error.params as { additionalProperties: string[] }).additionalProperties.map((name) =>
            fieldName(`${error.instancePath}/${name}`),
          )
        : [],
    )
    if (unknown.length > 0) {
      throw plaidError(
        'UNKNOWN_FIELDS',
        `the following fields are not recognized by this endpoint: ${unknown.join(', ')}`,
      )
    }
    const missing = errors.flatMap((error) =>
      error.keyword === 'required'
        ? (error.params as { requiredProperties: string[] }).requiredProperties.map((name) =>
            fieldName(`${error.instancePath}/${name}`),
          )
        : [],
    )
    if (missing.length > 0) {
      throw plaidError('MISSING_FIELDS', `the following required fields are missing: ${missing.join(', ')}`)
    }
    const invalid = errors.find((error) => error.keyword !== 'boolean')
    const path = invalid?.instancePath ?? ''
    const node = schemaAt(schema as SchemaNode, path)
    throw plaidError('INVALID_FIELD', `${fieldName(path) || 'body'} must be ${describe(node)}`)
  }
}

/** `/options/account_ids/0` → `options.account_ids[0]`, the way Plaid names nested fields. */
function fieldName(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .reduce(
      (name, segment) =>
        /^\d+$/.test(segment) ? `${name}[${segment}]` : name ? `${name}.${segment}` : segment,
      '',
    )
}

function schemaAt(root: SchemaNode, instancePath: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root
  for (const segment of instancePath.split('/').filter(Boolean)) {
    node = withoutNull(node)
    node = /^\d+$/.test(segment) ? node?.items : node?.properties?.[segment]
  }
  return node
}

function withoutNull(node: SchemaNode | undefined): SchemaNode | undefined {
  return node?.anyOf?.find((branch) => branch.type !== 'null') ?? node
}

function describe(node: SchemaNode | undefined): string {
  if (!node) return 'valid'
  if (node.anyOf) {
    const isNullable = node.anyOf.some((branch) => branch.type === 'null')
    const described = describe(withoutNull(node))
    return isNullable ? `${described} or null` : described
  }
  if (node.enum) return `one of ${node.enum.map((value) => JSON.stringify(value)).join(', ')}`
  if (node.const !== undefined) return JSON.stringify(node.const)
  switch (node.type) {
    case 'string':
      return node.minLength ? 'a non-empty string' : 'a string'
    case 'array': {
      const list = node.minItems ? 'a non-empty list' : 'a list'
      const element = withoutNull(node.items)
      if (element?.enum) return `${list} of values in ${describe(element).replace(/^one of /, '')}`
      return element?.type ? `${list} of ${element.type}s` : list
    }
    case 'boolean':
      return 'a boolean'
    case 'integer':
      return 'an integer'
    case 'number':
      return 'a number'
    case 'object':
      return 'an object'
    default:
      return 'valid'
  }
}
