import { useEffect, useRef } from 'react'
import { useRevalidator } from 'react-router'

/**
 * While `waiting`, re-runs the route's loaders every second at first, then every 3 s,
 * for about five minutes; the page stops it by no longer waiting.
 */
export function useRevalidateWhile(waiting: boolean): void {
  const { revalidate } = useRevalidator()
  const latest = useRef(revalidate)
  latest.current = revalidate
  useEffect(() => {
    if (!waiting) return
    let timer: ReturnType<typeof setTimeout> | undefined
    let attempts = 0
    let stopped = false
    const poll = () => {
      attempts += 1
      if (attempts > 110 || stopped) return
      timer = setTimeout(
        async () => {
          await latest.current().catch(() => undefined)
          poll()
        },
        attempts <= 10 ? 1000 : 3000,
      )
    }
    poll()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [waiting])
}
