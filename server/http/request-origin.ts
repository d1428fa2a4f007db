import type { FastifyRequest } from 'fastify'
import type { RequestOrigin } from '../modules/auth/service.ts'

/** Where a request came from, for audit events: the client address and its user agent. */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { ipAddress: request.ip, userAgent: request.headers['user-agent'] ?? null }
}
