// autocannon ships no types; this declares the part of its API the bench uses (autocannon 9).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events'

  export type RawRequest = {
    method: string
    path: string
    headers: Record<string, string>
    body?: string | Buffer
  }

  export type RequestStep = {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string
    setupRequest?: (request: RawRequest, context: Record<string, unknown>) => RawRequest | null
  }

  export type Options = {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string
    connections?: number
    /** Seconds. */
    duration?: number
    maxOverallRequests?: number
    /** Requests per second across all connections (a fixed offered load). */
    overallRate?: number
    requests?: RequestStep[]
    /** Seconds a request may take before it counts as a timeout. */
    timeout?: number
  }

  export type Histogram = { average: number; p50: number; p99: number; total: number }

  export type Result = {
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    requests: Histogram & { sent: number }
    latency: Histogram
    statusCodeStats: Record<string, { count: number }>
  }

  export type Instance = EventEmitter &
    PromiseLike<Result> & {
      stop(): void
    }

  export default function autocannon(options: Options): Instance
}
