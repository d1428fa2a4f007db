import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import { createJobQueue, type JobQueue, payloadProblem } from '../../server/jobs/queue.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { eventually } from '../system/webhook-harness.ts'

/**
 * The typed queue (ADR 0022): jobs exist exactly when the caller's transaction commits, and a payload
 * that does not match its queue's schema fails its job for good without reaching the handler or
 * stopping the worker.
 */
describe('job queue', () => {
  let database: DatabaseHandle
  let queue: JobQueue
  const invalid: Array<{ queue: string; jobId: string; message: string }> = []
  const handled: string[] = []

  beforeAll(async () => {
    database = await createTestDatabase()
    queue = createJobQueue(database, {
      retryLimit: 3,
      retryDelaySeconds: 0,
      expireSeconds: 60,
      pollingIntervalSeconds: 0.5,
      onInvalidPayload: (problem) => invalid.push(problem),
    })
    await queue.start()
    await queue.work('signing-seal', async (job) => {
      handled.push(job.data.packageId)
    })
  })
  afterAll(async () => {
    await queue?.stop()
    await database?.close()
  })

  async function jobsOf(name: string) {
    const { rows } = await database.executeSql(
      `select id, state, retry_count, data, output from pgboss.job where name = $1 order by created_on`,
      [name],
    )
    return rows as Array<{
      id: string
      state: string
      retry_count: number
      data: unknown
      output: { message?: string } | null
    }>
  }

  it('creates jobs only when the transaction that queued them commits', async () => {
    await database.db
      .transaction(async (tx) => {
        await queue.enqueue(tx, 'plaid-item-retired', { plaidItemId: 'item-rolled-back', reason: 'removed' })
        await queue.enqueueMany(tx, 'plaid-item-retired', [
          { plaidItemId: 'item-rolled-back-2', reason: 'removed' },
        ])
        throw new Error('roll back')
      })
      .catch(() => {})
    expect(await jobsOf('plaid-item-retired')).toEqual([])

    const ids = await database.db.transaction(async (tx) => {
      // Several enqueues on one transaction at once, and a batch: all commit together.
      const single = await Promise.all([
        queue.enqueue(tx, 'plaid-item-retired', { plaidItemId: 'item-a', reason: 'removed' }),
        queue.enqueue(tx, 'plaid-item-retired', { plaidItemId: 'item-b', reason: 'replaced' }),
      ])
      const batch = await queue.enqueueMany(tx, 'plaid-item-retired', [
        { plaidItemId: 'item-c', reason: 'removed' },
        { plaidItemId: 'item-d', reason: 'replaced' },
      ])
      return [...single, ...batch]
    })
    const stored = await jobsOf('plaid-item-retired')
    expect(stored.map((job) => job.id).sort()).toEqual([...ids].sort())
    expect(stored.map((job) => (job.data as { plaidItemId: string }).plaidItemId).sort()).toEqual([
      'item-a',
      'item-b',
      'item-c',
      'item-d',
    ])
  })

  it('fails a job with an invalid payload for good, clearly, and keeps working the valid ones', async () => {
    await database.db.transaction(async (tx) => {
      // What an older or broken producer could have stored; the compiler refuses it in our code.
      await queue.enqueue(tx, 'signing-seal', { packageId: 42 } as never)
      await queue.enqueue(tx, 'signing-seal', { packageId: 'package-ok' })
    })
    await eventually(
      async () =>
        (await jobsOf('signing-seal')).every((job) => job.state === 'completed' || job.state === 'failed')
          ? true
          : undefined,
      'both jobs settled',
    )
    const jobs = await jobsOf('signing-seal')
    const bad = jobs.find((job) => (job.data as { packageId: unknown }).packageId === 42)
    expect(bad).toMatchObject({ state: 'failed', retry_count: 0 })
    expect(bad?.output?.message).toBe('invalid signing-seal payload: /packageId must be string')
    expect(invalid).toEqual([
      {
        queue: 'signing-seal',
        jobId: bad?.id,
        message: 'invalid signing-seal payload: /packageId must be string',
      },
    ])
    expect(handled).toEqual(['package-ok'])
    expect(jobs.find((job) => job.id !== bad?.id)).toMatchObject({ state: 'completed' })
  })

  it('checks every queue’s payload against its schema', () => {
    expect(payloadProblem('plaid-webhook', { eventId: 'e1' })).toBeNull()
    expect(payloadProblem('plaid-webhook', null)).toBe('(payload) must be object')
    expect(payloadProblem('housekeeping', null)).toBeNull()
    expect(payloadProblem('plaid-reconcile', null)).toBeNull()
    expect(payloadProblem('plaid-reconcile', { workspaceId: 'w1', requested_by: 'u1' })).toBeNull()
    expect(
      payloadProblem('plaid-reconcile', {
        environment: 'sandbox',
        plaidItemId: 'item',
        webhookCode: 'LOGIN_REPAIRED',
        receivedAt: '2026-12-06T10:00:00.000Z',
      }),
    ).toBeNull()
    expect(payloadProblem('plaid-reconcile', { environment: 'staging', plaidItemId: 'item' })).toContain(
      '/environment',
    )
    expect(
      payloadProblem('plaid-item-status-changed', {
        plaidItemId: 'item',
        status: 'exploded',
        webhookCode: null,
        eventId: null,
        changeKey: 'k',
      }),
    ).toContain('/status')
  })
})
