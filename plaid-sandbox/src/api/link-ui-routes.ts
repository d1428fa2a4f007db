import type { FastifyInstance } from 'fastify'
import { submitNumbers, verifyInstantDepositCode } from '../core/instant-microdeposits.ts'
import {
  recordLinkEvent,
  startLinkSession,
  submitAccounts,
  submitCredentials,
  submitMfa,
} from '../core/link-sessions.ts'
import { requireLinkToken } from '../core/link-tokens.ts'
import { verifyMicrodepositCode } from '../core/microdeposits.ts'
import {
  bankPageDecide,
  bankPageSignIn,
  bankPageState,
  completeOAuthPopup,
  resumeLinkSession,
  startOAuth,
} from '../core/oauth.ts'
import { searchInstitutions } from '../fixtures/institutions.ts'
import { type LinkUiRequest, LinkUiRequestSchemas } from '../schemas/link-ui-requests.ts'
import { linkUiEndpoint, type RouteDependencies } from './route-support.ts'

export const LINK_UI_API_PREFIX = '/link/v2/stable/api'

/** The private JSON API the emulated Link iframe talks to (contract: README, "Link UI protocol"). */
export function registerLinkUiRoutes(app: FastifyInstance, deps: RouteDependencies): void {
  const { ctx } = deps
  const route = <P extends keyof typeof LinkUiRequestSchemas>(
    path: P,
    handler: (body: LinkUiRequest<P>) => Record<string, unknown>,
  ) =>
    linkUiEndpoint<LinkUiRequest<P>>(
      app,
      deps,
      `${LINK_UI_API_PREFIX}/${path}`,
      LinkUiRequestSchemas[path],
      handler,
    )

  route('session/start', (body) =>
    body.received_redirect_uri === undefined
      ? startLinkSession(ctx, body.link_token)
      : resumeLinkSession(ctx, body.link_token, body.received_redirect_uri),
  )

  route('institutions/search', (body) => {
    const token = requireLinkToken(ctx, body.link_token)
    const institutions = searchInstitutions(body.query ?? '', token.countryCodes, token.products)
    return {
      institutions: institutions.map((institution) => ({
        institution_id: institution.institution_id,
        name: institution.name,
        url: institution.url,
        primary_color: institution.primary_color,
        oauth: institution.oauth,
        logo: null,
        routing_numbers: [],
      })),
    }
  })

  route('credentials/submit', (body) =>
    submitCredentials(ctx, body.link_token, body.link_session_id, {
      institutionId: body.institution_id,
      username: body.username,
      password: body.password,
    }),
  )

  route('mfa/submit', (body) => submitMfa(ctx, body.link_token, body.link_session_id, body.answers))

  route('accounts/submit', (body) =>
    submitAccounts(ctx, body.link_token, body.link_session_id, body.account_ids),
  )

  // Same-Day, or Instant Micro-deposits when the routing number receives real-time payments.
  route('numbers/submit', (body) =>
    submitNumbers(ctx, body.link_token, body.link_session_id, {
      routing: body.routing_number,
      account: body.account_number,
      name: body.name ?? null,
      subtype: body.account_subtype,
    }),
  )

  route('microdeposits/verify', (body) =>
    verifyMicrodepositCode(ctx, body.link_token, body.link_session_id, body.code),
  )

  route('instant-microdeposits/verify', (body) =>
    verifyInstantDepositCode(ctx, body.link_token, body.link_session_id, body.code),
  )

  route('oauth/start', (body) =>
    startOAuth(ctx, body.link_token, body.link_session_id, {
      institutionId: body.institution_id,
      mode: body.mode,
    }),
  )

  route('oauth/complete', (body) => ({
    ...completeOAuthPopup(ctx, body.link_token, body.link_session_id, body.oauth_state_id),
  }))

  route('oauth/bank/state', (body) => bankPageState(ctx, body.oauth_state_id))

  route('oauth/bank/sign-in', (body) =>
    bankPageSignIn(ctx, body.oauth_state_id, { username: body.username, password: body.password }),
  )

  route('oauth/bank/decide', (body) =>
    bankPageDecide(ctx, body.oauth_state_id, {
      approve: body.decision === 'approve',
      accountIds: body.account_ids ?? [],
    }),
  )

  route('events', (body) => {
    recordLinkEvent(ctx, body.link_token, body.link_session_id, {
      eventName: body.event_name,
      viewName: body.view_name ?? null,
    })
    return {}
  })
}
