import { useEffect, useState } from 'react'

/**
 * Whether the sealed PDF at `url` can be downloaded yet. Sealing is a background job that runs once
 * the last signer signs, so the page asks (HEAD) every few seconds until it answers 200, for up to
 * about five minutes.
 */
export function useSealedPdf(url: string, enabled: boolean): 'waiting' | 'ready' | 'unavailable' {
  const [state, setState] = useState<'waiting' | 'ready' | 'unavailable'>('waiting')
  useEffect(() => {
    if (!enabled) return
    let isCurrent = true
    let timer: ReturnType<typeof setTimeout> | undefined
    let attempts = 0
    const check = async () => {
      attempts += 1
      const response = await fetch(url, { method: 'HEAD', credentials: 'same-origin' }).catch(() => null)
      if (!isCurrent) return
      if (response?.ok) {
        setState('ready')
        return
      }
      if (attempts >= 150) {
        setState('unavailable')
        return
      }
      timer = setTimeout(check, attempts < 10 ? 1000 : 3000)
    }
    void check()
    return () => {
      isCurrent = false
      clearTimeout(timer)
    }
  }, [url, enabled])
  return state
}
