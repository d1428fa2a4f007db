import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { AppError } from '../../errors.ts'
import { originOf } from '../../http/request-origin.ts'
import { NoContent } from '../../http/responses.ts'
import { SessionResponseSchema } from '../auth/schemas.ts'
import { memberSessionOf, requireRole, setSessionCookie, toSessionResponse } from '../auth/session-guard.ts'
import type { createBootstrap } from './bootstrap.ts'
import {
  AcceptBodySchema,
  ChangeRoleBodySchema,
  InvitationIdParamsSchema,
  InvitationPreviewSchema,
  InvitationTokenBodySchema,
  InviteBodySchema,
  InviteResponseSchema,
  MemberParamsSchema,
  MembersResponseSchema,
  SetupBodySchema,
  SetupTokenBodySchema,
} from './schemas.ts'
import type { MembersService } from './service.ts'

export type MembersRoutesOptions = {
  members: MembersService
  bootstrap: ReturnType<typeof createBootstrap>
  isSecureOrigin: boolean
  /** Invitation tokens tried per minute and address: a token is long, but guessing is still limited. */
  acceptsPerMinute: number
}

export const membersRoutes: FastifyPluginAsyncTypebox<MembersRoutesOptions> = async (app, options) => {
  const { members } = options
  const admins = requireRole('admin')

  app.get(
    '/api/admin/members',
    { onRequest: admins, schema: { response: { 200: MembersResponseSchema } } },
    async (request) => members.list(memberSessionOf(request)),
  )

  app.post(
    '/api/admin/members/invitations',
    { onRequest: admins, schema: { body: InviteBodySchema, response: { 201: InviteResponseSchema } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      return reply
        .status(201)
        .send(await members.invite(memberSessionOf(request), request.body, originOf(request)))
    },
  )

  app.delete(
    '/api/admin/members/invitations/:id',
    { onRequest: admins, schema: { params: InvitationIdParamsSchema, response: { 204: NoContent } } },
    async (request, reply) => {
      await members.revoke(memberSessionOf(request), request.params.id, originOf(request))
      return reply.status(204).send()
    },
  )

  app.patch(
    '/api/admin/members/:userId',
    {
      onRequest: admins,
      schema: {
        params: MemberParamsSchema,
        body: ChangeRoleBodySchema,
        response: { 200: MembersResponseSchema },
      },
    },
    async (request) =>
      members.changeRole(
        memberSessionOf(request),
        request.params.userId,
        request.body.role,
        originOf(request),
      ),
  )

  app.delete(
    '/api/admin/members/:userId',
    { onRequest: admins, schema: { params: MemberParamsSchema, response: { 204: NoContent } } },
    async (request, reply) => {
      await members.remove(memberSessionOf(request), request.params.userId, originOf(request))
      return reply.status(204).send()
    },
  )

  const perAddress = {
    rateLimit: {
      max: options.acceptsPerMinute,
      timeWindow: 60_000,
      keyGenerator: (request: { ip: string }) => `invitation:${request.ip}`,
    },
  }

  // The token travels in the body, never in a URL the server logs.
  app.post(
    '/api/invitations/preview',
    {
      config: perAddress,
      schema: { body: InvitationTokenBodySchema, response: { 200: InvitationPreviewSchema } },
    },
    async (request) => members.preview(request.body.token),
  )

  app.post(
    '/api/invitations/accept',
    { config: perAddress, schema: { body: AcceptBodySchema, response: { 200: SessionResponseSchema } } },
    async (request, reply) => {
      const session = await app.loadOptionalSession(request)
      const opened = await members.accept(
        { token: request.body.token, name: request.body.name ?? '', password: request.body.password ?? null },
        originOf(request),
        session?.principal === 'member' ? session : null,
      )
      setSessionCookie(reply, opened, options.isSecureOrigin)
      return toSessionResponse(opened.session)
    },
  )

  // First run: the one-time link the server printed while no workspace exists.
  app.post(
    '/api/setup/preview',
    {
      config: perAddress,
      schema: { body: SetupTokenBodySchema, response: { 200: Type.Object({ ok: Type.Literal(true) }) } },
    },
    async (request) => {
      if (!(await options.bootstrap.isSetupLinkLive(request.body.token))) {
        throw new AppError(
          'LINK_EXPIRED',
          'This setup link was already used or is not valid. Sign in instead.',
        )
      }
      return { ok: true as const }
    },
  )

  app.post(
    '/api/setup',
    { config: perAddress, schema: { body: SetupBodySchema, response: { 200: SessionResponseSchema } } },
    async (request, reply) => {
      const opened = await options.bootstrap.completeSetup(request.body, originOf(request))
      setSessionCookie(reply, opened, options.isSecureOrigin)
      return toSessionResponse(opened.session)
    },
  )
}
