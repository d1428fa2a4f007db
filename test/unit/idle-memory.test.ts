import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { memoryReducingCollection, startIdleMemoryTrimmer } from '../../server/idle-memory.ts'

const MB = 1024 * 1024

describe('idle memory trimmer', () => {
  let resident: number
  let utilization: number
  let collections: number
  let trimmer: ReturnType<typeof startIdleMemoryTrimmer>

  beforeEach(() => {
    vi.useFakeTimers()
    resident = 300 * MB
    utilization = 0
    collections = 0
    trimmer = startIdleMemoryTrimmer({
      idleSeconds: 3,
      minGrowthBytes: 32 * MB,
      collect: () => {
        collections += 1
        resident -= 100 * MB
      },
      residentBytes: () => resident,
      utilizationSinceLastCheck: () => utilization,
    })
  })
  afterEach(() => {
    trimmer.stop()
    vi.useRealTimers()
  })

  it('trims once the event loop has been idle long enough, then not again while nothing grows', () => {
    vi.advanceTimersByTime(2_000)
    expect(collections).toBe(0)
    vi.advanceTimersByTime(1_000)
    expect(collections).toBe(1)
    vi.advanceTimersByTime(60_000)
    expect(collections).toBe(1)
  })

  it('never trims while the process is busy', () => {
    utilization = 0.4
    vi.advanceTimersByTime(60_000)
    expect(collections).toBe(0)
  })

  it('a busy second restarts the idle count', () => {
    vi.advanceTimersByTime(2_000)
    utilization = 0.2
    vi.advanceTimersByTime(1_000)
    utilization = 0
    vi.advanceTimersByTime(2_000)
    expect(collections).toBe(0)
    vi.advanceTimersByTime(1_000)
    expect(collections).toBe(1)
  })

  it('trims again after a burst that grew memory enough, not after a small one', () => {
    const burstThenQuiet = (growthMb: number) => {
      utilization = 0.9
      resident += growthMb * MB
      vi.advanceTimersByTime(5_000)
      utilization = 0
      vi.advanceTimersByTime(5_000)
    }
    vi.advanceTimersByTime(3_000)
    expect(collections).toBe(1)
    burstThenQuiet(20)
    expect(collections).toBe(1)
    burstThenQuiet(20)
    expect(collections).toBe(2)
  })

  it('stops checking once stopped', () => {
    trimmer.stop()
    vi.advanceTimersByTime(60_000)
    expect(collections).toBe(0)
  })
})

describe('the memory-reducing collection', () => {
  it('frees what is unreachable and returns the heap it occupied, without a global gc', () => {
    const collect = memoryReducingCollection()
    let garbage: unknown[] | null = Array.from({ length: 400_000 }, (_, i) => ({ i, text: `entry ${i}` }))
    const grown = process.memoryUsage().heapTotal
    expect((garbage as unknown[]).length).toBe(400_000)
    garbage = null
    collect()
    expect(process.memoryUsage().heapTotal).toBeLessThan(grown - 16 * MB)
    expect('gc' in globalThis).toBe(false)
  })
})
