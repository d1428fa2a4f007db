import type { JobDefinition } from './registry.ts'

/** Hourly, at a minute no other schedule uses. */
export const HOUSEKEEPING_CRON = '17 * * * *'

export type HousekeepingTasks = {
  /** Sessions past their expiry: already refused at sign-in time, removed here so the table stays small. */
  deleteExpiredSessions(): Promise<number>
  /** Rate-limit windows that ended long ago. */
  deleteStaleRateLimitCounters(): Promise<void>
  /** Link tokens kept for an OAuth return that never came. */
  deleteExpiredLinkResumes(): Promise<number>
}

/** Runs every task; one failing task does not keep the others from running, and the job still fails. */
export async function runHousekeeping(tasks: HousekeepingTasks): Promise<{ expiredSessions: number }> {
  const [sessions, counters, resumes] = await Promise.allSettled([
    tasks.deleteExpiredSessions(),
    tasks.deleteStaleRateLimitCounters(),
    tasks.deleteExpiredLinkResumes(),
  ])
  for (const outcome of [sessions, counters, resumes]) if (outcome.status === 'rejected') throw outcome.reason
  return { expiredSessions: sessions.status === 'fulfilled' ? sessions.value : 0 }
}

/** The `housekeeping` queue: one job per hour (cron), no payload. */
export function housekeepingJob(tasks: HousekeepingTasks): JobDefinition<'housekeeping'> {
  return {
    handler: async () => {
      await runHousekeeping(tasks)
    },
    cron: HOUSEKEEPING_CRON,
  }
}
