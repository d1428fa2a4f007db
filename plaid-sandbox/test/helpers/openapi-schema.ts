/**
 * OpenAPI 3.0 schema objects as JSON Schema for Ajv, shared by the contract checks. `$ref`s to
 * `#/components/schemas/X` become `<schemaId>#/components/schemas/X`, so the converted components are
 * added to Ajv under `schemaId`.
 */
type JsonNode = Record<string, unknown>

/** OpenAPI 3.0 `nullable: true` → JSON Schema that also accepts null; drops OpenAPI-only keywords. */
export function toJsonSchema(node: unknown, schemaId = 'plaid'): unknown {
  if (Array.isArray(node)) return node.map((child) => toJsonSchema(child, schemaId))
  if (node === null || typeof node !== 'object') return node
  const converted: JsonNode = {}
  for (const [key, value] of Object.entries(node)) {
    if (
      key === 'nullable' ||
      key === 'example' ||
      key === 'examples' ||
      key === 'discriminator' ||
      key.startsWith('x-')
    ) {
      continue
    }
    converted[key] =
      key === 'properties' ? mapValues(value as JsonNode, schemaId) : toJsonSchema(value, schemaId)
  }
  if (typeof converted.$ref === 'string') {
    converted.$ref = converted.$ref.replace('#/components/schemas/', `${schemaId}#/components/schemas/`)
  }
  if ((node as JsonNode).nullable !== true) return converted
  if (
    typeof converted.type === 'string' &&
    !converted.$ref &&
    !converted.allOf &&
    !converted.oneOf &&
    !converted.anyOf
  ) {
    const enumValues = Array.isArray(converted.enum) ? { enum: [...converted.enum, null] } : {}
    return { ...converted, type: [converted.type, 'null'], ...enumValues }
  }
  return { anyOf: [converted, { type: 'null' }] }
}

export function mapValues(properties: JsonNode, schemaId = 'plaid'): JsonNode {
  return Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => [name, toJsonSchema(schema, schemaId)]),
  )
}
