import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** A server the bench started in a child process; disposing it stops the process. */
export type BenchProcess = AsyncDisposable & {
  name: string
  url: string
  pid: number
  /** CPU seconds (user + system) the process has used so far, or null where /proc is unavailable. */
  cpuSeconds(): number | null
  /** Resident memory (VmRSS) in bytes right now, or null where /proc is unavailable. */
  residentBytes(): number | null
}

const OUTPUT_TAIL_LINES = 40
const READINESS_POLL_MS = 100
const STOP_GRACE_MS = 10_000

const INTERRUPT_CLEANUP_MS = 5_000

const running = new Set<ChildProcess>()
const interruptCleanups = new Set<() => Promise<void>>()

// The last line of defence: whatever happens to the bench, no server it started outlives it.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    process.stderr.write(`bench: ${signal}, stopping every server it started\n`)
    for (const child of running) child.kill('SIGKILL')
    await Promise.race([
      Promise.allSettled([...interruptCleanups].map((cleanup) => cleanup())),
      sleep(INTERRUPT_CLEANUP_MS),
    ])
    process.exit(130)
  })
}

/**
 * Cleanup that must also happen when the bench is interrupted (a throwaway database), since an
 * interrupt skips the `finally` blocks. Returns a function that unregisters it.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  interruptCleanups.add(cleanup)
  return () => interruptCleanups.delete(cleanup)
}

/**
 * Runs `node <args>` with exactly `env` (plus PATH), so nothing from the caller's shell, such as a
 * DATABASE_URL, leaks into the server under test. Resolves once `readinessPath` answers 2xx.
 */
export async function startNodeProcess(options: {
  name: string
  args: string[]
  env: Record<string, string>
  url: string
  readinessPath: string
  startTimeoutMs?: number
}): Promise<BenchProcess> {
  const child = spawn(process.execPath, options.args, {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  const outputTail: string[] = []
  const remember = (chunk: Buffer) => {
    outputTail.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    outputTail.splice(0, Math.max(0, outputTail.length - OUTPUT_TAIL_LINES))
  }
  child.stdout?.on('data', remember)
  child.stderr?.on('data', remember)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => running.delete(child))

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const isStopped = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)])
    if (!isStopped) {
      child.kill('SIGKILL')
      await exited
    }
  }

  try {
    await waitUntilReady(`${options.url}${options.readinessPath}`, child, options.startTimeoutMs ?? 60_000)
  } catch (error) {
    await stop()
    throw new Error(
      `${options.name} did not start: ${(error as Error).message}\n--- last output ---\n${outputTail.join('\n')}`,
    )
  }
  const pid = child.pid as number
  return {
    name: options.name,
    url: options.url,
    pid,
    cpuSeconds: () => readCpuSeconds(pid),
    residentBytes: () => readResidentBytes(pid),
    [Symbol.asyncDispose]: stop,
  }
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited early (${child.exitCode ?? child.signalCode})`)
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // Not listening yet.
    }
    await sleep(READINESS_POLL_MS)
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`)
}

/** A port that was free a moment ago; the child binds it right after (the same race tests accept). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

// Linux reports process times in clock ticks of USER_HZ, which is 100 on every mainstream platform.
const CLOCK_TICKS_PER_SECOND = 100

/**
 * CPU seconds used so far by every process of this machine named `command` (e.g. `postgres`: the
 * server and all its backends), or null where /proc is unavailable. Processes that exited in between
 * are not counted, so a difference of two readings is a lower bound.
 */
export function machineCpuSeconds(command: string): number | null {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))
  } catch {
    return null
  }
  let total = 0
  for (const pid of pids) {
    const stat = readStat(Number(pid))
    if (stat?.command === command) total += stat.cpuSeconds
  }
  return total
}

function readCpuSeconds(pid: number): number | null {
  return readStat(pid)?.cpuSeconds ?? null
}

/** A process's command name and CPU seconds (user + system) from /proc, or null when unreadable. */
function readStat(pid: number): { command: string; cpuSeconds: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name (which may itself contain spaces): utime is
    // field 14 and stime field 15 of the whole line, i.e. indexes 11 and 12 after the name.
    const nameEnd = stat.lastIndexOf(')')
    const fields = stat.slice(nameEnd + 2).split(' ')
    return {
      command: stat.slice(stat.indexOf('(') + 1, nameEnd),
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND,
    }
  } catch {
    return null
  }
}

function readResidentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}
