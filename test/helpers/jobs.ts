import type { QueueName } from '../../server/jobs/queue.ts'

/** The queues through which signing hears about Item changes (payout alerts, trails, notifications). */
export const ITEM_CHANGE_QUEUES: QueueName[] = [
  'plaid-item-status-changed',
  'plaid-item-event-applied',
  'plaid-item-rechecked',
  'plaid-item-retired',
  'plaid-accounts-verification-changed',
  'payout-alert-notify',
]

type SqlRunner = { executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }> }

/**
 * Waits until no job of `queues` is waiting, retrying or running: what those jobs do has happened
 * (or failed for good). Jobs a handler queues meanwhile are waited for too.
 */
export async function jobsSettled(
  database: SqlRunner,
  queues: QueueName[] = ITEM_CHANGE_QUEUES,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const { rows } = await database.executeSql(
      `select count(*)::int as pending from pgboss.job
        where name = any($1) and state in ('created', 'retry', 'active')`,
      [queues],
    )
    if ((rows[0] as { pending: number }).pending === 0) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for the jobs of ${queues.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
