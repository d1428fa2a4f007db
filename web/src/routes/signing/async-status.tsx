import { Spinner } from '../../components/loading.tsx'
import { Notice } from '../../components/notice.tsx'
import type { AsyncState } from './use-async.ts'

/** What stands in for data that is not there: a spinner while it loads, the error if it failed. */
export function AsyncStatus<T>({
  state,
  loading,
  failed,
}: {
  state: AsyncState<T>
  loading: string
  failed: string
}) {
  if (state.phase === 'loading') return <Spinner label={loading} />
  if (state.phase === 'failed') {
    return (
      <Notice tone="error" title={failed}>
        {state.error.message}
      </Notice>
    )
  }
  return null
}
