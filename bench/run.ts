import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { countSandboxWebhookDeliveries, signIn } from './fixtures.ts'
import { type Measurement, measure } from './load.ts'
import type { BenchProcess } from './processes.ts'
import { type DatabaseRun, renderSection, updateBenchmarksDoc, writeResultsFile } from './report.ts'
import {
  BARE_AUTHENTICATED,
  BARE_FASTIFY,
  PLAIN_QUERY,
  SCENARIOS,
  type Scenario,
  type ScenarioContext,
} from './scenarios.ts'
import {
  type DatabaseTarget,
  startBareFastify,
  startPlaidSandbox,
  startPlainQueryServer,
  startSafecloseServer,
} from './servers.ts'
import { type BenchSettings, BenchUsageError, readSettings } from './settings.ts'

/**
 * `npm run bench [-- --only status]`: bank-linking routes against a bare Fastify route and the bare
 * authenticated route, on PGlite and (when configured) PostgreSQL. Markdown goes to stdout, progress
 * to stderr.
 */
async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2), process.env)
  const startedAt = new Date()
  const revision = describeRevision()
  const loadAverageAtStart = os.loadavg()[0] ?? 0
  await using bare = await startBareFastify()
  await using sandbox = await startPlaidSandbox()
  progress(`bare Fastify at ${bare.url}, Plaid sandbox at ${sandbox.url}`)

  const databases: DatabaseRun[] = []
  for (const database of settings.databases) {
    databases.push(await benchDatabase(database, { bare, sandbox, settings }))
  }

  const loadAverage = { start: loadAverageAtStart, end: os.loadavg()[0] ?? 0 }
  const section = renderSection({ startedAt, settings, databases, loadAverage, revision })
  process.stdout.write(`${section}\n`)
  progress(`results written to ${await writeResultsFile(section, startedAt)}`)
  if (settings.isFullRun) progress(`section updated in ${await updateBenchmarksDoc(section)}`)
  else progress('partial run (--only): docs/benchmarks.md left as it is')
}

async function benchDatabase(
  database: DatabaseTarget,
  shared: { bare: BenchProcess; sandbox: BenchProcess; settings: BenchSettings },
): Promise<DatabaseRun> {
  const { bare, sandbox, settings } = shared
  await using server = await startSafecloseServer({
    database,
    plaidEmulatorUrl: sandbox.url,
    linkTokensPerMinute: settings.linkTokensPerMinute,
  })
  progress(`Safeclose on ${server.databaseDescription} at ${server.url}`)
  await using plain = await startPlainQueryServer(server.databaseUrl)
  const idleResident = await residentAfterSettling(server)
  const webhookDeliveriesBefore = await countSandboxWebhookDeliveries(sandbox.url)

  const cookies = new Map<string, Promise<string>>()
  const context: ScenarioContext = {
    bare,
    plain,
    server,
    sandbox,
    exchangeTokens: settings.exchangeTokens,
    cookieFor(email) {
      let cookie = cookies.get(email)
      if (!cookie) {
        cookie = signIn(server.url, email)
        cookies.set(email, cookie)
      }
      return cookie
    },
    progress,
  }
  const selected = SCENARIOS.filter((scenario) => settings.scenarioIds.includes(scenario.id))
  const scenarios = [BARE_FASTIFY, PLAIN_QUERY, BARE_AUTHENTICATED, ...selected]
  const rounds = new Map<Scenario, Measurement[]>(scenarios.map((scenario) => [scenario, []]))
  for (let round = 1; round <= settings.rounds; round += 1) {
    for (const scenario of scenarios) {
      progress(`round ${round}/${settings.rounds}, ${server.databaseDescription}, ${scenario.route}`)
      rounds.get(scenario)?.push(await measureScenario(scenario, context, settings))
    }
  }
  const loadedResident = await residentAfterSettling(server)
  return {
    database: server.databaseDescription,
    rows: scenarios.map((scenario) => ({ scenario, rounds: rounds.get(scenario) ?? [] })),
    residentBytes: { idle: idleResident, afterLoad: loadedResident },
    webhookDeliveries: (await countSandboxWebhookDeliveries(sandbox.url)) - webhookDeliveriesBefore,
  }
}

async function measureScenario(
  scenario: Scenario,
  context: ScenarioContext,
  settings: BenchSettings,
): Promise<Measurement> {
  const { target, request } = await scenario.prepare(context)
  const measurement = await measure(target.url, request, settings, { target, sandbox: context.sandbox })
  const latency = measurement.latencyMicros
  progress(
    `  ${Math.round(measurement.requestsPerSecond)} req/s, p50 ${(latency.percentile(50) / 1000).toFixed(2)} ms, ` +
      `p99 ${(latency.percentile(99) / 1000).toFixed(2)} ms, non-2xx ${measurement.non2xx}, errors ${measurement.errors}`,
  )
  return measurement
}

// Long enough for the server's start-up work (queue, first jobs) and the jobs a round leaves behind
// to finish, and for the idle trim (server/idle-memory.ts, after 3 idle seconds) to run.
const SETTLE_MS = 10_000

async function residentAfterSettling(process: BenchProcess): Promise<number | null> {
  await sleep(SETTLE_MS)
  return process.residentBytes()
}

/** Other engineers change the working tree while the bench runs; the report says what it measured. */
function describeRevision(): string {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim()
  try {
    const commit = git('rev-parse', '--short', 'HEAD')
    return git('status', '--porcelain', '--untracked-files=no') === ''
      ? `commit ${commit}`
      : `commit ${commit} plus uncommitted changes`
  } catch {
    return 'an unknown revision (no git)'
  }
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`)
}

try {
  await main()
} catch (error) {
  if (error instanceof BenchUsageError) process.stderr.write(`[bench] ${error.message}\n`)
  else
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    )
  process.exitCode = 1
}
