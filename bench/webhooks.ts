import { createHash, createPublicKey, verify } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@electric-sql/pglite'
import autocannon from 'autocannon'
import { compactVerify, importJWK } from 'jose'
import pg from 'pg'
import { SandboxClock } from '../plaid-sandbox/src/core/clock.ts'
import { StateStore } from '../plaid-sandbox/src/core/store.ts'
import { serializeWebhookBody, signWebhookBody } from '../plaid-sandbox/src/webhooks/signing.ts'
import { SigningKeyRing } from '../plaid-sandbox/src/webhooks/signing-keys.ts'
import { verifyEs256 } from '../server/modules/webhooks/verifier.ts'
import { SERVER_NODE_FLAGS } from '../server/node-flags.ts'
import { generateKeyEntry } from '../server/security/keyring.ts'
import { DEMO_PASSWORD, DEMO_USERS } from '../server/seed/demo-workspace.ts'
import { writeBenchmarksSection } from './benchmarks-doc.ts'
import { type BenchProcess, findFreePort, machineCpuSeconds, startNodeProcess } from './processes.ts'
import { type DatabaseTarget, provisionDatabase } from './servers.ts'

/**
 * `node bench/webhooks.ts`: verified-webhook ingest (POST /api/webhooks/plaid, workers off, so the
 * figure is the acknowledgement path alone) with pre-signed deliveries, then the job workers draining
 * what was ingested; on PGlite and, with TEST_DATABASE_URL, on PostgreSQL. The raw ES256 verification
 * rate of this machine is measured in the same run as the ceiling to compare against. A second phase
 * offers a fixed 500 deliveries per second (autocannon's overallRate) for the latency at a steady
 * load rather than at saturation.
 * Markdown goes to stdout and replaces the "## Webhook ingest" section of docs/benchmarks.md.
 *
 * WEBHOOK_BENCH_DATABASES=postgres (or pglite) runs one database only. WEBHOOK_BENCH_SAVE=<file> keeps
 * this run's figures as JSON; WEBHOOK_BENCH_BASELINE=<file> puts such a saved run next to this one
 * in a before/after table (WEBHOOK_BENCH_LABEL names this run there).
 */

/**
 * Enough for several seconds of ingest after a warm-up long enough for V8 to have optimised the hot
 * path: with 3,000 (before ADR 0031) the measured second mixed warm-up with one noisy second of this
 * shared machine, and the server's CPU per delivery varied by a third between runs.
 */
const DELIVERIES = Number(process.env.WEBHOOK_BENCH_DELIVERIES ?? 20_000)
const WARMUP_DELIVERIES = 2000
const CONNECTIONS = 10
const VERIFY_SECONDS = 3
/** The slowest drain still counted: 20 events per second (the workers manage 30 times that). */
const DRAIN_TIMEOUT_MS_PER_EVENT = 50
const FIXED_RATE = 500
const FIXED_RATE_SECONDS = Number(process.env.WEBHOOK_BENCH_FIXED_SECONDS ?? 6)
const DATABASES = new Set((process.env.WEBHOOK_BENCH_DATABASES ?? 'pglite,postgres').split(','))
const SAVE_PATH = process.env.WEBHOOK_BENCH_SAVE
const BASELINE_PATH = process.env.WEBHOOK_BENCH_BASELINE
const LABEL = process.env.WEBHOOK_BENCH_LABEL ?? 'this run'
/** Issue 14's targets on PostgreSQL. */
const TARGET_VERIFY_RATIO = 0.5
const TARGET_FIXED_P99_MS = 20
const REPOSITORY = fileURLToPath(new URL('..', import.meta.url))
const SECTION_TITLE = '## Webhook ingest'

type Signed = { body: string; signature: string }

type IngestResult = {
  database: string
  requestsPerSecond: number
  latency: RecordableHistogram
  non2xx: number
  errors: number
  serverCpuPercent: number | null
  /**
   * CPU ms per ingested delivery outside the server: the bench process (autocannon), and every
   * PostgreSQL process on this machine (null for PGlite, which runs inside the server).
   */
  benchCpuMs: number
  postgresCpuMs: number | null
  /** The same server at a fixed offered load of FIXED_RATE deliveries per second. */
  fixed: {
    achieved: number
    latency: RecordableHistogram
    non2xx: number
    errors: number
    deliveriesPerTransaction: number
  }
  /** Deliveries stored per transaction at saturation (group commit, ADR 0020). */
  deliveriesPerTransaction: number
  /** 1-minute load average right after the ingest phases. */
  loadAverage: number
  drainPerSecond: number
  drainCount: number
  drainSeconds: number
}

