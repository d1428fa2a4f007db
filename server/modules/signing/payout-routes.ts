import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { originOf } from '../../http/request-origin.ts'
import { memberSessionOf, requireRecentAuth, requireRole } from '../auth/session-guard.ts'
import type { SigningManagerService } from './manager-service.ts'
import type { PayoutService } from './payout-service.ts'
import {
  PackageDetailSchema,
  PayoutAlertParamsSchema,
  PayoutPolicyBodySchema,
  PayoutPolicySchema,
  ResolvePayoutAlertBodySchema,
  RevealResponseSchema,
  SignerParamsSchema,
} from './schemas.ts'

const managers = requireRole('admin', 'manager')

/** Payout numbers (reveal after re-authentication), payout alerts and the four-eyes policy (ADR 0017). */
export const payoutRoutes: FastifyPluginAsyncTypebox<{
  payout: PayoutService
  manager: SigningManagerService
}> = async (app, { payout, manager }) => {
  app.post(
    '/api/signings/:id/signers/:signerId/payout/reveal',
    {
      onRequest: [managers, requireRecentAuth],
      schema: { params: SignerParamsSchema, response: { 200: RevealResponseSchema } },
    },
    async (request, reply) => {
      const revealed = await payout.reveal(
        memberSessionOf(request),
        request.params.id,
        request.params.signerId,
        originOf(request),
      )
      return reply.header('cache-control', 'no-store').send(revealed)
    },
  )

  app.post(
    '/api/signings/:id/payout-alerts/:alertId/resolve',
    {
      onRequest: managers,
      schema: {
        params: PayoutAlertParamsSchema,
        body: ResolvePayoutAlertBodySchema,
        response: { 200: PackageDetailSchema },
      },
    },
    async (request) => {
      const session = memberSessionOf(request)
      await payout.resolve(
        session,
        request.params.id,
        request.params.alertId,
        request.body.note,
        originOf(request),
      )
      return manager.view(session, request.params.id)
    },
  )

  app.post(
    '/api/signings/:id/payout-alerts/:alertId/confirm',
    {
      onRequest: managers,
      schema: { params: PayoutAlertParamsSchema, response: { 200: PackageDetailSchema } },
    },
    async (request) => {
      const session = memberSessionOf(request)
      await payout.confirm(session, request.params.id, request.params.alertId, originOf(request))
      return manager.view(session, request.params.id)
    },
  )

  app.get(
    '/api/payout-settings',
    { onRequest: managers, schema: { response: { 200: PayoutPolicySchema } } },
    async (request) => payout.getPolicy(memberSessionOf(request)),
  )

  app.put(
    '/api/payout-settings',
    {
      onRequest: requireRole('admin'),
      schema: { body: PayoutPolicyBodySchema, response: { 200: PayoutPolicySchema } },
    },
    async (request) => payout.updatePolicy(memberSessionOf(request), request.body, originOf(request)),
  )
}
