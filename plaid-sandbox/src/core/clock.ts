/**
 * The sandbox's notion of "now": an injectable base clock plus an offset that the control API can
 * advance, so tests can expire tokens and keys without sleeping.
 */
export class SandboxClock {
  readonly #base: () => number
  #offsetMs = 0

  constructor(base: () => number = Date.now) {
    this.#base = base
  }

  /** Milliseconds since the Unix epoch. */
  now(): number {
    return this.#base() + this.#offsetMs
  }

  nowSeconds(): number {
    return Math.floor(this.now() / 1000)
  }

  get offsetMs(): number {
    return this.#offsetMs
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError('the clock only moves forward by a finite number of ms')
    this.#offsetMs += ms
  }

  resetOffset(): void {
    this.#offsetMs = 0
  }
}

export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