async function main(): Promise<void> {
  const startedAt = new Date()
  const keys = await startKeyServer()
  try {
    progress(`key endpoint at ${keys.url}`)
    const verifyRates = await measureRawVerify(keys)
    progress(
      `raw ES256 verify: ${Math.round(verifyRates.nodeCrypto)}/s (node:crypto, the server's call), ${Math.round(verifyRates.p1363Options)}/s (node:crypto, P1363 options), ${Math.round(verifyRates.jose)}/s (jose)`,
    )
    const results: IngestResult[] = []
    if (DATABASES.has('pglite')) results.push(await benchDatabase({ kind: 'pglite' }, keys))
    const adminUrl = DATABASES.has('postgres') ? process.env.TEST_DATABASE_URL : undefined
    if (adminUrl) results.push(await benchDatabase({ kind: 'postgres', adminUrl }, keys))
    else progress('TEST_DATABASE_URL not set or PostgreSQL not selected: PostgreSQL skipped')
    const summary = summarize({ startedAt, verifyRates, results })
    if (SAVE_PATH) await writeFile(SAVE_PATH, `${JSON.stringify(summary, null, 2)}\n`)
    const baseline = BASELINE_PATH ? (JSON.parse(await readFile(BASELINE_PATH, 'utf8')) as RunSummary) : null
    const section = render({
      startedAt,
      verifyRates,
      results,
      hasPostgres: Boolean(adminUrl),
      summary,
      baseline,
    })
    process.stdout.write(`${section}\n`)
    progress(`section updated in ${await writeBenchmarksSection(SECTION_TITLE, section)}`)
  } finally {
    await keys.close()
  }
}

/** Plaid's key endpoint and signer, built from the sandbox's key ring and signing code. */
async function startKeyServer() {
  const clock = new SandboxClock()
  const ring = new SigningKeyRing(new StateStore(), clock)
  const current = ring.current()
  const jwk = ring.publicJwk(current.kid)
  const server: Server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ key: jwk, request_id: 'benchkeyrequest' }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    jwk,
    async sign(itemId: string): Promise<Signed> {
      const body = serializeWebhookBody({
        environment: 'sandbox',
        error: null,
        item_id: itemId,
        webhook_code: 'NEW_ACCOUNTS_AVAILABLE',
        webhook_type: 'ITEM',
      })
      return { body, signature: await signWebhookBody(body, current, clock.nowSeconds()) }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

type KeyServer = Awaited<ReturnType<typeof startKeyServer>>

/**
 * What one core of this machine can verify: ES256 over the same JWS, plus the body hash. node:crypto
 * is measured through the server's own primitive (`verifyEs256`), so the ratio always has the verifier
 * the server runs as its ceiling; the options-object call the server made before ADR 0031, and jose
 * (before ADR 0029), are measured for comparison with earlier runs.
 */
async function measureRawVerify(keys: KeyServer): Promise<VerifyRates> {
  const sample = await keys.sign('benchverifysampleitem000000000000000')
  const [header, claims, signature] = sample.signature.split('.') as [string, string, string]
  const publicKey = createPublicKey({ key: { ...keys.jwk, kty: 'EC' } as never, format: 'jwk' })
  const input = Buffer.from(`${header}.${claims}`)
  const rawSignature = Buffer.from(signature, 'base64url')
  const nodeCrypto = cpuTimed(() => {
    createHash('sha256').update(sample.body).digest('hex')
    if (!verifyEs256(input, rawSignature, publicKey)) throw new Error('bad')
  })
  const p1363Options = cpuTimed(() => {
    createHash('sha256').update(sample.body).digest('hex')
    if (!verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, rawSignature))
      throw new Error('bad')
  })
  const joseKey = await importJWK(
    { kty: 'EC', crv: 'P-256', x: keys.jwk.x as string, y: keys.jwk.y as string },
    'ES256',
  )
  const cpuBefore = process.cpuUsage()
  const joseStarted = performance.now()
  let joseCount = 0
  const jose = await rateAsync(async () => {
    createHash('sha256').update(sample.body).digest('hex')
    await compactVerify(sample.signature, joseKey, { algorithms: ['ES256'] })
    joseCount += 1
  })
  const cpu = process.cpuUsage(cpuBefore)
  progress(`jose verify loop: ${((performance.now() - joseStarted) / 1000).toFixed(1)} s wall`)
  return {
    nodeCrypto: nodeCrypto.perSecond,
    nodeCryptoCpuMs: nodeCrypto.cpuMs,
    p1363Options: p1363Options.perSecond,
    p1363OptionsCpuMs: p1363Options.cpuMs,
    jose,
    joseCpuMs: (cpu.user + cpu.system) / 1000 / joseCount,
  }
}

