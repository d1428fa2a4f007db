import type { ApiExchange } from '../../api/client.ts'
import { StatusBadge } from '../../components/status-badge.tsx'
import { maskTokensIn } from './mask-tokens.ts'

/** One request and its response as the lab shows them: method, path, status and both bodies, tokens masked. */
export function ExchangeView({ exchange }: { exchange: ApiExchange }) {
  return (
    <div className="exchange">
      <p className="exchange__line">
        <span className="exchange__method">{exchange.method}</span>
        <code className="exchange__path">{exchange.path}</code>
        <StatusBadge tone={exchange.ok ? 'success' : 'danger'}>HTTP {exchange.status}</StatusBadge>
      </p>
      <div className="exchange__bodies">
        <JsonBlock caption="Request" value={exchange.requestBody} />
        <JsonBlock caption="Response" value={exchange.responseBody} />
      </div>
    </div>
  )
}

function JsonBlock({ caption, value }: { caption: string; value: unknown }) {
  return (
    <figure className="json-block">
      <figcaption>{caption}</figcaption>
      <pre>
        {value === undefined || value === null ? '(no body)' : JSON.stringify(maskTokensIn(value), null, 2)}
      </pre>
    </figure>
  )
}
