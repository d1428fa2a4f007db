import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import autocannon, { type Options } from 'autocannon'
import type { BenchProcess } from './processes.ts'

export type LoadRequest = {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
  /**
   * Bodies that may each be sent once (fresh public tokens). The pool bounds the run: warm-up and
   * measurement together never send more requests than it holds.
   */
  bodyPool?: readonly string[]
}

export type LoadSettings = { connections: number; durationS: number; warmupS: number }

export type Measurement = {
  requestsPerSecond: number
  /** Latency of 2xx responses in microseconds (autocannon's own histogram has 1 ms resolution). */
  latencyMicros: RecordableHistogram
  completed: number
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  durationS: number
  statusCounts: Record<string, number>
  /** CPU each watched process used during the measurement (by role), in % of one core. */
  cpuPercent: Record<string, number | null>
}

// Single-use bodies the warm-up may take at most, so the measurement keeps most of the pool.
const WARMUP_POOL_SHARE = 0.1

/**
 * Warms the target up, then measures it for `durationS` with `connections` concurrent keep-alive
 * connections (closed loop: each connection sends its next request when the last one is answered).
 */
export async function measure(
  origin: string,
  request: LoadRequest,
  settings: LoadSettings,
  watched: Readonly<Record<string, BenchProcess>>,
): Promise<Measurement> {
  const pool = request.bodyPool ? new BodyPool(request.bodyPool) : null
  const warmupBudget = pool ? Math.max(settings.connections, Math.floor(pool.size * WARMUP_POOL_SHARE)) : 0
  await startAutocannon(origin, request, settings.connections, settings.warmupS, pool, warmupBudget)

  const latencyMicros = createHistogram()
  const cpuBefore = Object.entries(watched).map(([role, child]) => ({
    role,
    child,
    before: child.cpuSeconds(),
  }))
  const instance = startAutocannon(
    origin,
    request,
    settings.connections,
    settings.durationS,
    pool,
    pool?.remaining ?? 0,
  )
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode >= 200 && statusCode < 300)
      latencyMicros.record(Math.max(1, Math.round(responseTimeMs * 1000)))
  })
  const result = await instance
  const cpuPercent = Object.fromEntries(
    cpuBefore.map(({ role, child, before }) => {
      const after = child.cpuSeconds()
      return [role, before === null || after === null ? null : ((after - before) / result.duration) * 100]
    }),
  )
  return {
    requestsPerSecond: result.requests.total / result.duration,
    latencyMicros,
    completed: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    durationS: result.duration,
    statusCounts: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([status, stats]) => [status, stats.count]),
    ),
    cpuPercent,
  }
}

function startAutocannon(
  origin: string,
  request: LoadRequest,
  connections: number,
  durationS: number,
  pool: BodyPool | null,
  budget: number,
) {
  const options: Options = {
    url: `${origin}${request.path}`,
    method: request.method,
    headers: request.headers ?? {},
    connections,
    duration: durationS,
    ...(request.body === undefined ? {} : { body: request.body }),
    ...(pool
      ? {
          // autocannon builds each request (calling setupRequest) right before sending it, so at
          // most `budget` bodies are taken.
          maxOverallRequests: budget,
          requests: [{ setupRequest: (raw) => ({ ...raw, body: pool.take() }) }],
        }
      : {}),
  }
  return autocannon(options)
}

class BodyPool {
  readonly #bodies: readonly string[]
  #next = 0

  constructor(bodies: readonly string[]) {
    this.#bodies = bodies
  }

  get size(): number {
    return this.#bodies.length
  }

  get remaining(): number {
    return this.#bodies.length - this.#next
  }

  take(): string {
    const body = this.#bodies[this.#next]
    // Reusing a body would send an already exchanged token and measure an error path instead.
    if (body === undefined) throw new Error('the body pool is exhausted')
    this.#next += 1
    return body
  }
}