/** A synchronous loop's rate per wall-clock second, and its CPU time per call (all threads). */
function cpuTimed(work: () => void): { perSecond: number; cpuMs: number } {
  const cpuBefore = process.cpuUsage()
  let count = 0
  const perSecond = rate(() => {
    work()
    count += 1
  })
  const cpu = process.cpuUsage(cpuBefore)
  return { perSecond, cpuMs: (cpu.user + cpu.system) / 1000 / count }
}

/**
 * Verifications per wall-clock second on one core, and the CPU time one verification costs with each
 * verifier (all threads of the bench process): the latter does not depend on how much of the machine
 * the bench got.
 */
type VerifyRates = {
  nodeCrypto: number
  nodeCryptoCpuMs: number
  p1363Options: number
  p1363OptionsCpuMs: number
  jose: number
  joseCpuMs: number
}

/**
 * The server verifies with node:crypto (ADR 0029; jose's WebCrypto path before it, and through an
 * options object with a P1363 signature before ADR 0031), so the targets are measured against the
 * server's own primitive, the fastest of the three.
 */
const SERVER_VERIFIER = 'node:crypto'
const serverVerifyRate = (rates: VerifyRates) => rates.nodeCrypto
const serverVerifyCpuMs = (rates: VerifyRates) => rates.nodeCryptoCpuMs

function rate(work: () => void): number {
  const end = performance.now() + VERIFY_SECONDS * 1000
  let count = 0
  const start = performance.now()
  while (performance.now() < end) {
    work()
    count += 1
  }
  return count / ((performance.now() - start) / 1000)
}

async function rateAsync(work: () => Promise<void>): Promise<number> {
  const end = performance.now() + VERIFY_SECONDS * 1000
  let count = 0
  const start = performance.now()
  while (performance.now() < end) {
    await work()
    count += 1
  }
  return count / ((performance.now() - start) / 1000)
}

async function benchDatabase(target: DatabaseTarget, keys: KeyServer): Promise<IngestResult> {
  const database = await provisionDatabase(target)
  try {
    const env = {
      ...database.env,
      SAFECLOSE_SEED_DEMO: 'true',
      SAFECLOSE_ENCRYPTION_KEYS: generateKeyEntry('bench1'),
      PLAID_ENV: 'emulator',
      PLAID_SANDBOX_ENABLED: 'false',
      PLAID_EMULATOR_URL: keys.url,
      LOG_LEVEL: 'warn',
      PLAID_RECONCILE_CRON: 'off',
      JOB_POLLING_INTERVAL_SECONDS: '0.5',
      // The bench's deliveries name Items nobody linked: orphaned at once, as before the wait existed.
      WEBHOOK_ITEM_WAIT_SECONDS: '0',
    }
    const ingest = await measureIngest(database.description, env, keys, target.kind === 'postgres')
    // Before anything else writes to the events: each row's xmin is the transaction that stored it.
    const grouping = await queryDatabase<{ phase: string; events: number; transactions: number }>(
      env,
      'select left(plaid_item_id, 1) as phase, count(*)::int as events, count(distinct xmin::text)::int as transactions from webhook_events group by 1',
    )
    const perTransaction = (phase: string) => {
      const row = grouping.find((entry) => entry.phase === phase)
      return row ? row.events / row.transactions : 0
    }
    // The admin view counts only events of the admin's workspace; these name no Item of ours, so they
    // are attributed to the demo workspace (server stopped) for the drain to be observable.
    await queryDatabase(
      env,
      'update webhook_events set workspace_id = (select id from workspaces order by created_at limit 1)',
    )
    const drain = await measureDrain(env, WARMUP_DELIVERIES + DELIVERIES + FIXED_RATE * FIXED_RATE_SECONDS)
    return {
      ...ingest,
      ...drain,
      deliveriesPerTransaction: perTransaction('m'),
      fixed: { ...ingest.fixed, deliveriesPerTransaction: perTransaction('f') },
    }
  } finally {
    await database.dispose()
  }
}

