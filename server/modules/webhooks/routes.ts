import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { WEBHOOK_PATH } from '../../http/paths.ts'
import { originOf } from '../../http/request-origin.ts'
import { memberSessionOf, requireRole } from '../auth/session-guard.ts'
import type { WebhookAdminService } from './admin-service.ts'
import type { WebhookReceiver } from './receiver.ts'
import {
  DeliveriesQuerySchema,
  DeliveriesViewSchema,
  ReconcileQueuedSchema,
  RedriveParamsSchema,
  RedriveResultSchema,
  WebhookReceiptSchema,
} from './schemas.ts'

/** Plaid's bodies are small; anything near this is not a Plaid webhook. */
export const WEBHOOK_BODY_LIMIT_BYTES = 64 * 1024

/**
 * POST /api/webhooks/plaid, public (Plaid's signature is the credential). Registered as its own
 * encapsulated plugin so that only this route swaps the JSON parser for one that keeps the exact
 * bytes: the signature covers those bytes, not a re-serialization.
 */
export const plaidWebhookRoute: FastifyPluginAsyncTypebox<{ receiver: WebhookReceiver }> = async (
  app,
  { receiver },
) => {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  )
  // Refusals before the handler (too large, wrong media type) count like verification failures.
  app.addHook('onError', async (_request, _reply, error) => {
    const code = (error as { code?: string }).code
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') await receiver.countRejection('body_too_large')
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') await receiver.countRejection('unsupported_media_type')
  })

  app.post(
    WEBHOOK_PATH,
    { bodyLimit: WEBHOOK_BODY_LIMIT_BYTES, schema: { response: { 200: WebhookReceiptSchema } } },
    async (request) => {
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      const signature = request.headers['plaid-verification']
      const receipt = await receiver.receive({
        rawBody,
        signature: Array.isArray(signature) ? undefined : signature,
      })
      return { received: true as const, ...receipt }
    },
  )
}

export const webhookAdminRoutes: FastifyPluginAsyncTypebox<{ admin: WebhookAdminService }> = async (
  app,
  { admin },
) => {
  app.get(
    '/api/admin/webhooks',
    {
      onRequest: requireRole('admin'),
      schema: { querystring: DeliveriesQuerySchema, response: { 200: DeliveriesViewSchema } },
    },
    async (request) =>
      admin.listDeliveries(memberSessionOf(request), {
        limit: Number(request.query.limit ?? 100),
        ...(request.query.state ? { state: request.query.state } : {}),
      }),
  )

  app.post(
    '/api/admin/webhooks/reconcile',
    { onRequest: requireRole('admin'), schema: { response: { 202: ReconcileQueuedSchema } } },
    async (request, reply) => reply.status(202).send(await admin.reconcileNow(memberSessionOf(request))),
  )

  app.post(
    '/api/admin/webhooks/:id/redrive',
    {
      onRequest: requireRole('admin'),
      schema: { params: RedriveParamsSchema, response: { 200: RedriveResultSchema } },
    },
    async (request) => admin.redrive(memberSessionOf(request), request.params.id, originOf(request)),
  )
}
