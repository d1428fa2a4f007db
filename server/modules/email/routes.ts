import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { memberSessionOf, requireRole } from '../auth/session-guard.ts'
import type { Outbox } from './outbox.ts'

export const OutboxResponseSchema = Type.Object({
  /** Whether messages are e-mailed (SMTP configured) or only kept here. */
  delivering: Type.Boolean(),
  messages: Type.Array(
    Type.Object({
      id: Type.String(),
      to: Type.String(),
      subject: Type.String(),
      /** The plain-text body; null once the SMTP server took the message. */
      text: Type.Union([Type.String(), Type.Null()]),
      created_at: Type.String(),
      sent_at: Type.Union([Type.String(), Type.Null()]),
      status: Type.Union([
        Type.Literal('stored'),
        Type.Literal('sending'),
        Type.Literal('sent'),
        Type.Literal('failed'),
      ]),
    }),
  ),
})

export const outboxRoutes: FastifyPluginAsyncTypebox<{ outbox: Outbox }> = async (app, { outbox }) => {
  app.get(
    '/api/admin/outbox',
    { onRequest: requireRole('admin'), schema: { response: { 200: OutboxResponseSchema } } },
    async (request, reply) => {
      // Undelivered messages carry live links: never cached.
      reply.header('cache-control', 'no-store')
      return {
        delivering: outbox.isDelivering,
        messages: await outbox.list(memberSessionOf(request).workspace.id),
      }
    },
  )
}
