import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Rejects state-changing requests that a browser sent from another site, on top of SameSite=Lax
 * cookies. Requests without Origin and Sec-Fetch-Site (curl, server-to-server, Plaid's webhooks) are
 * not browser cross-site requests and pass, so the `curl -H "Cookie: …"` usage of the docs works.
 */
export function registerOriginCheck(app: FastifyInstance, options: { publicUrl: string }): void {
  const trustedOrigin = new URL(options.publicUrl).origin
  app.addHook('onRequest', async (request) => {
    if (SAFE_METHODS.has(request.method)) return
    const fetchSite = request.headers['sec-fetch-site']
    if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
      throw new AppError('CROSS_SITE_REQUEST', 'Cross-site requests cannot change state.')
    }
    const origin = request.headers.origin
    if (origin !== undefined && origin !== trustedOrigin && origin !== requestOrigin(request)) {
      throw new AppError('CROSS_SITE_REQUEST', 'Cross-site requests cannot change state.')
    }
  })
}

// The browser's own origin for this request, so http://localhost:3000 works as well as 127.0.0.1.
function requestOrigin(request: { protocol: string; host: string }): string {
  return `${request.protocol}://${request.host}`
}
