import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import type { DatabaseHandle } from '../../../db/client.ts'

/** Liveness says the process answers; readiness says it can serve (database up, schema current). */
export const LivenessSchema = Type.Object({ status: Type.Literal('ok') })
export const ReadinessSchema = Type.Object({
  status: Type.Literal('ready'),
  /** Which database answers: the embedded PGlite or a PostgreSQL server. */
  database: Type.String(),
})
const NotReadySchema = Type.Object({ status: Type.Literal('unavailable'), database: Type.String() })

export const healthRoutes: FastifyPluginAsyncTypebox<{ database: DatabaseHandle }> = async (
  app,
  { database },
) => {
  app.get('/healthz', { schema: { response: { 200: LivenessSchema } } }, async () => ({
    status: 'ok' as const,
  }))

  app.get(
    '/readyz',
    { schema: { response: { 200: ReadinessSchema, 503: NotReadySchema } } },
    async (_request, reply) => {
      const isMigrated = await database.isMigrated().catch(() => false)
      if (!isMigrated) {
        return reply
          .status(503)
          .send({ status: 'unavailable', database: 'unreachable or migrations pending' })
      }
      return { status: 'ready' as const, database: database.kind }
    },
  )
}
