import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError, apiErrorFrom } from '../../api/client.ts'
import { type LinkEventReport, plaidApi } from '../../api/plaid.ts'

// Link delivers most events in one burst when it closes; a short delay turns the burst into one request.
const BATCH_DELAY_MS = 250
// The server accepts at most this many events per request.
const MAX_EVENTS_PER_REQUEST = 50

/**
 * Sends Link callbacks to Safeclose for support, batched. Returns `report` and the last problem, if
 * storing failed, so the lab can say so instead of failing silently.
 */
export function useLinkEventReporter(): { report(event: LinkEventReport): void; problem: string | null } {
  const queue = useRef<LinkEventReport[]>([])
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  const flush = useCallback(async () => {
    timer.current = null
    const events = queue.current.splice(0, MAX_EVENTS_PER_REQUEST)
    if (events.length === 0) return
    if (queue.current.length > 0) timer.current = setTimeout(flush, 0)
    try {
      const exchange = await plaidApi.reportLinkEvents(events)
      setProblem(
        exchange.ok
          ? null
          : `Safeclose did not store ${events.length} Link events: ${apiErrorFrom(exchange).message}`,
      )
    } catch (error) {
      if (!(error instanceof ApiError)) throw error
      setProblem(`Safeclose did not store ${events.length} Link events: ${error.message}`)
    }
  }, [])

  const report = useCallback(
    (event: LinkEventReport) => {
      queue.current.push(event)
      timer.current ??= setTimeout(flush, BATCH_DELAY_MS)
    },
    [flush],
  )

  // Leaving the page must not drop the last burst.
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current)
      void flush()
    },
    [flush],
  )

  return { report, problem }
}
