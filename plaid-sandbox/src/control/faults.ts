import { randomUUID } from 'node:crypto'
import { type PlaidApiError, type PlaidErrorCode, plaidError } from '../errors.ts'

/**
 * Fault injection: the next N calls to an endpoint fail with a chosen Plaid error or HTTP status,
 * and/or answer only after a delay. Faults apply in the order they were added; `*` matches every
 * endpoint. Paths are relative to the sandbox mount point, e.g. `/auth/get`.
 */
export interface FaultSpec {
  endpoint: string
  /** How many calls the fault affects (default 1). */
  times?: number
  /** Fail with this Plaid error code (its own type and status). */
  errorCode?: PlaidErrorCode
  /** Fail with a bare HTTP failure instead: 500 → INTERNAL_SERVER_ERROR, 503 → PLANNED_MAINTENANCE, 429 → the endpoint's rate limit. */
  httpStatus?: 429 | 500 | 503
  /** Answer only after this many milliseconds (real time). */
  delayMs?: number
}

export interface ActiveFault extends Required<Pick<FaultSpec, 'endpoint'>> {
  id: string
  remaining: number
  errorCode: PlaidErrorCode | null
  httpStatus: 429 | 500 | 503 | null
  delayMs: number
}

/** Each rate-limited endpoint has its own RATE_LIMIT_EXCEEDED code. */
const RATE_LIMIT_CODES: Record<string, PlaidErrorCode> = {
  '/accounts/get': 'ACCOUNTS_LIMIT',
  '/auth/get': 'AUTH_LIMIT',
  '/identity/get': 'IDENTITY_LIMIT',
  '/item/get': 'ITEM_GET_LIMIT',
  '/institutions/get_by_id': 'INSTITUTIONS_GET_BY_ID_LIMIT',
}

export class FaultInjector {
  #faults: ActiveFault[] = []

  add(spec: FaultSpec): ActiveFault {
    const times = spec.times ?? 1
    if (!Number.isInteger(times) || times < 1) throw new RangeError('times must be a positive integer')
    if (spec.delayMs !== undefined && (!Number.isFinite(spec.delayMs) || spec.delayMs < 0)) {
      throw new RangeError('delayMs must be a non-negative number')
    }
    if (spec.errorCode === undefined && spec.httpStatus === undefined && spec.delayMs === undefined) {
      throw new RangeError('a fault needs an errorCode, an httpStatus or a delayMs')
    }
    if (spec.errorCode !== undefined && spec.httpStatus !== undefined) {
      throw new RangeError('give either errorCode or httpStatus, not both')
    }
    const fault: ActiveFault = {
      id: randomUUID(),
      endpoint: spec.endpoint,
      remaining: times,
      errorCode: spec.errorCode ?? null,
      httpStatus: spec.httpStatus ?? null,
      delayMs: spec.delayMs ?? 0,
    }
    this.#faults.push(fault)
    return fault
  }

  /** Consumes the first fault matching the endpoint, if any. */
  take(endpoint: string): { delayMs: number; error: PlaidApiError | null } | null {
    const fault = this.#faults.find(
      (candidate) => candidate.endpoint === endpoint || candidate.endpoint === '*',
    )
    if (!fault) return null
    fault.remaining--
    if (fault.remaining === 0) this.#faults = this.#faults.filter((candidate) => candidate !== fault)
    return { delayMs: fault.delayMs, error: faultError(fault, endpoint) }
  }

  list(): readonly ActiveFault[] {
    return this.#faults
  }

  clear(): void {
    this.#faults = []
  }
}

function faultError(fault: ActiveFault, endpoint: string): PlaidApiError | null {
  if (fault.errorCode) return plaidError(fault.errorCode)
  switch (fault.httpStatus) {
    case 429:
      return plaidError(RATE_LIMIT_CODES[endpoint] ?? 'RATE_LIMIT')
    case 500:
      return plaidError('INTERNAL_SERVER_ERROR')
    case 503:
      return plaidError('PLANNED_MAINTENANCE')
    default:
      return null
  }
}
