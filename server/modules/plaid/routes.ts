import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { originOf } from '../../http/request-origin.ts'
import { requireSession, sessionOf } from '../auth/session-guard.ts'
import {
  AuthMasksResponseSchema,
  ExchangeBodySchema,
  ExchangeResponseSchema,
  FireWebhookBodySchema,
  LinkEventsBodySchema,
  LinkEventsResponseSchema,
  LinkTokenBodySchema,
  LinkTokenResponseSchema,
  OAuthResumeResponseSchema,
  OkSchema,
  SetVerificationStatusBodySchema,
  StatusResponseSchema,
  StoredLinkEventsResponseSchema,
  UnlinkResponseSchema,
} from './schemas.ts'
import type { BankLinkingService, StatusResult } from './service.ts'
import type { StatusCache } from './status-cache.ts'

export type PlaidRoutesOptions = {
  bankLinking: BankLinkingService
  statusCache: StatusCache<StatusResult>
  linkTokensPerMinute: number
}

export const plaidRoutes: FastifyPluginAsyncTypebox<PlaidRoutesOptions> = async (app, options) => {
  const { bankLinking, statusCache } = options
  // Every /api/plaid route needs a session, checked before the body is even parsed.
  app.addHook('onRequest', requireSession)

  app.post(
    '/api/plaid/link-token',
    {
      // `curl -X POST` with no body asks for a normal link token.
      preValidation: async (request) => {
        request.body ??= {}
      },
      schema: { body: LinkTokenBodySchema, response: { 200: LinkTokenResponseSchema } },
      config: {
        rateLimit: {
          max: options.linkTokensPerMinute,
          timeWindow: 60_000,
          hook: 'preHandler',
          keyGenerator: (request) => {
            const session = sessionOf(request)
            return `link-token:${session.principal === 'member' ? session.user.id : session.signer.id}`
          },
        },
      },
    },
    async (request) => bankLinking.createLinkToken(sessionOf(request), { mode: request.body.mode }),
  )

  app.post(
    '/api/plaid/exchange',
    { schema: { body: ExchangeBodySchema, response: { 200: ExchangeResponseSchema } } },
    async (request) =>
      bankLinking.exchangePublicToken(sessionOf(request), request.body.public_token, originOf(request)),
  )

  app.get('/api/plaid/status', { schema: { response: { 200: StatusResponseSchema } } }, async (request) => {
    const session = sessionOf(request)
    return statusCache.read(session, () => bankLinking.getStatus(session))
  })

  app.post(
    '/api/plaid/accounts/refresh',
    { schema: { response: { 200: StatusResponseSchema } } },
    async (request) => bankLinking.refreshAccounts(sessionOf(request), originOf(request)),
  )

  app.get(
    '/api/plaid/auth-numbers',
    { schema: { response: { 200: AuthMasksResponseSchema } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      return bankLinking.getAuthMasks(sessionOf(request))
    },
  )

  app.get(
    '/api/plaid/oauth-resume',
    { schema: { response: { 200: OAuthResumeResponseSchema } } },
    async (request, reply) => {
      // The answer carries a live link token: never cached, by the browser or anything in between.
      reply.header('cache-control', 'no-store')
      return bankLinking.getOAuthResume(sessionOf(request))
    },
  )

  app.delete('/api/plaid/item', { schema: { response: { 200: UnlinkResponseSchema } } }, async (request) =>
    bankLinking.unlink(sessionOf(request), originOf(request)),
  )

  app.get(
    '/api/plaid/link-events',
    { schema: { response: { 200: StoredLinkEventsResponseSchema } } },
    async (request) => bankLinking.listLinkEvents(sessionOf(request)),
  )

  app.post(
    '/api/plaid/link-events',
    { schema: { body: LinkEventsBodySchema, response: { 202: LinkEventsResponseSchema } } },
    async (request, reply) => {
      await bankLinking.recordLinkEvents(sessionOf(request), request.body.events)
      return reply.status(202).send({ accepted: request.body.events.length })
    },
  )

  app.post('/api/plaid/sandbox/reset-login', { schema: { response: { 200: OkSchema } } }, async (request) => {
    await bankLinking.simulate(sessionOf(request), { kind: 'reset_login' }, originOf(request))
    return { ok: true as const }
  })

  app.post(
    '/api/plaid/sandbox/fire-webhook',
    { schema: { body: FireWebhookBodySchema, response: { 200: OkSchema } } },
    async (request) => {
      await bankLinking.simulate(
        sessionOf(request),
        { kind: 'fire_webhook', webhookCode: request.body.webhook_code },
        originOf(request),
      )
      return { ok: true as const }
    },
  )

  app.post(
    '/api/plaid/sandbox/set-verification-status',
    { schema: { body: SetVerificationStatusBodySchema, response: { 200: OkSchema } } },
    async (request) => {
      await bankLinking.simulate(
        sessionOf(request),
        {
          kind: 'set_verification_status',
          accountId: request.body.account_id,
          status: request.body.verification_status,
        },
        originOf(request),
      )
      return { ok: true as const }
    },
  )
}