async function startServer(
  env: Record<string, string>,
  workersInProcess: boolean,
  startTimeoutMs?: number,
): Promise<BenchProcess> {
  const port = await findFreePort()
  const url = `http://127.0.0.1:${port}`
  return startNodeProcess({
    name: 'Safeclose',
    args: [...SERVER_NODE_FLAGS, path.join(REPOSITORY, 'server/main.ts')],
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url,
      JOB_WORKERS_IN_PROCESS: String(workersInProcess),
    },
    url,
    readinessPath: '/healthz',
    ...(startTimeoutMs === undefined ? {} : { startTimeoutMs }),
  })
}

/** Ingest only (workers off): every request carries its own body, signed moments before the run. */
async function measureIngest(
  description: string,
  env: Record<string, string>,
  keys: KeyServer,
  isPostgres: boolean,
) {
  await using server = await startServer(env, false)
  const fixedCount = FIXED_RATE * FIXED_RATE_SECONDS
  progress(`${description}: signing ${WARMUP_DELIVERIES + DELIVERIES + fixedCount} deliveries`)
  const warmup = await signMany(keys, WARMUP_DELIVERIES, 'w')
  const measured = await signMany(keys, DELIVERIES, 'm')
  const fixedDeliveries = await signMany(keys, fixedCount, 'f')
  await send(server.url, warmup)
  const cpuBefore = server.cpuSeconds()
  const benchCpuBefore = process.cpuUsage()
  const postgresCpuBefore = isPostgres ? machineCpuSeconds('postgres') : null
  const started = performance.now()
  const outcome = await send(server.url, measured)
  // Up to the last answer: autocannon itself only finishes on its next one-second tick.
  const seconds = (outcome.lastResponseAt - started) / 1000
  const cpuAfter = server.cpuSeconds()
  const benchCpu = process.cpuUsage(benchCpuBefore)
  const postgresCpuAfter = isPostgres ? machineCpuSeconds('postgres') : null
  progress(`${description}: ${Math.round(outcome.completed / seconds)} req/s`)
  const fixedStarted = performance.now()
  const fixed = await send(server.url, fixedDeliveries, FIXED_RATE)
  // Whole seconds here: the offered rate is paced per second, so the last answer comes early in the last one.
  const fixedSeconds = (performance.now() - fixedStarted) / 1000
  progress(
    `${description}: at ${FIXED_RATE} req/s offered, ${Math.round(fixed.completed / fixedSeconds)} req/s, p99 ${(fixed.latency.percentile(99) / 1000).toFixed(2)} ms`,
  )
  return {
    database: description,
    requestsPerSecond: outcome.completed / seconds,
    latency: outcome.latency,
    non2xx: outcome.non2xx,
    errors: outcome.errors,
    serverCpuPercent:
      cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) / seconds) * 100,
    benchCpuMs: (benchCpu.user + benchCpu.system) / 1000 / outcome.completed,
    postgresCpuMs:
      // Nothing counted: PostgreSQL runs on another machine.
      postgresCpuBefore === null || postgresCpuAfter === null || postgresCpuAfter === postgresCpuBefore
        ? null
        : ((postgresCpuAfter - postgresCpuBefore) * 1000) / outcome.completed,
    fixed: {
      achieved: fixed.completed / fixedSeconds,
      latency: fixed.latency,
      non2xx: fixed.non2xx,
      errors: fixed.errors,
    },
    loadAverage: os.loadavg()[0] ?? 0,
  }
}

async function signMany(keys: KeyServer, count: number, phase: string): Promise<Signed[]> {
  const run = Date.now().toString(36)
  const signed: Signed[] = []
  for (let index = 0; index < count; index += 1) {
    signed.push(
      // The phase comes first in the Item id, so the stored events can be told apart by phase.
      await keys.sign(`${phase}bench${run}${String(index).padStart(12, '0')}`.padEnd(37, 'x').slice(0, 37)),
    )
  }
  return signed
}

