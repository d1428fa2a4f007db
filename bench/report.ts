import { mkdir, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { writeBenchmarksSection } from './benchmarks-doc.ts'
import type { Measurement } from './load.ts'
import type { Scenario } from './scenarios.ts'
import type { BenchSettings } from './settings.ts'
import { type RowSummary, summarize, throughputRatio } from './summary.ts'

/** A scenario with one measurement per round. */
export type MeasuredRow = { scenario: Scenario; rounds: Measurement[] }

export type DatabaseRun = {
  database: string
  rows: MeasuredRow[]
  /** Webhook deliveries the sandbox logged while this server ran (dropped ones included). */
  webhookDeliveries: number
  /** The server's resident memory once settled after start, and again after the last round. */
  residentBytes: { idle: number | null; afterLoad: number | null }
}

export type BenchRun = {
  startedAt: Date
  settings: BenchSettings
  databases: DatabaseRun[]
  /** 1-minute load average of the machine when the run started and ended. */
  loadAverage: { start: number; end: number }
  /** The code measured: commit, and whether the working tree had uncommitted changes. */
  revision: string
}

const SECTION_HEADING = '## Bank linking'
const RESULTS_DIRECTORY = fileURLToPath(new URL('./results/', import.meta.url))
// Issue 14's targets, each a ratio within one run (memory in MB, PGlite / PostgreSQL).
const STATUS_TARGET = 0.5
const AUTHENTICATED_TARGET = 0.25
const STATUS_OVER_PLAIN_TARGET = 3
const RESIDENT_TARGETS_MB = {
  pglite: { idle: 300, afterLoad: 400 },
  postgres: { idle: 150, afterLoad: 250 },
}
// Node uses a little more than its main thread (GC, libuv), so a busy server shows ~100% or more.
const SATURATED_CPU_PERCENT = 90

/** The Markdown section (heading included) for stdout, the results file and docs/benchmarks.md. */
export function renderSection(run: BenchRun): string {
  const { settings } = run
  const scenarios = run.databases[0]?.rows.map((row) => row.scenario) ?? []
  return [
    SECTION_HEADING,
    '',
    `Latest run: ${run.startedAt.toISOString().replace(/\.\d+Z$/, 'Z')} · \`${settings.command}\` · code at ${run.revision}`,
    '',
    `Machine: ${machineFacts()}; 1-minute load average ${run.loadAverage.start.toFixed(1)} at the start and ` +
      `${run.loadAverage.end.toFixed(1)} at the end (other work shares this machine).`,
    '',
    `Load: autocannon with ${settings.connections} connections, closed loop over loopback. Every row is ` +
      `measured ${settings.rounds} times, rows interleaved round by round, each time after a ${settings.warmupS} s ` +
      `warm-up for ${settings.durationS} s. Each server runs in its own process (autocannon in the parent); the ` +
      'Plaid sandbox runs standalone in another, with `PLAID_EMULATOR_URL` pointing the server at it. Bench ' +
      `server settings: \`LOG_LEVEL=warn\`, \`LINK_TOKENS_PER_MINUTE=${settings.linkTokensPerMinute}\`; ` +
      `${settings.exchangeTokens} fresh public tokens per exchange measurement.`,
    '',
    'Columns: req/s = completed requests ÷ measured seconds, median of the rounds (lowest–highest); ' +
      'p50/p99 over the 2xx responses of all rounds (µs resolution); CPU = share of one core the process ' +
      'used (median of the rounds), which on PGlite includes the embedded database engine and on ' +
      'PostgreSQL does not; ratios = median of the per-round ratios, each against the baseline measured ' +
      'moments before in the same round.',
    '',
    ...run.databases.flatMap((database) => renderDatabase(database, settings)),
    '### What each row measures',
    '',
    ...scenarios.map((scenario) => `- **${scenario.route}**: ${scenario.description}`),
    '',
  ].join('\n')
}

function renderDatabase(run: DatabaseRun, settings: BenchSettings): string[] {
  const bare = rowOf(run, 'bare')
  const plain = rowOf(run, 'plain')
  const session = rowOf(run, 'session')
  const isBaseline = (row: MeasuredRow) => row === bare || row === plain
  const ratio = (row: MeasuredRow, base: MeasuredRow | undefined) =>
    !base ? '—' : base === row ? 'baseline' : percent(throughputRatio(row.rounds, base.rounds))
  return [
    `### ${run.database}`,
    '',
    '| Route | req/s | p50 ms | p99 ms | non-2xx | server CPU | sandbox CPU | vs bare Fastify | vs plain one-query route | vs bare authenticated |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...run.rows.map((row) => {
      const m = summarize(row.rounds)
      const rates = m.requestsPerSecond
      return `| ${row.scenario.route} | ${rate(rates.median)} (${rate(rates.min)}–${rate(rates.max)}) | ${milliseconds(m.latencyP50Ms)} | ${milliseconds(m.latencyP99Ms)} | ${m.non2xx + m.errors} | ${cpu(m.cpuPercent.target)} | ${isBaseline(row) ? '—' : cpu(m.cpuPercent.sandbox)} | ${ratio(row, bare)} | ${row === bare ? '—' : ratio(row, plain)} | ${isBaseline(row) ? '—' : ratio(row, session)} |`
    }),
    '',
    ...interpret(run, settings).map((line) => `- ${line}`),
    '',
  ]
}

