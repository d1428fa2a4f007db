import { DEMO_USERS } from '../server/seed/demo-workspace.ts'
import { createPublicTokens, dropSandboxWebhooks, ensureBankAccountLinked } from './fixtures.ts'
import type { LoadRequest } from './load.ts'
import type { BenchProcess } from './processes.ts'
import type { SafecloseServer } from './servers.ts'

export type ScenarioContext = {
  bare: BenchProcess
  plain: BenchProcess
  server: SafecloseServer
  sandbox: BenchProcess
  /** Public tokens created for each exchange measurement (its warm-up included). */
  exchangeTokens: number
  /** Signs the demo user in once per server and hands back the Cookie header value. */
  cookieFor(email: string): Promise<string>
  progress(message: string): void
}

export type Scenario = {
  id: string
  route: string
  /** What one request does, for the report. */
  description: string
  /** Sets up what the route needs and returns the request to send; called before every measurement. */
  prepare(context: ScenarioContext): Promise<{ target: BenchProcess; request: LoadRequest }>
}

const demoUser = (role: 'signer' | 'manager') => {
  const user = DEMO_USERS.find((candidate) => candidate.role === role)
  if (!user) throw new Error(`no demo ${role}`)
  return user.email
}
// Status and link tokens for one user; exchanges for another, so the linked Item that status reads
// is not replaced while other scenarios run.
const READER = demoUser('signer')
const LINKER = demoUser('manager')

const JSON_BODY = { 'content-type': 'application/json' }

export const BARE_FASTIFY: Scenario = {
  id: 'bare',
  route: 'GET /bare (bare Fastify)',
  description:
    'Fastify alone in its own process: one route returning `{ ok: true }`, no plugins, no logging.',
  async prepare({ bare }) {
    return { target: bare, request: { method: 'GET', path: '/bare' } }
  },
}

export const PLAIN_QUERY: Scenario = {
  id: 'plain',
  route: 'GET /users/:id/items (plain one-query route)',
  description:
    "What a sample app such as Plaid Pattern does for a user's Items: Fastify and the `pg` driver (or " +
    'PGlite) with no session, no security headers and no query builder; one parameterised statement ' +
    'returning an Item with its accounts as JSON, the shape of the status route, from its own two ' +
    "tables in the same database (bench/plain-query-server.ts). The baseline for what Safeclose's " +
    'status route should beat.',
  async prepare({ plain }) {
    return { target: plain, request: { method: 'GET', path: '/users/7/items' } }
  },
}

export const BARE_AUTHENTICATED: Scenario = {
  id: 'session',
  route: 'GET /api/session (bare authenticated)',
  description:
    'The bare authenticated route: the full Safeclose stack (security headers, cookie parsing, session ' +
    'guard) and a tiny JSON reply. The session comes from the in-process session cache (ADR 0019); a ' +
    'miss is one indexed query (session joined to user, membership and workspace). Every `/api/plaid/*` ' +
    'route pays exactly this before its own work, so it is the honest baseline for "what ' +
    'authentication costs".',
  async prepare({ server, cookieFor }) {
    return {
      target: server,
      request: { method: 'GET', path: '/api/session', headers: { cookie: await cookieFor(READER) } },
    }
  },
}

export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'status',
    route: 'GET /api/plaid/status',
    description:
      'Session lookup plus the principal’s status from the status cache (ADR 0027; a miss is one ' +
      'statement: active Plaid environment, the live Item, its accounts as JSON), for a user with a ' +
      'linked Item (linked through the sandbox before the run).',
    async prepare({ server, sandbox, cookieFor }) {
      const cookie = await cookieFor(READER)
      await ensureBankAccountLinked(server.url, sandbox.url, cookie)
      return { target: server, request: { method: 'GET', path: '/api/plaid/status', headers: { cookie } } }
    },
  },
  {
    id: 'link-token',
    route: 'POST /api/plaid/link-token',
    description:
      'Session lookup, the database-backed per-user rate limit (one upsert), Plaid settings and live-Item ' +
      'lookups, and one sandbox round trip (`/link/token/create`). LINK_TOKENS_PER_MINUTE is raised for ' +
      'the bench (default: 10 per user per minute) so the limiter counts every request but never trips; ' +
      'all connections share one user, so they all update the same counter row.',
    async prepare({ server, cookieFor }) {
      return {
        target: server,
        request: {
          method: 'POST',
          path: '/api/plaid/link-token',
          headers: { cookie: await cookieFor(READER), ...JSON_BODY },
          body: '{}',
        },
      }
    },
  },
  {
    id: 'exchange',
    route: 'POST /api/plaid/exchange',
    description:
      'Four sandbox calls in three sequential round trips (`/item/public_token/exchange`; `/item/get` ' +
      'and `/accounts/get` side by side; `/institutions/get_by_id`) around one transaction: per-user ' +
      'advisory lock, Item and accounts written, access token encrypted, a job enqueued to remove the ' +
      'replaced Item at Plaid, a hash-chained audit event under the per-workspace chain lock. The ' +
      "server's in-process workers run those removal jobs (`/item/remove`) during the measurement, so " +
      'their cost is in the figures. Every request sends a fresh public token from a pool created just ' +
      'before the measurement.',
    async prepare({ server, sandbox, cookieFor, exchangeTokens, progress }) {
      const cookie = await cookieFor(LINKER)
      await dropSandboxWebhooks(sandbox.url, exchangeTokens)
      progress(`creating ${exchangeTokens} public tokens in the sandbox`)
      const tokens = await createPublicTokens(sandbox.url, exchangeTokens)
      return {
        target: server,
        request: {
          method: 'POST',
          path: '/api/plaid/exchange',
          headers: { cookie, ...JSON_BODY },
          bodyPool: tokens.map((token) => JSON.stringify({ public_token: token })),
        },
      }
    },
  },
]

export const SCENARIO_IDS = SCENARIOS.map((scenario) => scenario.id)