/** Sends each delivery once; `rate` fixes the offered load (requests per second, all connections). */
async function send(baseUrl: string, deliveries: Signed[], rate?: number) {
  let next = 0
  const latency = createHistogram()
  const instance = autocannon({
    url: `${baseUrl}/api/webhooks/plaid`,
    connections: CONNECTIONS,
    maxOverallRequests: deliveries.length,
    ...(rate ? { overallRate: rate } : {}),
    // autocannon otherwise stops after 10 s; the run ends when every delivery was sent once.
    duration: 600,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const delivery = deliveries[next++ % deliveries.length] as Signed
          return {
            ...request,
            method: 'POST',
            path: '/api/webhooks/plaid',
            headers: { 'content-type': 'application/json', 'plaid-verification': delivery.signature },
            body: delivery.body,
          }
        },
      },
    ],
  })
  let lastResponseAt = performance.now()
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    lastResponseAt = performance.now()
    if (statusCode === 200) latency.record(Math.max(1, Math.round(responseTimeMs * 1000)))
  })
  const result = await instance
  if (result.requests.total !== deliveries.length) {
    throw new Error(`sent ${result.requests.total} of ${deliveries.length} deliveries`)
  }
  return {
    completed: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    latency,
    lastResponseAt,
  }
}

/**
 * Workers on: the same server restarted with its in-process workers at their defaults, until every
 * event is processed. The rate comes from the events' own processed_at stamps (first to last), read
 * after the server stopped, so boot time and polling of this bench do not count.
 */
async function measureDrain(env: Record<string, string>, expected: number) {
  {
    const startedAt = performance.now()
    // The workers start on the backlog as the server boots, so the deadline counts from here. Before
    // the workers gave the event loop a turn per job, a PGlite server answered nothing until the
    // backlog was gone (146 s for 25,000 events).
    await using server = await startServer(env, true, expected * DRAIN_TIMEOUT_MS_PER_EVENT)
    progress(`workers' server ready after ${((performance.now() - startedAt) / 1000).toFixed(1)} s`)
    const cookie = await signInAdmin(server.url)
    const deadline = startedAt + expected * DRAIN_TIMEOUT_MS_PER_EVENT
    for (;;) {
      const response = await fetch(`${server.url}/api/admin/webhooks?limit=1`, { headers: { cookie } })
      const counts = ((await response.json()) as { counts: Record<string, number> }).counts
      const done = (counts.processed ?? 0) + (counts.orphaned ?? 0) + (counts.ignored ?? 0)
      if (done >= expected) break
      if (performance.now() > deadline)
        throw new Error(`workers did not drain the backlog: ${JSON.stringify(counts)}`)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  const stats = await processingStats(env)
  const seconds = (stats.last - stats.first) / 1000
  progress(`processed ${stats.count} events in ${seconds.toFixed(2)} s`)
  return { drainPerSecond: (stats.count - 1) / seconds, drainCount: stats.count, drainSeconds: seconds }
}

async function processingStats(
  env: Record<string, string>,
): Promise<{ count: number; first: number; last: number }> {
  const [row] = await queryDatabase<{ count: number; first: Date | string; last: Date | string }>(
    env,
    'select count(*)::int as count, min(processed_at) as first, max(processed_at) as last from webhook_events',
  )
  if (!row) throw new Error('no processing statistics')
  return { count: row.count, first: new Date(row.first).getTime(), last: new Date(row.last).getTime() }
}

/** One statement against the bench database while no server holds it (PGlite has one owner). */
async function queryDatabase<T>(env: Record<string, string>, query: string): Promise<T[]> {
  if (env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL })
    await client.connect()
    try {
      return (await client.query(query)).rows as T[]
    } finally {
      await client.end()
    }
  }
  const database = await PGlite.create(path.join(env.DATA_DIR as string, 'pglite'))
  try {
    return (await database.query<T>(query)).rows
  } finally {
    await database.close()
  }
}

async function signInAdmin(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_USERS[0]?.email, password: DEMO_PASSWORD }),
  })
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith('safeclose_session='))
  if (!cookie) throw new Error(`admin sign-in failed: ${response.status}`)
  return cookie.split(';')[0] as string
}

