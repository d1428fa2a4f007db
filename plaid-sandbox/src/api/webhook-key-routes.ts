import type { FastifyInstance } from 'fastify'
import { type PlaidRequest, RequestSchemas } from '../schemas/plaid-requests.ts'
import { plaidEndpoint, type RouteDependencies } from './route-support.ts'

export function registerWebhookKeyRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  plaidEndpoint<PlaidRequest<'/webhook_verification_key/get'>>(
    app,
    deps,
    '/webhook_verification_key/get',
    RequestSchemas['/webhook_verification_key/get'],
    (body) => ({ key: deps.keys.publicJwk(body.key_id) }),
  )
}
