import type { FastifyInstance } from 'fastify'
import {
  exchangePublicToken,
  itemForAccessToken,
  itemStatusView,
  itemView,
  removeItem,
  rotateAccessToken,
  updateItemWebhook,
} from '../core/items.ts'
import { assertWebhookUrl } from '../core/link-tokens.ts'
import { type PlaidRequest, RequestSchemas } from '../schemas/plaid-requests.ts'
import { plaidEndpoint, type RouteDependencies } from './route-support.ts'

export function registerItemRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  const { ctx } = deps
  plaidEndpoint<PlaidRequest<'/item/public_token/exchange'>>(
    app,
    deps,
    '/item/public_token/exchange',
    RequestSchemas['/item/public_token/exchange'],
    (body, { clientId }) => {
      const { accessToken, itemId } = exchangePublicToken(ctx, clientId, body.public_token)
      return { access_token: accessToken, item_id: itemId }
    },
  )

  // An Item that needs its user again still answers here, with item.error filled in.
  plaidEndpoint<PlaidRequest<'/item/get'>>(
    app,
    deps,
    '/item/get',
    RequestSchemas['/item/get'],
    (body, { clientId }) => {
      const item = itemForAccessToken(ctx, clientId, body.access_token)
      return { item: itemView(ctx, item), status: itemStatusView(item) }
    },
  )

  plaidEndpoint<PlaidRequest<'/item/remove'>>(
    app,
    deps,
    '/item/remove',
    RequestSchemas['/item/remove'],
    (body, { clientId }) => {
      removeItem(ctx, itemForAccessToken(ctx, clientId, body.access_token))
      return {}
    },
  )

  plaidEndpoint<PlaidRequest<'/item/webhook/update'>>(
    app,
    deps,
    '/item/webhook/update',
    RequestSchemas['/item/webhook/update'],
    (body, { clientId }) => {
      const item = itemForAccessToken(ctx, clientId, body.access_token)
      const webhook = body.webhook ?? null
      if (webhook !== null) assertWebhookUrl(ctx, webhook)
      updateItemWebhook(ctx, item, webhook)
      return { item: itemView(ctx, item) }
    },
  )

  plaidEndpoint<PlaidRequest<'/item/access_token/invalidate'>>(
    app,
    deps,
    '/item/access_token/invalidate',
    RequestSchemas['/item/access_token/invalidate'],
    (body, { clientId }) => {
      const item = itemForAccessToken(ctx, clientId, body.access_token)
      return { new_access_token: rotateAccessToken(ctx, item, body.access_token) }
    },
  )
}
