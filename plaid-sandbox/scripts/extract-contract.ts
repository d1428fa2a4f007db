// Writes plaid-sandbox/contract/plaid-openapi-subset.yml: the part of Plaid's official OpenAPI spec
// (API version 2020-09-14) this emulator implements. That is every path of RequestSchemas (each
// endpoint the emulator serves) with its request and response schemas, the webhook bodies it sends,
// and every component those reference, so the subset is a valid OpenAPI document on its own. Prose
// (descriptions, examples) is dropped; everything that constrains a value is kept as Plaid wrote it.
// The emulator's tests read only this subset. Run it by hand when the spec or the emulator changes:
//
//   node plaid-sandbox/scripts/extract-contract.ts <path/to/plaid-openapi-2020-09-14.yml>
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { RequestSchemas } from '../src/schemas/plaid-requests.ts'

/** Bodies the emulator sends to webhook URLs (webhooks/dispatcher.ts and /sandbox/item/fire_webhook). */
export const WEBHOOK_SCHEMAS = [
  'AuthDefaultUpdateWebhook',
  'DefaultUpdateWebhook',
  'SyncUpdatesAvailableWebhook',
  'RecurringTransactionsUpdateWebhook',
  'HoldingsDefaultUpdateWebhook',
  'InvestmentsDefaultUpdateWebhook',
  'LiabilitiesDefaultUpdateWebhook',
  'ItemProductReadyWebhook',
  'AssetsProductReadyWebhook',
  'AutomaticallyVerifiedWebhook',
  'VerificationExpiredWebhook',
  'WebhookUpdateAcknowledgedWebhook',
  'PendingExpirationWebhook',
  'PendingDisconnectWebhook',
  'ItemErrorWebhook',
  'ItemLoginRepairedWebhook',
  'NewAccountsAvailableWebhook',
  'UserPermissionRevokedWebhook',
  'UserAccountRevokedWebhook',
]

const OUTPUT = fileURLToPath(new URL('../contract/plaid-openapi-subset.yml', import.meta.url))
const DROPPED_KEYS = new Set(['description', 'example', 'examples', 'externalDocs', 'summary'])

type Node = unknown
type Spec = {
  openapi: string
  info: { title: string; version: string }
  paths: Record<string, Record<string, Node>>
  components: Record<string, Record<string, Node>>
}

function withoutProse(node: Node): Node {
  if (Array.isArray(node)) return node.map(withoutProse)
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => !DROPPED_KEYS.has(key) && !key.startsWith('x-'))
      .map(([key, value]) => [
        key,
        key === 'properties' ? propertiesWithoutProse(value) : withoutProse(value),
      ]),
  )
}

/** Inside `properties` the keys are field names: a field called `description` stays. */
function propertiesWithoutProse(properties: Node): Node {
  return Object.fromEntries(
    Object.entries(properties as Record<string, Node>).map(([name, value]) => [name, withoutProse(value)]),
  )
}

/** Every `#/components/<kind>/<name>` reachable from `node`, added to `found`. */
function collectRefs(spec: Spec, node: Node, found: Map<string, Set<string>>): void {
  if (Array.isArray(node)) {
    for (const child of node) collectRefs(spec, child, found)
    return
  }
  if (node === null || typeof node !== 'object') return
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      const match = /^#\/components\/([^/]+)\/(.+)$/.exec(value)
      if (!match?.[1] || !match[2]) throw new Error(`unsupported $ref ${value}`)
      const [, kind, name] = match
      const names = found.get(kind) ?? new Set<string>()
      found.set(kind, names)
      if (names.has(name)) continue
      const target = spec.components[kind]?.[name]
      if (target === undefined) throw new Error(`the spec has no ${value}`)
      names.add(name)
      collectRefs(spec, target, found)
    } else {
      collectRefs(spec, value, found)
    }
  }
}

export function extractSubset(spec: Spec, paths: string[], schemas: string[]) {
  const found = new Map<string, Set<string>>()
  const subsetPaths: Record<string, Node> = {}
  for (const path of paths) {
    const operation = spec.paths[path]
    if (!operation) throw new Error(`the spec has no path ${path}`)
    subsetPaths[path] = operation
    collectRefs(spec, operation, found)
  }
  collectRefs(
    spec,
    schemas.map((name) => ({ $ref: `#/components/schemas/${name}` })),
    found,
  )
  const components = Object.fromEntries(
    [...found.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, names]) => [
        kind,
        Object.fromEntries([...names].sort().map((name) => [name, spec.components[kind]?.[name]])),
      ]),
  )
  return withoutProse({
    openapi: spec.openapi,
    info: {
      title: `${spec.info.title}: the subset the Safeclose emulator implements`,
      version: spec.info.version,
    },
    paths: Object.fromEntries(Object.entries(subsetPaths).sort(([a], [b]) => a.localeCompare(b))),
    components,
  })
}

if (import.meta.main) {
  const specPath = process.argv[2]
  if (!specPath) throw new Error('usage: extract-contract.ts <path/to/plaid-openapi-2020-09-14.yml>')
  const spec = parse(readFileSync(specPath, 'utf8'), { maxAliasCount: -1 }) as Spec
  const subset = extractSubset(spec, Object.keys(RequestSchemas), WEBHOOK_SCHEMAS)
  const header = [
    "# Generated by plaid-sandbox/scripts/extract-contract.ts from Plaid's OpenAPI spec",
    `# (API version ${spec.info.version}); do not edit by hand, run the script again.`,
    '',
  ].join('\n')
  writeFileSync(OUTPUT, header + stringify(subset, { lineWidth: 0, aliasDuplicateObjects: false }))
  console.info(`wrote ${OUTPUT}`)
}
