import { useEffect, useRef } from 'react'
import { useRevalidator } from 'react-router'

/**
 * Sealing is a background job that runs once the last signer signs. While `waiting`, re-reads the
 * view with `load` (every second at first, then every 3 s, for about five minutes) and hands each
 * answer to `onLoaded`; the caller stops the polling by no longer waiting (the view has its `seal`).
 */
export function usePollUntilSealed<T>(
  waiting: boolean,
  load: (signal: AbortSignal) => Promise<T>,
  onLoaded: (data: T) => void,
): void {
  const latest = useRef({ load, onLoaded })
  latest.current = { load, onLoaded }
  useEffect(() => {
    if (!waiting) return
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    let attempts = 0
    const poll = () => {
      attempts += 1
      if (attempts > 110) return
      timer = setTimeout(
        async () => {
          try {
            latest.current.onLoaded(await latest.current.load(controller.signal))
          } catch {
            if (controller.signal.aborted) return
          }
          poll()
        },
        attempts <= 10 ? 1000 : 3000,
      )
    }
    poll()
    return () => {
      controller.abort()
      clearTimeout(timer)
    }
  }, [waiting])
}

/**
 * While `waiting`, re-runs the route's loaders on the same schedule as `usePollUntilSealed` (every
 * second at first, then every 3 s, for about five minutes); the page stops it by no longer waiting.
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
