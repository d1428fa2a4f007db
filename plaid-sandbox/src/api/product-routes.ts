import type { FastifyInstance } from 'fastify'
import { accountView } from '../core/accounts.ts'
import { scoreIdentityMatch } from '../core/identity-match.ts'
import { itemView, selectAccounts, usableItemForAccessToken } from '../core/items.ts'
import { createProcessorToken } from '../core/microdeposits.ts'
import { authNumbers, ensureProduct, identityAccounts } from '../core/products.ts'
import { USER_GOOD_OWNER } from '../fixtures/identity.ts'
import { type PlaidRequest, RequestSchemas } from '../schemas/plaid-requests.ts'
import { plaidEndpoint, type RouteDependencies } from './route-support.ts'

/** Product endpoints answer ITEM_LOGIN_REQUIRED while the Item needs its user. */
export function registerProductRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  const { ctx } = deps

  plaidEndpoint<PlaidRequest<'/accounts/get'>>(
    app,
    deps,
    '/accounts/get',
    RequestSchemas['/accounts/get'],
    (body, { clientId }) => {
      const item = usableItemForAccessToken(ctx, clientId, body.access_token)
      const accounts = selectAccounts(item, body.options?.account_ids)
      return { accounts: accounts.map(accountView), item: itemView(ctx, item) }
    },
  )

  plaidEndpoint<PlaidRequest<'/auth/get'>>(
    app,
    deps,
    '/auth/get',
    RequestSchemas['/auth/get'],
    (body, { clientId }) => {
      const item = usableItemForAccessToken(ctx, clientId, body.access_token)
      const accounts = selectAccounts(item, body.options?.account_ids)
      ensureProduct(ctx, item, 'auth')
      const numbers = authNumbers(accounts)
      return { accounts: accounts.map(accountView), numbers, item: itemView(ctx, item) }
    },
  )

  plaidEndpoint<PlaidRequest<'/identity/get'>>(
    app,
    deps,
    '/identity/get',
    RequestSchemas['/identity/get'],
    (body, { clientId }) => {
      const item = usableItemForAccessToken(ctx, clientId, body.access_token)
      const accounts = selectAccounts(item, body.options?.account_ids)
      ensureProduct(ctx, item, 'identity')
      return { accounts: identityAccounts(accounts), item: itemView(ctx, item) }
    },
  )

  // A processor token stands for one verified account; the app never hands out the numbers.
  plaidEndpoint<PlaidRequest<'/processor/token/create'>>(
    app,
    deps,
    '/processor/token/create',
    RequestSchemas['/processor/token/create'],
    (body, { clientId }) => ({ processor_token: createProcessorToken(ctx, clientId, body) }),
  )

  // Balances are always null in /identity/match responses, as in Plaid's.
  plaidEndpoint<PlaidRequest<'/identity/match'>>(
    app,
    deps,
    '/identity/match',
    RequestSchemas['/identity/match'],
    (body, { clientId }) => {
      const item = usableItemForAccessToken(ctx, clientId, body.access_token)
      const accounts = selectAccounts(item, body.options?.account_ids)
      ensureProduct(ctx, item, 'identity_match')
      const scores = scoreIdentityMatch(body.user, [USER_GOOD_OWNER])
      return {
        accounts: accounts.map((account) => ({
          ...accountView(account),
          balances: {
            available: null,
            current: null,
            limit: null,
            iso_currency_code: null,
            unofficial_currency_code: null,
          },
          ...scores,
        })),
        item: itemView(ctx, item),
      }
    },
  )
}
