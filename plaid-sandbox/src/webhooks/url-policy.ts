import type { WebhookUrlPolicy } from '../core/context.ts'

/** Whether the sandbox may POST to this URL. */
export function isWebhookUrlAllowed(policy: WebhookUrlPolicy, value: string): boolean {
  if (policy.allowedOrigins === null) return true
  return URL.canParse(value) && policy.allowedOrigins.has(new URL(value).origin)
}

/** Origins as URL.origin spells them (lower-case host, no default port); throws on a bad entry. */
export function webhookUrlPolicy(allowedOrigins: readonly string[] | undefined): WebhookUrlPolicy {
  if (allowedOrigins === undefined) return { allowedOrigins: null }
  return {
    allowedOrigins: new Set(
      allowedOrigins.map((origin) => {
        const url = URL.canParse(origin) ? new URL(origin) : null
        if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
          throw new TypeError(`allowedWebhookOrigins: "${origin}" is not an http(s) origin`)
        }
        return url.origin
      }),
    ),
  }
}