/** What a later run compares against (WEBHOOK_BENCH_SAVE / WEBHOOK_BENCH_BASELINE). */
type RunSummary = {
  label: string
  startedAt: string
  verifyJosePerSecond: number
  verifyJoseCpuMs?: number
  /** Absent in runs saved before the server verified with node:crypto (they used jose). */
  serverVerifier?: 'jose' | 'node:crypto'
  verifyNodeCryptoPerSecond?: number
  verifyNodeCryptoCpuMs?: number
  databases: Array<{
    database: string
    requestsPerSecond: number
    p99Ms: number
    /** Absent in runs saved before these were measured. */
    cpuMsPerDelivery?: number | null
    /** CPU ms per delivery of PostgreSQL and of the bench process; absent in earlier runs. */
    postgresCpuMs?: number | null
    benchCpuMs?: number
    deliveriesPerTransaction?: number
    fixedAchieved: number
    fixedP50Ms: number
    fixedP99Ms: number
    loadAverage: number
  }>
}

function summarize(run: { startedAt: Date; verifyRates: VerifyRates; results: IngestResult[] }): RunSummary {
  return {
    label: LABEL,
    startedAt: run.startedAt.toISOString(),
    verifyJosePerSecond: run.verifyRates.jose,
    verifyJoseCpuMs: run.verifyRates.joseCpuMs,
    serverVerifier: SERVER_VERIFIER,
    verifyNodeCryptoPerSecond: run.verifyRates.nodeCrypto,
    verifyNodeCryptoCpuMs: run.verifyRates.nodeCryptoCpuMs,
    databases: run.results.map((result) => ({
      database: result.database,
      requestsPerSecond: result.requestsPerSecond,
      p99Ms: result.latency.percentile(99) / 1000,
      cpuMsPerDelivery:
        result.serverCpuPercent === null
          ? null
          : (result.serverCpuPercent / 100 / result.requestsPerSecond) * 1000,
      postgresCpuMs: result.postgresCpuMs,
      benchCpuMs: result.benchCpuMs,
      deliveriesPerTransaction: result.deliveriesPerTransaction,
      fixedAchieved: result.fixed.achieved,
      fixedP50Ms: result.fixed.latency.percentile(50) / 1000,
      fixedP99Ms: result.fixed.latency.percentile(99) / 1000,
      loadAverage: result.loadAverage,
    })),
  }
}

