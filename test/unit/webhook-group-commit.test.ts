import { describe, expect, it } from 'vitest'
import { createGroupCommitter, type GroupCommitOptions } from '../../server/modules/webhooks/group-commit.ts'

/** A fake transaction log: each commit records its items; a commit waits while the gate is shut. */
function fakeDatabase(options: { failOn?: (item: string) => boolean } = {}) {
  const commits: string[][] = []
  const started: string[][] = []
  let open: Promise<void> = Promise.resolve()
  let release: () => void = () => {}
  return {
    commits,
    started,
    shut() {
      open = new Promise((resolve) => {
        release = resolve
      })
    },
    open: () => release(),
    async commitBatch(items: string[]): Promise<string[]> {
      started.push(items)
      await open
      if (items.some((item) => options.failOn?.(item))) throw new Error(`bad row in ${items.join(',')}`)
      commits.push(items)
      return items.map((item) => `stored:${item}`)
    },
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('group commit', () => {
  const options: GroupCommitOptions = { maxBatch: 4, windowMs: 60_000, maxInFlight: 2 }

  it('commits a lone item at once, without waiting for a window', async () => {
    const db = fakeDatabase()
    const committer = createGroupCommitter(db.commitBatch, options)
    const started = performance.now()
    await expect(committer.submit('a')).resolves.toBe('stored:a')
    // The window is a minute: the item did not wait for it.
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(db.commits).toEqual([['a']])
  })

  it('batches what arrives while a commit is in flight, and answers each caller with its own result', async () => {
    const db = fakeDatabase()
    const committer = createGroupCommitter(db.commitBatch, options)
    db.shut()
    const first = committer.submit('a')
    const rest = ['b', 'c', 'd'].map((item) => committer.submit(item))
    await settle()
    // Only the first is in flight; the others wait for it rather than taking a transaction each.
    expect(db.started).toEqual([['a']])
    db.open()
    expect(await first).toBe('stored:a')
    expect(await Promise.all(rest)).toEqual(['stored:b', 'stored:c', 'stored:d'])
    expect(db.commits).toEqual([['a'], ['b', 'c', 'd']])
    expect(committer.stats()).toEqual({ commits: 2, items: 4, largestBatch: 3, fallbacks: 0 })
  })

  it('starts a full batch beside the one in flight, and never more than the cap in one', async () => {
    const db = fakeDatabase()
    const committer = createGroupCommitter(db.commitBatch, options)
    db.shut()
    const results = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((item) => committer.submit(item))
    await settle()
    expect(db.started).toEqual([['a'], ['b', 'c', 'd', 'e']])
    db.open()
    await Promise.all(results)
    expect(db.commits).toEqual([['a'], ['b', 'c', 'd', 'e'], ['f', 'g']])
  })

  it('starts a waiting batch beside a slow commit once the window has passed', async () => {
    const db = fakeDatabase()
    const committer = createGroupCommitter(db.commitBatch, { ...options, windowMs: 20 })
    db.shut()
    const results = ['a', 'b'].map((item) => committer.submit(item))
    await settle()
    expect(db.started).toEqual([['a']])
    await new Promise((resolve) => setTimeout(resolve, 60))
    expect(db.started).toEqual([['a'], ['b']])
    db.open()
    await Promise.all(results)
  })

  it('stores the good items of a failed batch one by one and fails only the bad one', async () => {
    const db = fakeDatabase({ failOn: (item) => item === 'bad' })
    const warnings: number[] = []
    const committer = createGroupCommitter(db.commitBatch, options, (_error, size) => warnings.push(size))
    db.shut()
    const first = committer.submit('a')
    const batch = ['b', 'bad', 'c'].map((item) => committer.submit(item).catch((error: Error) => error))
    db.open()
    await first
    const [b, bad, c] = await Promise.all(batch)
    expect(b).toBe('stored:b')
    expect(c).toBe('stored:c')
    expect(bad).toBeInstanceOf(Error)
    // Nothing of the failed batch was committed with it; each good item got its own transaction.
    expect(db.commits).toEqual([['a'], ['b'], ['c']])
    expect(warnings).toEqual([3])
    expect(committer.stats()).toMatchObject({ fallbacks: 1, items: 3 })
  })

  it('waits for callers announced as on their way, and commits them together', async () => {
    const db = fakeDatabase()
    const committer = createGroupCommitter(db.commitBatch, options)
    const late = committer.arrival()
    const withdrawn = committer.arrival()
    const early = committer.arrival().submit('a')
    await settle()
    // Two more are announced: nothing starts yet.
    expect(db.started).toEqual([])
    const second = late.submit('b')
    await settle()
    expect(db.started).toEqual([])
    // The last one withdraws (its delivery was refused): the others go at once, together.
    withdrawn.withdraw()
    withdrawn.withdraw()
    expect(await Promise.all([early, second])).toEqual(['stored:a', 'stored:b'])
    expect(db.commits).toEqual([['a', 'b']])
    await expect(late.submit('again')).rejects.toThrow('already used')
  })

  it('waits no longer than the window for an announced caller that does not come', async () => {
    const db = fakeDatabase()
    const committer = createGroupCommitter(db.commitBatch, { ...options, windowMs: 20 })
    const slow = committer.arrival()
    const started = performance.now()
    await expect(committer.submit('a')).resolves.toBe('stored:a')
    expect(performance.now() - started).toBeGreaterThanOrEqual(15)
    slow.withdraw()
  })

  it('fails a lone item whose commit fails, and keeps committing later ones', async () => {
    const db = fakeDatabase({ failOn: (item) => item === 'bad' })
    const committer = createGroupCommitter(db.commitBatch, options)
    await expect(committer.submit('bad')).rejects.toThrow('bad row')
    await expect(committer.submit('next')).resolves.toBe('stored:next')
  })
})
