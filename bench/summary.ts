import { createHistogram } from 'node:perf_hooks'
import type { Measurement } from './load.ts'

/** One row of the report: the same route measured once per round. */
export type RowSummary = {
  requestsPerSecond: { median: number; min: number; max: number }
  /** Percentiles over every 2xx response of every round. */
  latencyP50Ms: number
  latencyP99Ms: number
  non2xx: number
  errors: number
  statusCounts: Record<string, number>
  cpuPercent: { target: number | null; sandbox: number | null }
  /** The shortest round, which is shorter than configured only when a body pool ran out. */
  shortestRoundS: number
}

export function summarize(rounds: readonly Measurement[]): RowSummary {
  const latencyMicros = createHistogram()
  for (const round of rounds) latencyMicros.add(round.latencyMicros)
  const rates = rounds.map((round) => round.requestsPerSecond)
  const statusCounts: Record<string, number> = {}
  for (const round of rounds) {
    for (const [status, count] of Object.entries(round.statusCounts)) {
      statusCounts[status] = (statusCounts[status] ?? 0) + count
    }
  }
  const cpuOf = (role: string) => {
    const values = rounds.map((round) => round.cpuPercent[role])
    return values.every((value) => typeof value === 'number') ? median(values as number[]) : null
  }
  return {
    requestsPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    latencyP50Ms: latencyMicros.count > 0 ? latencyMicros.percentile(50) / 1000 : Number.NaN,
    latencyP99Ms: latencyMicros.count > 0 ? latencyMicros.percentile(99) / 1000 : Number.NaN,
    non2xx: sum(rounds.map((round) => round.non2xx)),
    errors: sum(rounds.map((round) => round.errors)),
    statusCounts,
    cpuPercent: { target: cpuOf('target'), sandbox: cpuOf('sandbox') },
    shortestRoundS: Math.min(...rounds.map((round) => round.durationS)),
  }
}

/**
 * Throughput of a row relative to a baseline: the median of per-round ratios, so each route is only
 * ever compared with the baseline measured seconds before it, under the same background load.
 */
export function throughputRatio(row: readonly Measurement[], baseline: readonly Measurement[]): number {
  return median(
    row.map((round, index) => round.requestsPerSecond / (baseline[index]?.requestsPerSecond ?? Number.NaN)),
  )
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)
