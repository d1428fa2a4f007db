import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { findFreePort } from './processes.ts'

/**
 * `npm run bench:start-up`: how long `npm start` (the embedded demo: PGlite, mounted Plaid sandbox)
 * takes until `GET /readyz` answers 200, on a fresh DATA_DIR (the first start: migrations, pg-boss
 * schema, demo seed) and then restarting on the data that first start left. Each run prints the phase
 * timings the server logs ("start-up phases (ms)"). `--without-web-build` also runs a first start with
 * web/dist removed (what `npm start` meets when nothing built the web app at install), rebuilding it.
 * Markdown goes to stdout for the "## Start-up" section of docs/benchmarks.md.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const RUNS = Number(process.env.START_UP_BENCH_RUNS ?? 5)
const POLL_MS = 20
const START_TIMEOUT_MS = 60_000
const STOP_TIMEOUT_MS = 15_000

type StartResult = { readyMs: number; cpuMs: number | null; phases: Record<string, number> | null }

/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS_PER_SECOND = 100

/**
 * CPU time (user + system, finished children included) of every process in the group `npm start`
 * leads: a figure the other engineers' load on this shared machine does not inflate the way it
 * inflates wall time. Null where /proc is unavailable.
 */
async function groupCpuMs(groupId: number): Promise<number | null> {
  const entries = await readdir('/proc').catch(() => null)
  if (!entries) return null
  let ticks = 0
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null)
    if (!stat) continue
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) !== groupId) continue
    ticks += [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0)
  }
  return Math.round((ticks * 1000) / CLOCK_TICKS_PER_SECOND)
}

async function startOnce(dataDir: string): Promise<StartResult> {
  const port = await findFreePort()
  const startedAt = performance.now()
  // Its own process group: npm, the shell it runs and node all stop together.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATA_DIR: dataDir,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    const readyMs = await pollReady(
      `http://127.0.0.1:${port}/readyz`,
      startedAt,
      () => child.exitCode !== null,
    )
    const cpuMs = child.pid ? await groupCpuMs(child.pid) : null
    // The phase line is written right after listen; give the pipe a moment to deliver it.
    for (let attempt = 0; attempt < 50 && !output.includes('start-up phases'); attempt++) await sleep(POLL_MS)
    return { readyMs, cpuMs, phases: phasesFrom(output) }
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- server output ---\n${output.slice(-4000)}`)
  } finally {
    signalGroup(child.pid, 'SIGTERM')
    const isStopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)])
    if (!isStopped) signalGroup(child.pid, 'SIGKILL')
  }
}

function signalGroup(groupId: number | undefined, signal: NodeJS.Signals): void {
  if (!groupId) return
  try {
    process.kill(-groupId, signal)
  } catch (error) {
    // The group has already exited (a server that failed to start).
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

async function pollReady(url: string, startedAt: number, hasExited: () => boolean): Promise<number> {
  while (performance.now() - startedAt < START_TIMEOUT_MS) {
    if (hasExited()) throw new Error('npm start exited before it was ready')
    const response = await fetch(url).catch(() => null)
    if (response?.status === 200) return performance.now() - startedAt
    await response?.body?.cancel()
    await sleep(POLL_MS)
  }
  throw new Error(`not ready after ${START_TIMEOUT_MS} ms`)
}

function phasesFrom(output: string): Record<string, number> | null {
  for (const line of output.split('\n')) {
    if (!line.includes('start-up phases')) continue
    try {
      return (JSON.parse(line) as { startupMs?: Record<string, number> }).startupMs ?? null
    } catch {
      return null
    }
  }
  return null
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

function medianPhases(results: StartResult[]): Record<string, number> {
  const names = [...new Set(results.flatMap((result) => Object.keys(result.phases ?? {})))]
  return Object.fromEntries(
    names.map((name) => [name, median(results.map((result) => result.phases?.[name] ?? Number.NaN))]),
  )
}

async function scenario(label: string, run: () => Promise<StartResult>): Promise<[string, StartResult[]]> {
  const results: StartResult[] = []
  for (let index = 0; index < RUNS; index++) {
    const result = await run()
    process.stderr.write(
      `${label} #${index + 1}: ready in ${Math.round(result.readyMs)} ms, CPU ${result.cpuMs} ms ${JSON.stringify(result.phases)}\n`,
    )
    results.push(result)
  }
  return [label, results]
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'safeclose-start-up-'))
  const rows: [string, StartResult[]][] = []
  try {
    let freshIndex = 0
    const freshDir = () => path.join(tmp, `fresh-${freshIndex++}`)
    if (process.argv.includes('--without-web-build')) {
      rows.push(
        await scenario('first start, web/dist missing', async () => {
          await rm(path.join(ROOT, 'web/dist'), { recursive: true, force: true })
          return startOnce(freshDir())
        }),
      )
    }
    rows.push(await scenario('first start (fresh DATA_DIR)', () => startOnce(freshDir())))
    const existing = freshDir()
    await startOnce(existing)
    rows.push(await scenario('restart (existing DATA_DIR)', () => startOnce(existing)))
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }

  const phaseNames = [...new Set(rows.flatMap(([, results]) => Object.keys(medianPhases(results))))]
  say(
    `Median of ${RUNS} runs, ms (${os.cpus().length} CPUs, Node ${process.version}, load average ${(os.loadavg()[0] ?? 0).toFixed(1)} at the end).\n`,
  )
  say(`| Start | ready (/readyz 200) | CPU until ready | ${phaseNames.join(' | ')} |`)
  say(`|---|---:|---:|${phaseNames.map(() => '---:').join('|')}|`)
  for (const [label, results] of rows) {
    const phases = medianPhases(results)
    const cells = phaseNames.map((name) => String(phases[name] ?? '–'))
    const readyMs = Math.round(median(results.map((result) => result.readyMs)))
    const cpuMs = median(results.map((result) => result.cpuMs ?? Number.NaN))
    say(`| ${label} | ${readyMs} | ${cpuMs} | ${cells.join(' | ')} |`)
  }
}

await main()

function say(text: string): void {
  process.stdout.write(`${text}\n`)
}
