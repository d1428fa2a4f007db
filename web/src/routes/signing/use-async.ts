import { useCallback, useEffect, useState } from 'react'
import { ApiError } from '../../api/client.ts'

export type AsyncState<T> =
  | { phase: 'loading' }
  | { phase: 'ready'; data: T }
  | { phase: 'failed'; error: ApiError }

/** Loads `load` on mount (and on `reload()`), aborting a request the page no longer needs. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: ReadonlyArray<unknown>) {
  const [state, setState] = useState<AsyncState<T>>({ phase: 'loading' })
  const [generation, setGeneration] = useState(0)

  // biome-ignore lint/correctness/useExhaustiveDependencies: `deps` names what `load` depends on
  useEffect(() => {
    const controller = new AbortController()
    load(controller.signal).then(
      (data) => setState({ phase: 'ready', data }),
      (error: unknown) => {
        if (controller.signal.aborted) return
        setState({ phase: 'failed', error: asApiError(error) })
      },
    )
    return () => controller.abort()
  }, [...deps, generation])

  const reload = useCallback(() => setGeneration((value) => value + 1), [])
  const replace = useCallback((data: T) => setState({ phase: 'ready', data }), [])
  return { state, reload, replace }
}

/** Runs one user action at a time, keeping its error for display. */
export function useAction() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = useCallback(async <T>(action: () => Promise<T>): Promise<T | null> => {
    setBusy(true)
    setError(null)
    try {
      return await action()
    } catch (caught) {
      setError(asApiError(caught).message)
      return null
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run, clearError: () => setError(null) }
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  throw error
}
