import { sql } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import { rateLimitCounters } from '../../../db/schema.ts'

/**
 * Counts one hit in a fixed window and returns the count and the window start. One statement, so
 * concurrent hits from several app instances are counted exactly.
 */
export async function countHit(
  db: Queryable,
  key: string,
  windowMs: number,
): Promise<{ hits: number; windowStartedAt: Date }> {
  const windowInterval = `${windowMs} milliseconds`
  const rows = await db
    .insert(rateLimitCounters)
    .values({ key, windowStartedAt: sql`now()`, hits: 1 })
    .onConflictDoUpdate({
      target: rateLimitCounters.key,
      set: {
        hits: sql`case when ${rateLimitCounters.windowStartedAt} + ${windowInterval}::interval <= now() then 1 else ${rateLimitCounters.hits} + 1 end`,
        windowStartedAt: sql`case when ${rateLimitCounters.windowStartedAt} + ${windowInterval}::interval <= now() then now() else ${rateLimitCounters.windowStartedAt} end`,
      },
    })
    .returning({ hits: rateLimitCounters.hits, windowStartedAt: rateLimitCounters.windowStartedAt })
  return rows[0] as { hits: number; windowStartedAt: Date }
}

export async function deleteStaleCounters(db: Queryable, olderThan: Date): Promise<void> {
  await db.delete(rateLimitCounters).where(sql`${rateLimitCounters.windowStartedAt} < ${olderThan}`)
}