function render(run: {
  startedAt: Date
  verifyRates: VerifyRates
  results: IngestResult[]
  hasPostgres: boolean
  summary: RunSummary
  baseline: RunSummary | null
}): string {
  const ms = (micros: number) => (micros / 1000).toFixed(micros < 10_000 ? 2 : 1)
  const number = (value: number) => Math.round(value).toLocaleString('en-US')
  const percent = (value: number) => `${Math.round(value * 100)}%`
  const postgres = run.results.find((result) => result.database.startsWith('PostgreSQL'))
  const lines = [
    SECTION_TITLE,
    '',
    `Latest run: ${run.startedAt.toISOString().replace(/\.\d{3}Z$/, 'Z')} · \`${run.hasPostgres ? 'TEST_DATABASE_URL=… ' : ''}${DATABASES.has('pglite') ? '' : 'WEBHOOK_BENCH_DATABASES=postgres '}node bench/webhooks.ts\``,
    '',
    `Machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}; 1-minute load average ${os.loadavg()[0]?.toFixed(1)} at the end (other work shares this machine).`,
    '',
    `Method: one server process (\`node server/main.ts\`, \`LOG_LEVEL=warn\`) per database, the key endpoint in the bench process. Ingest: ${number(DELIVERIES)} distinct deliveries (plus ${WARMUP_DELIVERIES} warm-up), each body signed with the sandbox's key ring and signing code moments before the run (fresh \`iat\`), sent once each by autocannon with ${CONNECTIONS} connections, workers off (\`JOB_WORKERS_IN_PROCESS=false\`) so the figure is the acknowledgement path alone: verify, store the event and its pg-boss job (concurrent deliveries share one group-committed transaction, ADR 0020; for new bodies a single prepared statement, ADR 0030), 200. Fixed load: then ${number(FIXED_RATE * FIXED_RATE_SECONDS)} more distinct deliveries offered at ${FIXED_RATE} req/s (autocannon \`overallRate\`, same connections) for the latency at a steady load. Deliveries per transaction: events per distinct \`xmin\` (the transaction that stored them), per phase, read before anything else writes to them. Processing: the same server restarted with the in-process workers at their defaults (concurrency 2, batches of 10), rate from the events' own \`processed_at\` stamps, first to last (the events are for Items unknown to the database, so processing is the lookup, the state change and the job's completion, without Plaid calls). Raw verify: a tight loop over the same JWS on one core of this machine, moments before, ES256 verification plus the SHA-256 of the body.`,
    '',
    `Raw ES256 verify + body hash on one core: **${number(run.verifyRates.nodeCrypto)}/s** with \`node:crypto\` as the server calls it (\`verifyEs256\`: the key object and a DER signature, ${run.verifyRates.nodeCryptoCpuMs.toFixed(3)} ms of CPU each); for comparison with earlier runs, **${number(run.verifyRates.p1363Options)}/s** through an options object with the JWS's P1363 signature (${run.verifyRates.p1363OptionsCpuMs.toFixed(3)} ms; the server's call before ADR 0031) and **${number(run.verifyRates.jose)}/s** with \`jose\` (${run.verifyRates.joseCpuMs.toFixed(3)} ms; before ADR 0029).`,
    '',
    `Targets (issue 14, PostgreSQL): ingest ≥ ${percent(TARGET_VERIFY_RATIO)} of the raw verify rate of the same run, with the verifier the server uses (\`${SERVER_VERIFIER}\`); p99 < ${TARGET_FIXED_P99_MS} ms at ${FIXED_RATE} req/s.${postgres ? ` This run: **${percent(postgres.requestsPerSecond / serverVerifyRate(run.verifyRates))}** and **${ms(postgres.fixed.latency.percentile(99))} ms**.${postgres.serverCpuPercent === null ? '' : ` Per CPU time, which a loaded machine distorts less: one ${SERVER_VERIFIER} verification costs ${serverVerifyCpuMs(run.verifyRates).toFixed(3)} ms of CPU, one acknowledged delivery ${cpuMsPerDelivery(postgres)?.toFixed(3)} ms of server CPU, so the server acknowledges at **${percent(serverVerifyCpuMs(run.verifyRates) / (cpuMsPerDelivery(postgres) as number))}** of the rate at which the same CPU time would verify.`}` : ''}`,
    '',
    `| Database | ingest req/s | p50 ms | p99 ms | non-2xx | server CPU | deliveries per transaction | vs raw verify | at ${FIXED_RATE} req/s: served | p50 ms | p99 ms | deliveries per transaction | workers: events/s |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...run.results.map(
      (result) =>
        `| ${result.database} | ${number(result.requestsPerSecond)} | ${ms(result.latency.percentile(50))} | ${ms(result.latency.percentile(99))} | ${result.non2xx + result.errors + result.fixed.non2xx + result.fixed.errors} | ${result.serverCpuPercent === null ? '—' : `${Math.round(result.serverCpuPercent)}%`} | ${result.deliveriesPerTransaction.toFixed(1)} | ${percent(result.requestsPerSecond / serverVerifyRate(run.verifyRates))} | ${number(result.fixed.achieved)} | ${ms(result.fixed.latency.percentile(50))} | ${ms(result.fixed.latency.percentile(99))} | ${result.fixed.deliveriesPerTransaction.toFixed(1)} | ${number(result.drainPerSecond)} (${number(result.drainCount)} in ${result.drainSeconds.toFixed(1)} s) |`,
    ),
    '',
    ...run.results.map((result) => {
      const cpuPerRequestMs =
        result.serverCpuPercent === null
          ? null
          : (result.serverCpuPercent / 100 / result.requestsPerSecond) * 1000
      const verifyMs = serverVerifyCpuMs(run.verifyRates)
      const cpuNote =
        cpuPerRequestMs === null
          ? ''
          : ` The server spends ${cpuPerRequestMs.toFixed(2)} ms of CPU per delivery, of which verification (${SERVER_VERIFIER}, measured above) is about ${verifyMs.toFixed(2)} ms (${percent(verifyMs / cpuPerRequestMs)}); the rest is HTTP and Fastify, the group commit and its one statement per batch (after the first verified delivery no Item is looked up before verification, ADR 0030)${result.database.startsWith('PGlite') ? ' and, on PGlite, the embedded database engine itself' : ''}.`
      return `- ${result.database}: ingest runs at ${percent(result.requestsPerSecond / serverVerifyRate(run.verifyRates))} of the raw verify rate (load average ${result.loadAverage.toFixed(1)} just after).${cpuNote}${machineNote(result, cpuPerRequestMs, run.verifyRates)} The workers process ${percent(result.drainPerSecond / result.requestsPerSecond)} of the ingest rate.`
    }),
    run.hasPostgres ? '' : '- PostgreSQL was not measured in this run (set TEST_DATABASE_URL).',
    ...(run.baseline ? ['', ...renderComparison(run.baseline, run.summary)] : []),
  ]
  return lines
    .filter((line, index, all) => !(line === '' && all[index - 1] === ''))
    .join('\n')
    .trimEnd()
}

/**
 * The whole machine's CPU per delivery (server, PostgreSQL, autocannon), and the ingest rate it
 * allows on this machine's CPUs even if no process ever waited for another: the bench's ceiling.
 */
function machineNote(result: IngestResult, serverCpuMs: number | null, rates: VerifyRates): string {
  if (serverCpuMs === null || result.postgresCpuMs === null) return ''
  const totalMs = serverCpuMs + result.postgresCpuMs + result.benchCpuMs
  const ceiling = (os.cpus().length * 1000) / totalMs
  return ` Outside the server, each delivery cost ${result.postgresCpuMs.toFixed(2)} ms of PostgreSQL's CPU and ${result.benchCpuMs.toFixed(2)} ms of the bench process's (autocannon): ${totalMs.toFixed(2)} ms of this machine's CPU in all, so its ${os.cpus().length} CPUs could ingest at most ${Math.round(ceiling).toLocaleString('en-US')}/s (${Math.round((ceiling / serverVerifyRate(rates)) * 100)}% of the raw verify rate) even if no process ever waited for another.`
}

function cpuMsPerDelivery(result: IngestResult): number | null {
  return result.serverCpuPercent === null
    ? null
    : (result.serverCpuPercent / 100 / result.requestsPerSecond) * 1000
}

/** Before/after: each run's figures as ratios within that run, since the machine's load differs. */
function renderComparison(before: RunSummary, after: RunSummary): string[] {
  const number = (value: number) => Math.round(value).toLocaleString('en-US')
  const percent = (value: number) => `${Math.round(value * 100)}%`
  const rows: string[] = []
  for (const run of [before, after]) {
    // Each run against the verifier its server used (runs saved before ADR 0029 used jose).
    const usesNodeCrypto = run.serverVerifier === 'node:crypto'
    const verifier = usesNodeCrypto ? 'node:crypto' : 'jose'
    const verifyRate = usesNodeCrypto ? (run.verifyNodeCryptoPerSecond ?? 0) : run.verifyJosePerSecond
    const verifyCpuMs = usesNodeCrypto ? run.verifyNodeCryptoCpuMs : run.verifyJoseCpuMs
    for (const result of run.databases) {
      rows.push(
        `| ${run.label} (${run.startedAt.replace(/\.\d{3}Z$/, 'Z')}) | ${result.database} | ${verifier} ${number(verifyRate)} | ${number(result.requestsPerSecond)} | **${percent(result.requestsPerSecond / verifyRate)}** | ${result.p99Ms.toFixed(1)} | ${result.cpuMsPerDelivery?.toFixed(2) ?? '—'} | ${verifyCpuMs && result.cpuMsPerDelivery ? percent(verifyCpuMs / result.cpuMsPerDelivery) : '—'} | ${result.deliveriesPerTransaction?.toFixed(1) ?? '—'} | ${number(result.fixedAchieved)} | ${result.fixedP50Ms.toFixed(2)} | **${result.fixedP99Ms.toFixed(2)}** | ${result.loadAverage.toFixed(1)} |`,
      )
    }
  }
  return [
    '### Before / after',
    '',
    "Two runs of this bench on the same machine, minutes apart; compare the ratios, not the raw rates (the machine is shared and its load differs between runs). Each run's ratio is against the verifier its server used.",
    '',
    `| Run | Database | raw verify/s (server's verifier) | ingest req/s | vs verify | p99 ms at saturation | server CPU ms per delivery | vs verify, per CPU ms | deliveries per transaction | at ${FIXED_RATE} req/s: served | p50 ms | p99 ms | load average |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ]
}

function progress(message: string): void {
  process.stderr.write(`bench/webhooks: ${message}\n`)
}

await main()
