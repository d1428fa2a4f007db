import type { FastifyInstance } from 'fastify'
import { newItemAccounts } from '../core/accounts.ts'
import { evaluateCredentials, SANDBOX_USERNAME } from '../core/credentials.ts'
import { createItem, forceLoginRequired, itemForAccessToken } from '../core/items.ts'
import { assertWebhookUrl } from '../core/link-tokens.ts'
import { setVerificationStatus } from '../core/products.ts'
import { fireSandboxWebhook } from '../core/sandbox-webhooks.ts'
import { plaidError } from '../errors.ts'
import { findInstitution, supportsProducts } from '../fixtures/institutions.ts'
import { type PlaidRequest, RequestSchemas } from '../schemas/plaid-requests.ts'
import { plaidEndpoint, type RouteDependencies } from './route-support.ts'

export function registerSandboxRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  const { ctx } = deps

  // Creates an Item without Link. Credentials that would ask for MFA succeed outright: nobody is
  // there to answer, and Plaid's own endpoint does the same.
  plaidEndpoint<PlaidRequest<'/sandbox/public_token/create'>>(
    app,
    deps,
    '/sandbox/public_token/create',
    RequestSchemas['/sandbox/public_token/create'],
    (body, { clientId }) => {
      const institution = findInstitution(body.institution_id)
      if (!institution) throw plaidError('INVALID_INSTITUTION')
      if (!supportsProducts(institution, body.initial_products)) {
        throw plaidError('PRODUCTS_NOT_SUPPORTED')
      }
      const webhook = body.options?.webhook ?? null
      if (webhook !== null) assertWebhookUrl(ctx, webhook)
      const outcome = evaluateCredentials(
        institution,
        body.options?.override_username ?? SANDBOX_USERNAME,
        body.options?.override_password ?? 'pass_good',
      )
      if (outcome.kind === 'error') throw outcome.error
      const authMethod = outcome.kind === 'linked' ? outcome.authMethod : 'INSTANT_AUTH'
      const { publicToken } = createItem(ctx, {
        clientId,
        institutionId: institution.institution_id,
        products: body.initial_products,
        webhook,
        accounts: newItemAccounts(body.initial_products, authMethod),
        authMethod,
      })
      return { public_token: publicToken }
    },
  )

  plaidEndpoint<PlaidRequest<'/sandbox/item/fire_webhook'>>(
    app,
    deps,
    '/sandbox/item/fire_webhook',
    RequestSchemas['/sandbox/item/fire_webhook'],
    (body, { clientId }) => {
      const item = itemForAccessToken(ctx, clientId, body.access_token)
      fireSandboxWebhook(ctx, item, body.webhook_code, body.webhook_type)
      return { webhook_fired: true }
    },
  )

  plaidEndpoint<PlaidRequest<'/sandbox/item/reset_login'>>(
    app,
    deps,
    '/sandbox/item/reset_login',
    RequestSchemas['/sandbox/item/reset_login'],
    (body, { clientId }) => {
      forceLoginRequired(ctx, itemForAccessToken(ctx, clientId, body.access_token))
      return { reset_login: true }
    },
  )

  plaidEndpoint<PlaidRequest<'/sandbox/item/set_verification_status'>>(
    app,
    deps,
    '/sandbox/item/set_verification_status',
    RequestSchemas['/sandbox/item/set_verification_status'],
    (body, { clientId }) => {
      const item = itemForAccessToken(ctx, clientId, body.access_token)
      setVerificationStatus(ctx, item, body.account_id, body.verification_status)
      return {}
    },
  )
}
