import { performance } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { Logger } from 'pino'
import type { Config } from './config.ts'

/**
 * Gives memory back to the operating system once a busy process goes quiet.
 *
 * After a burst of requests V8 keeps the pages it freed in a pool, resident, expecting to reuse them;
 * its own memory reducer would return them, but it postpones itself while anything allocates (the job
 * queue's polling is enough), so a server that served a burst keeps 150 MB it no longer uses. This
 * watches the event loop: once it has been idle for `idleSeconds`, it runs one full, compacting
 * collection that also releases the pooled pages, the first time (start-up leaves garbage too) and
 * then whenever resident memory has grown by at least `minGrowthBytes` since the last trim. Under
 * load it never runs; when idle it runs once per burst.
 * ADR 0026 has the measurements.
 */
export type IdleMemoryTrimmer = { stop(): void }

export type IdleMemoryOptions = {
  idleSeconds: number
  /** Growth of resident memory since the last trim that makes a trim worthwhile. */
  minGrowthBytes?: number
  /** Share of a check interval the event loop may be busy and still count as idle. */
  maxIdleUtilization?: number
  onTrim?: (trim: { beforeBytes: number; afterBytes: number; milliseconds: number }) => void
  /** Seams for tests: the collection, resident memory and event loop utilisation since the last call. */
  collect?: () => void
  residentBytes?: () => number
  utilizationSinceLastCheck?: () => number
}

/** The trimmer as the server and worker processes run it, or null when configured off. */
export function idleMemoryTrimmer(config: Config, logger: Logger): IdleMemoryTrimmer | null {
  if (config.idleMemoryTrimSeconds === 0) return null
  return startIdleMemoryTrimmer({
    idleSeconds: config.idleMemoryTrimSeconds,
    onTrim: ({ beforeBytes, afterBytes, milliseconds }) =>
      logger.debug(
        {
          beforeMb: Math.round(beforeBytes / 2 ** 20),
          afterMb: Math.round(afterBytes / 2 ** 20),
          milliseconds,
        },
        'returned idle memory to the system',
      ),
  })
}

const CHECK_INTERVAL_MS = 1_000
const DEFAULT_MIN_GROWTH_BYTES = 32 * 1024 * 1024
const DEFAULT_MAX_IDLE_UTILIZATION = 0.05

export function startIdleMemoryTrimmer(options: IdleMemoryOptions): IdleMemoryTrimmer {
  const collect = options.collect ?? memoryReducingCollection()
  const residentBytes = options.residentBytes ?? process.memoryUsage.rss
  const utilization = options.utilizationSinceLastCheck ?? eventLoopUtilizationMeter()
  const minGrowth = options.minGrowthBytes ?? DEFAULT_MIN_GROWTH_BYTES
  const maxIdleUtilization = options.maxIdleUtilization ?? DEFAULT_MAX_IDLE_UTILIZATION
  const idleChecksNeeded = Math.max(1, Math.round((options.idleSeconds * 1000) / CHECK_INTERVAL_MS))

  let baseline = Number.NEGATIVE_INFINITY
  let idleChecks = 0
  const timer = setInterval(() => {
    idleChecks = utilization() <= maxIdleUtilization ? idleChecks + 1 : 0
    if (idleChecks < idleChecksNeeded) return
    const before = residentBytes()
    // Memory that shrank on its own moves the baseline down, never up.
    if (before - baseline < minGrowth) {
      baseline = Math.min(baseline, before)
      return
    }
    const started = performance.now()
    collect()
    const after = residentBytes()
    baseline = after
    idleChecks = 0
    options.onTrim?.({ beforeBytes: before, afterBytes: after, milliseconds: performance.now() - started })
  }, CHECK_INTERVAL_MS)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}

/**
 * V8's "last resort" full collection: several compacting passes, then the pooled pages go back to
 * the system. Node exposes it only through the `gc` extension; enabling the flag and reading `gc`
 * from a fresh context (the way Node's documentation shows for `v8.setFlagsFromString`) keeps the
 * function out of the global scope every module shares.
 */
export function memoryReducingCollection(): () => void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as (options: object) => void
  return () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
}

function eventLoopUtilizationMeter(): () => number {
  let previous = performance.eventLoopUtilization()
  return () => {
    const current = performance.eventLoopUtilization()
    const since = performance.eventLoopUtilization(current, previous)
    previous = current
    return since.utilization
  }
}
