import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import { createJobQueue, type JobQueueOptions, QUEUES } from '../../server/jobs/queue.ts'
import { createTestDatabase } from '../helpers/database.ts'

const OPTIONS: JobQueueOptions = {
  retryLimit: 3,
  retryDelaySeconds: 1,
  expireSeconds: 60,
  pollingIntervalSeconds: 0.5,
}

describe('the job queue across restarts', () => {
  let database: DatabaseHandle
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.close())

  async function queueSettings() {
    const result = await database.executeSql(
      'select name, retry_limit, expire_seconds, updated_on from pgboss.queue where name = any($1) order by name',
      [Object.values(QUEUES)],
    )
    return result.rows as Array<{
      name: string
      retry_limit: number
      expire_seconds: number
      updated_on: Date
    }>
  }

  it('leaves unchanged queues alone, applies changed options, and enqueues at once either way', async () => {
    const first = createJobQueue(database, OPTIONS)
    await first.start()
    await first.stop()
    const created = await queueSettings()
    expect(created.map((queue) => queue.name).sort()).toEqual(Object.values(QUEUES).sort())

    // A restart with the same settings writes nothing.
    const same = createJobQueue(database, OPTIONS)
    await same.start()
    expect(await queueSettings()).toEqual(created)
    // Its cache knows every queue: a job enqueued inside a transaction commits with it (no lookup on
    // another connection, which on PGlite would wait for this transaction forever).
    const handled = new Promise<unknown>((resolve) => {
      void same.work(QUEUES.housekeeping, async (job) => resolve(job.data))
    })
    await database.db.transaction((tx) => same.enqueue(tx, QUEUES.housekeeping, { run: 'restart' }))
    expect(await handled).toEqual({ run: 'restart' })
    await same.stop()

    // Changed settings reach every queue.
    const changed = createJobQueue(database, { ...OPTIONS, retryLimit: 5, expireSeconds: 120 })
    await changed.start()
    await changed.stop()
    for (const queue of await queueSettings()) {
      expect(queue).toMatchObject({ retry_limit: 5, expire_seconds: 120 })
    }
  })
})
