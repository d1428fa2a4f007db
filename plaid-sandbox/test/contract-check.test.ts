import { describe, expect, it } from 'vitest'
import { RequestSchemas } from '../src/schemas/plaid-requests.ts'
import {
  contract,
  contractViolations,
  requestSchemaName,
  successSchemaName,
} from './helpers/openapi-contract.ts'

type JsonNode = Record<string, unknown>

/** A component schema of the contract with `allOf` parts merged (Plaid's request bodies are plain objects). */
function specObject(name: string): { properties: Record<string, JsonNode>; required: string[] } {
  const schema = contract().components.schemas[name]
  if (!schema) throw new Error(`no schema ${name} in the contract`)
  const parts = [schema, ...((schema.allOf as JsonNode[] | undefined) ?? [])].map((part) =>
    typeof part.$ref === 'string'
      ? (contract().components.schemas[part.$ref.split('/').pop() ?? ''] ?? {})
      : part,
  )
  return {
    properties: Object.assign({}, ...parts.map((part) => (part.properties as JsonNode | undefined) ?? {})),
    required: parts.flatMap((part) => (part.required as string[] | undefined) ?? []),
  }
}

function enumOf(node: JsonNode | undefined): unknown[] | null {
  if (!node) return null
  if (Array.isArray(node.enum)) return node.enum
  if (typeof node.$ref === 'string')
    return enumOf(contract().components.schemas[node.$ref.split('/').pop() ?? ''])
  return null
}

// Guards the guard: the contract check used by every round-trip test must reject wrong bodies.
describe("the emulator's contract (plaid-sandbox/contract/plaid-openapi-subset.yml)", () => {
  it('rejects a body missing required fields and accepts nullable values', () => {
    expect(successSchemaName('/item/get')).toBe('ItemGetResponse')
    expect(contractViolations('ItemGetResponse', { request_id: 'x' })).not.toEqual([])
    expect(
      contractViolations('PlaidError', {
        error_type: 'INVALID_INPUT',
        error_code: 'INVALID_API_KEYS',
        error_message: 'invalid client_id or secret provided',
        display_message: null,
        request_id: 'abc',
      }),
    ).toEqual([])
    expect(
      contractViolations('PlaidError', { error_type: 'NOT_A_TYPE', error_code: 'X', error_message: '' }),
    ).not.toEqual([])
  })

  it('covers every endpoint the emulator serves, and nothing else', () => {
    expect(Object.keys(contract().paths).sort()).toEqual(Object.keys(RequestSchemas).sort())
    expect(Object.keys(contract().paths)).toEqual(
      expect.arrayContaining(['/processor/token/create', '/item/access_token/invalidate']),
    )
    for (const path of Object.keys(RequestSchemas)) {
      expect(contract().components.schemas[successSchemaName(path)], path).toBeDefined()
    }
  })

  describe.each(Object.entries(RequestSchemas))('the request schema of %s', (path, emulated) => {
    const spec = specObject(requestSchemaName(path))
    const accepted = emulated.properties as unknown as Record<string, JsonNode>

    it("accepts only fields Plaid's request defines", () => {
      expect(Object.keys(accepted).filter((field) => !(field in spec.properties))).toEqual([])
    })

    it("requires every field Plaid's request requires", () => {
      const required = new Set<string>(emulated.required ?? [])
      expect(spec.required.filter((field) => !required.has(field))).toEqual([])
    })

    it("accepts only values Plaid's enums allow", () => {
      for (const [field, schema] of Object.entries(accepted)) {
        const ours = enumOf(schema)
        const theirs = enumOf(spec.properties[field])
        if (ours && theirs)
          expect(
            ours.filter((value) => !theirs.includes(value)),
            field,
          ).toEqual([])
      }
    })
  })
})
