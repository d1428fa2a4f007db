import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createHashQueue, type HashQueueAdmission } from '../../server/modules/auth/hash-queue.ts'

type Admitted = Extract<HashQueueAdmission, { admitted: true }>

/** Records the order in which admitted callers got their turn. */
function tracker() {
  const started: string[] = []
  const ends = new Map<string, () => void>()
  return {
    started,
    follow(label: string, admission: HashQueueAdmission) {
      expect(admission.admitted, label).toBe(true)
      void (admission as Admitted).turn.then((end) => {
        started.push(label)
        ends.set(label, end)
      })
    },
    async end(label: string) {
      await flush()
      const end = ends.get(label)
      if (!end) throw new Error(`${label} has no turn`)
      end()
      await flush()
    },
  }
}
const flush = () => new Promise((resolve) => setImmediate(resolve))

describe('password hash queue', () => {
  it('runs at most `concurrency` at once and refuses beyond the waiting bound, with a Retry-After', async () => {
    const queue = createHashQueue({ concurrency: 2, maxWaiting: 2, perKeyConcurrency: 2, perKeyShare: 100 })
    const turns = tracker()
    for (const label of ['a', 'b', 'c', 'd']) turns.follow(label, queue.admit(`ip-${label}`))
    const refused = queue.admit('ip-e')
    expect(refused).toMatchObject({ admitted: false, reason: 'queue-full' })
    expect((refused as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1)
    await flush()
    expect(turns.started).toEqual(['a', 'b'])
    expect(queue.stats()).toMatchObject({ running: 2, waiting: 2 })
    await turns.end('a')
    expect(turns.started).toEqual(['a', 'b', 'c'])
    await turns.end('b')
    await turns.end('c')
    await turns.end('d')
    expect(queue.stats()).toEqual({ running: 0, waiting: 0, keys: 0 })
  })

  it('gives one address at most its share of places and of running hashes', async () => {
    const queue = createHashQueue({ concurrency: 2, maxWaiting: 8 })
    const turns = tracker()
    // Defaults: half the slots (1 of 2) and 1 + a quarter of the queue (3 places) per address.
    for (const label of ['x1', 'x2', 'x3']) turns.follow(label, queue.admit('flooder'))
    expect(queue.admit('flooder')).toMatchObject({ admitted: false, reason: 'key-share' })
    await flush()
    expect(turns.started).toEqual(['x1'])
    // The second slot stays free for somebody else, who starts at once.
    turns.follow('legit', queue.admit('legit'))
    await flush()
    expect(turns.started).toEqual(['x1', 'legit'])
  })

  it('hands a freed slot to the address whose last turn is oldest, not to the longest queue', async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaiting: 10, perKeyShare: 10 })
    const turns = tracker()
    for (const label of ['a1', 'a2', 'a3']) turns.follow(label, queue.admit('a'))
    turns.follow('b1', queue.admit('b'))
    turns.follow('c1', queue.admit('c'))
    await turns.end('a1')
    await turns.end('b1')
    await turns.end('c1')
    await turns.end('a2')
    await turns.end('a3')
    expect(turns.started).toEqual(['a1', 'b1', 'c1', 'a2', 'a3'])
  })

  it('property: bounds always hold and every admitted caller eventually gets a turn', async () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('admit' as const), key: fc.constantFrom('a', 'b', 'c', 'd') }),
      fc.record({ kind: fc.constant('end' as const), pick: fc.nat() }),
    )
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(step, { maxLength: 40 }),
        async (concurrency, maxWaiting, steps) => {
          const queue = createHashQueue({ concurrency, maxWaiting })
          const running: Array<{ key: string; end: () => void }> = []
          let admitted = 0
          let finished = 0
          const admit = (key: string) => {
            const admission = queue.admit(key)
            if (!admission.admitted) return
            admitted += 1
            void admission.turn.then((end) => running.push({ key, end }))
          }
          for (const item of steps) {
            if (item.kind === 'admit') admit(item.key)
            else if (running.length > 0) {
              const [turn] = running.splice(item.pick % running.length, 1)
              turn?.end()
              finished += 1
            }
            await flush()
            const stats = queue.stats()
            expect(stats.running).toBeLessThanOrEqual(concurrency)
            expect(stats.waiting).toBeLessThanOrEqual(maxWaiting)
            const perKey = Math.max(1, Math.floor(concurrency / 2))
            for (const key of ['a', 'b', 'c', 'd']) {
              expect(running.filter((turn) => turn.key === key).length).toBeLessThanOrEqual(perKey)
            }
          }
          // Drain: everything admitted runs to its end.
          while (running.length > 0) {
            running.shift()?.end()
            finished += 1
            await flush()
          }
          expect(finished).toBe(admitted)
          expect(queue.stats()).toEqual({ running: 0, waiting: 0, keys: 0 })
        },
      ),
      { seed: 20_261_206, numRuns: 150 },
    )
  })
})
