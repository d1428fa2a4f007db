import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { memberSessionOf, requireRole } from '../auth/session-guard.ts'
import { PlaidSettingsUpdateSchema, PlaidSettingsViewSchema } from './schemas.ts'
import type { WorkspaceSettingsService } from './service.ts'

export const workspaceRoutes: FastifyPluginAsyncTypebox<{ settings: WorkspaceSettingsService }> = async (
  app,
  { settings },
) => {
  app.get(
    '/api/admin/plaid-settings',
    { onRequest: requireRole('admin'), schema: { response: { 200: PlaidSettingsViewSchema } } },
    async (request) => settings.getPlaidSettings(memberSessionOf(request).workspace.id),
  )

  app.put(
    '/api/admin/plaid-settings',
    {
      onRequest: requireRole('admin'),
      schema: { body: PlaidSettingsUpdateSchema, response: { 200: PlaidSettingsViewSchema } },
    },
    async (request) =>
      settings.updatePlaidSettings(memberSessionOf(request), request.body, {
        ipAddress: request.ip,
        userAgent: request.headers['user-agent'] ?? null,
      }),
  )
}
