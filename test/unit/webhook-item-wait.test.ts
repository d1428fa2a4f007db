import { describe, expect, it } from 'vitest'
import { nextItemCheckDelayMs } from '../../server/modules/webhooks/processor.ts'

describe('re-checks of a webhook whose Item is not known yet', () => {
  const wait = { windowMs: 600_000, firstRetryMs: 5_000 }

  it('starts at the first delay, then doubles the time waited, ending exactly at the window', () => {
    const checks: number[] = [0]
    for (;;) {
      const delay = nextItemCheckDelayMs(checks.at(-1) as number, wait)
      if (delay === null) break
      checks.push((checks.at(-1) as number) + delay)
    }
    expect(checks).toEqual([0, 5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000])
  })

  it('waits proportionally when a check runs late, and not at all with a zero window', () => {
    expect(nextItemCheckDelayMs(100_000, wait)).toBe(100_000)
    expect(nextItemCheckDelayMs(599_000, wait)).toBe(1_000)
    expect(nextItemCheckDelayMs(600_000, wait)).toBeNull()
    expect(nextItemCheckDelayMs(0, { windowMs: 0, firstRetryMs: 5_000 })).toBeNull()
  })
})
