import { parseArgs } from 'node:util'
import type { LoadSettings } from './load.ts'
import { SCENARIO_IDS } from './scenarios.ts'
import type { DatabaseTarget } from './servers.ts'

export type BenchSettings = LoadSettings & {
  /** Every row is measured once per round, rows interleaved, so background load hits all alike. */
  rounds: number
  /** Public tokens created for each exchange measurement; its warm-up and run never send more. */
  exchangeTokens: number
  /** The per-user link-token limit the bench server runs with (the default, 10, would trip at once). */
  linkTokensPerMinute: number
  scenarioIds: string[]
  /** Every scenario selected: only such a run rewrites docs/benchmarks.md. */
  isFullRun: boolean
  databases: DatabaseTarget[]
  /** How this run was started, as the report shows it (database URLs without passwords). */
  command: string
}

const USAGE = `Usage: npm run bench [-- --only <${SCENARIO_IDS.join('|')}>[,...]]
Environment: BENCH_DURATION_S (10), BENCH_WARMUP_S (3), BENCH_ROUNDS (3), BENCH_CONNECTIONS (10), BENCH_EXCHANGE_TOKENS (2000),
BENCH_DATABASE_URL or TEST_DATABASE_URL (also run on PostgreSQL, in a fresh database created and dropped here).`

const LINK_TOKENS_PER_MINUTE = 1_000_000

/** A mistake in how the bench was called: reported without a stack trace. */
export class BenchUsageError extends Error {
  override name = 'BenchUsageError'
}

export function readSettings(argv: string[], env: Record<string, string | undefined>): BenchSettings {
  let only: string[] | undefined
  try {
    only = parseArgs({ args: argv, options: { only: { type: 'string', multiple: true } } }).values.only
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message}\n${USAGE}`)
  }
  const selected = only?.flatMap((value) => value.split(',')).map((value) => value.trim()) ?? SCENARIO_IDS
  const unknown = selected.filter((id) => !SCENARIO_IDS.includes(id))
  if (unknown.length > 0) throw new BenchUsageError(`Unknown scenario ${unknown.join(', ')}.\n${USAGE}`)

  const connections = readInteger(env, 'BENCH_CONNECTIONS', 10, { min: 1, max: 1_000 })
  const postgresUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL
  const settings = {
    durationS: readInteger(env, 'BENCH_DURATION_S', 10, { min: 1, max: 600 }),
    warmupS: readInteger(env, 'BENCH_WARMUP_S', 3, { min: 1, max: 60 }),
    rounds: readInteger(env, 'BENCH_ROUNDS', 3, { min: 1, max: 10 }),
    connections,
    // The warm-up takes a tenth of the pool and must still give every connection a token.
    exchangeTokens: readInteger(env, 'BENCH_EXCHANGE_TOKENS', 2_000, { min: 20 * connections, max: 50_000 }),
    linkTokensPerMinute: LINK_TOKENS_PER_MINUTE,
    scenarioIds: SCENARIO_IDS.filter((id) => selected.includes(id)),
    isFullRun: SCENARIO_IDS.every((id) => selected.includes(id)),
    databases: [
      { kind: 'pglite' } as const,
      ...(postgresUrl ? [{ kind: 'postgres', adminUrl: postgresUrl } as const] : []),
    ],
  }
  return { ...settings, command: describeCommand(argv, env) }
}

function readInteger(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  range: { min: number; max: number },
): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new BenchUsageError(`${name} must be an integer from ${range.min} to ${range.max}, got "${text}"`)
  }
  return value
}

function describeCommand(argv: string[], env: Record<string, string | undefined>): string {
  const variables = [
    'BENCH_DURATION_S',
    'BENCH_WARMUP_S',
    'BENCH_ROUNDS',
    'BENCH_CONNECTIONS',
    'BENCH_EXCHANGE_TOKENS',
    'BENCH_DATABASE_URL',
    'TEST_DATABASE_URL',
  ]
    .filter((name) => env[name])
    .map((name) => `${name}=${name.endsWith('_URL') ? withoutPassword(env[name] as string) : env[name]}`)
  return [...variables, 'npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ')
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '<database URL>'
  }
}