/** Sentences that follow from this run's figures, so the reading never contradicts the table. */
function interpret(run: DatabaseRun, settings: BenchSettings): string[] {
  const lines: string[] = []
  const bareRow = rowOf(run, 'bare')
  const sessionRow = rowOf(run, 'session')
  if (!bareRow || !sessionRow) return lines
  const bare = summarize(bareRow.rounds)
  const session = summarize(sessionRow.rounds)
  const share = (id: string) => {
    const row = rowOf(run, id)
    return row
      ? { row, summary: summarize(row.rounds), ofSession: throughputRatio(row.rounds, sessionRow.rounds) }
      : null
  }

  const sessionCpuMs = cpuMillisecondsPerRequest(session)
  const sessionOfBare = throughputRatio(sessionRow.rounds, bareRow.rounds)
  lines.push(
    'Authentication (cookie, cached session, security headers) leaves ' +
      `${percent(sessionOfBare)} of bare Fastify's throughput: target ≥ ${percent(AUTHENTICATED_TARGET)} ` +
      `${meets(sessionOfBare >= AUTHENTICATED_TARGET)} ` +
      `(p50 ${milliseconds(bare.latencyP50Ms)} → ${milliseconds(session.latencyP50Ms)} ms)` +
      (sessionCpuMs === null
        ? '.'
        : `; the server spends ${milliseconds(sessionCpuMs)} ms of CPU per request on it.`),
  )
  const status = share('status')
  if (status) {
    const statusCpuMs = cpuMillisecondsPerRequest(status.summary)
    lines.push(
      `Status runs at ${percent(status.ofSession)} of the bare authenticated route: target ≥ ${percent(STATUS_TARGET)} ` +
        `${status.ofSession >= STATUS_TARGET ? 'met' : '**not met**'}. Read from the status cache (ADR 0027), it moves p50 from ` +
        `${milliseconds(session.latencyP50Ms)} to ${milliseconds(status.summary.latencyP50Ms)} ms` +
        (statusCpuMs === null || sessionCpuMs === null
          ? '.'
          : ` and server CPU per request from ${milliseconds(sessionCpuMs)} to ${milliseconds(statusCpuMs)} ms.`),
    )
  }
  const plainRow = rowOf(run, 'plain')
  const statusRow = rowOf(run, 'status')
  if (plainRow && statusRow) {
    const statusOverPlain = throughputRatio(statusRow.rounds, plainRow.rounds)
    lines.push(
      `Status serves ${statusOverPlain.toFixed(2)}× the plain one-query route's throughput: target ≥ ` +
        `${STATUS_OVER_PLAIN_TARGET}× ${meets(statusOverPlain >= STATUS_OVER_PLAIN_TARGET)} ` +
        `(p50 ${milliseconds(summarize(plainRow.rounds).latencyP50Ms)} ms for the plain route).`,
    )
  }
  lines.push(residentLine(run))
  const linkToken = share('link-token')
  if (linkToken) {
    lines.push(
      `Link token runs at ${percent(linkToken.ofSession)} of the bare authenticated route; the sandbox round ` +
        `trip through the Plaid SDK, the rate-limit upsert and two lookups add ` +
        `${milliseconds(linkToken.summary.latencyP50Ms - session.latencyP50Ms)} ms at p50.`,
    )
  }
  const exchange = share('exchange')
  if (exchange) {
    const { cpuPercent } = exchange.summary
    const isServerBound = (cpuPercent.target ?? 0) >= SATURATED_CPU_PERCENT
    lines.push(
      `Exchange manages ${rate(exchange.summary.requestsPerSecond.median)} req/s (p50 ` +
        `${milliseconds(exchange.summary.latencyP50Ms)} ms), ${percent(exchange.ofSession)} of the bare ` +
        'authenticated route. ' +
        (isServerBound
          ? `The server is CPU-bound (${cpu(cpuPercent.target)} of a core, sandbox ${cpu(cpuPercent.sandbox)}): ` +
            'per request it makes four Plaid SDK calls and one write transaction (Item, accounts, removal job, audit event), and a worker later makes the fifth (`/item/remove`).'
          : `Neither process is saturated (server CPU ${cpu(cpuPercent.target)}, sandbox ` +
            `${cpu(cpuPercent.sandbox)}): each request waits on three sequential sandbox round trips, and all ` +
            "connections (one user, one workspace) take turns on the transaction's per-user advisory lock " +
            'and per-workspace audit-chain lock.'),
    )
    if (exchange.summary.shortestRoundS < settings.durationS - 0.5) {
      lines.push(
        `An exchange round ended after ${exchange.summary.shortestRoundS.toFixed(1)} s because its token pool ` +
          'ran out; raise BENCH_EXCHANGE_TOKENS for full-length rounds.',
      )
    }
  }
  const bareCpu = bare.cpuPercent.target
  if (bareCpu !== null && bareCpu < SATURATED_CPU_PERCENT) {
    lines.push(
      `Bare Fastify kept only ${cpu(bareCpu)} of a core busy: with ${os.availableParallelism()} cores shared ` +
        'by autocannon, the servers and other work, the load generator limits that row, so ratios against ' +
        'bare Fastify understate what Safeclose itself keeps.',
    )
  }
  for (const row of run.rows) {
    const { non2xx, errors, statusCounts } = summarize(row.rounds)
    if (non2xx + errors === 0) continue
    lines.push(
      `${row.scenario.route} had ${non2xx} non-2xx responses and ${errors} connection errors ` +
        `(status counts: ${JSON.stringify(statusCounts)}).`,
    )
  }
  lines.push(
    `The sandbox logged ${run.webhookDeliveries} webhook deliveries while this server ran (the bench's ` +
      'Items have no webhook URL, and the sandbox was told to drop any).',
  )
  return lines
}

