import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { memberSessionOf, requireRole } from '../auth/session-guard.ts'
import type { AuditService } from './service.ts'

const SHOWN_EVENTS = 200

export const WorkspaceAuditSchema = Type.Object({
  verification: Type.Object({
    is_valid: Type.Boolean(),
    event_count: Type.Integer(),
    first_broken_sequence: Type.Union([Type.Integer(), Type.Null()]),
  }),
  /** The newest events first, at most 200. */
  events: Type.Array(
    Type.Object({
      sequence: Type.Integer(),
      action: Type.String(),
      occurred_at: Type.String(),
      actor: Type.Union([
        Type.Object({
          type: Type.Union([Type.Literal('member'), Type.Literal('signer')]),
          id: Type.String(),
          email: Type.Union([Type.String(), Type.Null()]),
        }),
        Type.Null(),
      ]),
      subject_type: Type.Union([Type.String(), Type.Null()]),
      subject_id: Type.Union([Type.String(), Type.Null()]),
      details: Type.Record(Type.String(), Type.Unknown()),
      ip_address: Type.Union([Type.String(), Type.Null()]),
      hash: Type.String(),
    }),
  ),
})

/** The workspace's own hash-chained audit log: sign-ins, members, settings, two-factor, webhooks. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (app, { audit }) => {
  app.get(
    '/api/admin/audit',
    { onRequest: requireRole('admin'), schema: { response: { 200: WorkspaceAuditSchema } } },
    async (request) => {
      const chainKey = `workspace:${memberSessionOf(request).workspace.id}`
      const [verification, events] = await Promise.all([
        audit.verifyChain(chainKey),
        audit.listRecent(chainKey, SHOWN_EVENTS),
      ])
      return {
        verification: {
          is_valid: verification.isValid,
          event_count: verification.eventCount,
          first_broken_sequence: verification.isValid ? null : verification.firstBrokenSequence,
        },
        events,
      }
    },
  )
}
