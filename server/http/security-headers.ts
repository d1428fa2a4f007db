import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import helmet, { type HelmetOptions } from 'helmet'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route sends its own headers (the mounted Plaid sandbox stands in for Plaid's hosts). */
    securityHeaders?: false
  }
}

/**
 * The security headers every response starts with, decided by helmet from `options` once, at boot.
 * @fastify/helmet would run helmet's whole middleware chain, rebuilding the same policy strings,
 * on every request; here the chain runs once against a recorder and each response gets the frozen
 * result in one sync hook. HTML pages replace the Content-Security-Policy with their own, with a
 * nonce (web-app.ts); PDFs likewise (pdf-response.ts).
 */
export function securityHeadersOf(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: string | number) {
      headers[name.toLowerCase()] = String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error
  })
  return Object.freeze(headers)
}

export function registerSecurityHeaders(app: FastifyInstance, options: HelmetOptions): void {
  const headers = securityHeadersOf(options)
  app.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.config.securityHeaders !== false) reply.headers(headers)
    done()
  })
}
