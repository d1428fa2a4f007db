import type { FastifyPluginAsync } from 'fastify'
import type { DatabaseHandle } from '../../../db/client.ts'

/** Liveness says the process answers; readiness says it can serve (database up, schema current). */
export const healthRoutes: FastifyPluginAsync<{ database: DatabaseHandle }> = async (app, { database }) => {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (_request, reply) => {
    const isMigrated = await database.isMigrated().catch(() => false)
    if (!isMigrated) {
      return reply.status(503).send({ status: 'unavailable', database: 'unreachable or migrations pending' })
    }
    return { status: 'ready', database: database.kind }
  })
}
