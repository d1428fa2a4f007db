import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Rejects state-changing requests that a browser sent from another site, on top of SameSite=Lax
 * cookies. Requests without Origin and Sec-Fetch-Site (curl, server-to-server, Plaid's webhooks) are
 * not browser cross-site requests and pass, so the `curl -H "Cookie: …"` usage of the docs works.
 *
 * The origins a browser may send come from configuration only (PUBLIC_URL, see `trustedOrigins` in
 * config.ts), never from the request: a Host header is whatever the client or a misconfigured proxy
 * says, so `Host: evil.example` with `Origin: http://evil.example` must not vouch for itself.
 */
export function registerOriginCheck(
  app: FastifyInstance,
  options: { trustedOrigins: readonly string[] },
): void {
  const trusted = new Set(options.trustedOrigins.map((origin) => new URL(origin).origin))
  // A callback hook, not an async one: every request passes here, most of them reads.
  app.addHook('onRequest', (request, _reply, done) => {
    if (SAFE_METHODS.has(request.method)) return done()
    const fetchSite = request.headers['sec-fetch-site']
    const origin = request.headers.origin
    const isCrossSite =
      fetchSite === 'cross-site' ||
      fetchSite === 'same-site' ||
      (origin !== undefined && !trusted.has(origin))
    done(
      isCrossSite
        ? new AppError('CROSS_SITE_REQUEST', 'Cross-site requests cannot change state.')
        : undefined,
    )
  })
}
