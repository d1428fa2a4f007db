import type { FastifyInstance } from 'fastify'
import { isoTimestamp } from '../core/clock.ts'
import { createLinkToken, linkTokenGetView, requireLinkToken } from '../core/link-tokens.ts'
import { type PlaidRequest, RequestSchemas } from '../schemas/plaid-requests.ts'
import { plaidEndpoint, type RouteDependencies } from './route-support.ts'

export function registerLinkTokenRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  const { ctx } = deps
  plaidEndpoint<PlaidRequest<'/link/token/create'>>(
    app,
    deps,
    '/link/token/create',
    RequestSchemas['/link/token/create'],
    (body, { clientId }) => {
      const token = createLinkToken(ctx, clientId, body)
      return { link_token: token.linkToken, expiration: isoTimestamp(token.expiresAt) }
    },
  )

  plaidEndpoint<PlaidRequest<'/link/token/get'>>(
    app,
    deps,
    '/link/token/get',
    RequestSchemas['/link/token/get'],
    (body, { clientId }) => linkTokenGetView(ctx, requireLinkToken(ctx, body.link_token, clientId)),
  )
}