const meets = (isMet: boolean) => (isMet ? 'met' : '**not met**')

function residentLine(run: DatabaseRun): string {
  const targets = run.database.startsWith('PGlite')
    ? RESIDENT_TARGETS_MB.pglite
    : RESIDENT_TARGETS_MB.postgres
  const { idle, afterLoad } = run.residentBytes
  const mb = (bytes: number | null) => (bytes === null ? 'n/a' : `${Math.round(bytes / 2 ** 20)} MB`)
  const within = (bytes: number | null, limitMb: number) =>
    bytes === null ? 'not measured' : meets(bytes / 2 ** 20 <= limitMb)
  return (
    `Resident memory of the server (Node options as \`npm start\`, server/node-flags.ts): ${mb(idle)} ` +
    `10 s after start (target ≤ ${targets.idle} MB ${within(idle, targets.idle)}), ${mb(afterLoad)} 10 s after ` +
    `the last round (target ≤ ${targets.afterLoad} MB ${within(afterLoad, targets.afterLoad)}), idle trim ` +
    `(server/idle-memory.ts) on as in \`npm start\`.`
  )
}

function cpuMillisecondsPerRequest(summary: RowSummary): number | null {
  const { target } = summary.cpuPercent
  return target === null ? null : (target / 100 / summary.requestsPerSecond.median) * 1000
}

function rowOf(run: DatabaseRun, id: string): MeasuredRow | undefined {
  return run.rows.find((row) => row.scenario.id === id)
}

function machineFacts(): string {
  const cpuModel = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
  const memoryGiB = Math.round(os.totalmem() / 2 ** 30)
  return (
    `${os.availableParallelism()} CPUs (nproc; ${cpuModel}), ${memoryGiB} GiB, ` +
    `Node ${process.version}, ${os.type()} ${os.release()}`
  )
}

const rate = (value: number) => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1))
const milliseconds = (value: number) =>
  Number.isNaN(value)
    ? '—'
    : value < 10
      ? value.toFixed(2)
      : value < 100
        ? value.toFixed(1)
        : value.toFixed(0)
const percent = (ratio: number) => `${Math.round(ratio * 100)}%`
const cpu = (value: number | null | undefined) =>
  value === null || value === undefined ? 'n/a' : `${Math.round(value)}%`

/** Writes the run to bench/results/<timestamp>.md (git-ignored) and returns the path. */
export async function writeResultsFile(section: string, startedAt: Date): Promise<string> {
  await mkdir(RESULTS_DIRECTORY, { recursive: true })
  const file = `${RESULTS_DIRECTORY}${startedAt.toISOString().replace(/[:.]/g, '-')}.md`
  await writeFile(file, section)
  return file
}

/** Replaces this benchmark's section of docs/benchmarks.md, leaving every other section as it is. */
export function updateBenchmarksDoc(section: string): Promise<string> {
  return writeBenchmarksSection(SECTION_HEADING, section)
}
