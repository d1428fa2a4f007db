// Regenerates the schema copies next to this file: named schemas (with everything they reference)
// copied out of Plaid's official OpenAPI spec, so contract tests run with the repository alone.
// Run by hand when the spec changes; tests never read the spec's original location.
//
//   link-token-schemas.json  /link/token/create and /link/token/get (OAuth's redirect_uri tests)
//   auth-schemas.json        Auth, micro-deposits, processor tokens, Identity, their webhooks
//
//   node plaid-sandbox/test/contract/extract-schemas.ts <path/to/plaid-openapi-2020-09-14.yml>
import { readFileSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { parse } from 'yaml'

const COPIES: Record<string, string[]> = {
  'link-token-schemas.json': [
    'LinkTokenCreateRequest',
    'LinkTokenCreateResponse',
    'LinkTokenGetRequest',
    'LinkTokenGetResponse',
    'PlaidError',
  ],
  'auth-schemas.json': [
    'LinkTokenCreateRequest',
    'LinkTokenCreateResponse',
    'LinkTokenGetResponse',
    'ItemPublicTokenExchangeResponse',
    'ItemGetResponse',
    'AccountsGetResponse',
    'AuthGetResponse',
    'IdentityGetResponse',
    'IdentityMatchResponse',
    'ProcessorTokenCreateRequest',
    'ProcessorTokenCreateResponse',
    'SandboxItemSetVerificationStatusRequest',
    'SandboxItemSetVerificationStatusResponse',
    'SandboxItemFireWebhookResponse',
    'SandboxPublicTokenCreateResponse',
    'AuthDefaultUpdateWebhook',
    'AutomaticallyVerifiedWebhook',
    'VerificationExpiredWebhook',
    'PlaidError',
  ],
}
/** Prose only: dropped to keep the copy small. Everything that constrains a value stays. */
const DROPPED_KEYS = new Set(['description', 'example', 'examples', 'externalDocs', 'title'])

type Node = unknown
interface Spec {
  info: { version: string }
  components: { schemas: Record<string, Node> }
}

const specPath = process.argv[2]
if (!specPath) throw new Error('usage: extract-schemas.ts <plaid-openapi-2020-09-14.yml>')
const spec = parse(readFileSync(specPath, 'utf8')) as Spec

function collect(wanted: Set<string>, node: Node): void {
  if (Array.isArray(node)) {
    for (const child of node) collect(wanted, child)
    return
  }
  if (node === null || typeof node !== 'object') return
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      include(wanted, value.replace('#/components/schemas/', ''))
    } else {
      collect(wanted, value)
    }
  }
}
function include(wanted: Set<string>, name: string): void {
  if (wanted.has(name)) return
  const schema = spec.components.schemas[name]
  if (schema === undefined) throw new Error(`the spec has no schema ${name}`)
  wanted.add(name)
  collect(wanted, schema)
}

function strip(node: Node, isPropertyMap = false): Node {
  if (Array.isArray(node)) return node.map((child) => strip(child))
  if (node === null || typeof node !== 'object') return node
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => isPropertyMap || !(DROPPED_KEYS.has(key) || key.startsWith('x-')))
      .map(([key, value]) => [key, strip(value, !isPropertyMap && key === 'properties')]),
  )
}

for (const [fileName, roots] of Object.entries(COPIES)) {
  const wanted = new Set<string>()
  for (const root of roots) include(wanted, root)
  const schemas = Object.fromEntries(
    [...wanted].sort().map((name) => [name, strip(spec.components.schemas[name])]),
  )
  const output = {
    source: basename(specPath),
    version: spec.info.version,
    roots,
    components: { schemas },
  }
  const target = new URL(`./${fileName}`, import.meta.url)
  writeFileSync(target, `${JSON.stringify(output, null, 1)}\n`)
  console.info(
    `${Object.keys(schemas).length} schemas from ${output.source} ${output.version} → ${target.pathname}`,
  )
}
