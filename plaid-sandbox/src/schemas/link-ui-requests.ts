import Type, { type Static } from 'typebox'

/** Requests of the private JSON API behind the emulated Link UI (see the README's Link protocol). */
const LinkToken = Type.String({ minLength: 1 })
const LinkSessionId = Type.String({ minLength: 1 })
const OAuthStateId = Type.String({ minLength: 1 })

export const LinkUiRequestSchemas = {
  'session/start': Type.Object(
    // Set when the app re-created Link with `receivedRedirectUri` after an OAuth redirect.
    { link_token: LinkToken, received_redirect_uri: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  'institutions/search': Type.Object(
    { link_token: LinkToken, query: Type.Optional(Type.String()) },
    { additionalProperties: false },
  ),
  'credentials/submit': Type.Object(
    {
      link_token: LinkToken,
      link_session_id: LinkSessionId,
      institution_id: Type.String({ minLength: 1 }),
      username: Type.String(),
      password: Type.String(),
    },
    { additionalProperties: false },
  ),
  'mfa/submit': Type.Object(
    { link_token: LinkToken, link_session_id: LinkSessionId, answers: Type.Array(Type.String()) },
    { additionalProperties: false },
  ),
  'accounts/submit': Type.Object(
    { link_token: LinkToken, link_session_id: LinkSessionId, account_ids: Type.Array(Type.String()) },
    { additionalProperties: false },
  ),
  // Same-Day or Instant Micro-deposits: the numbers typed on the NUMBERS pane.
  'numbers/submit': Type.Object(
    {
      link_token: LinkToken,
      link_session_id: LinkSessionId,
      routing_number: Type.String(),
      account_number: Type.String(),
      name: Type.Optional(Type.String()),
      account_subtype: Type.Union([Type.Literal('checking'), Type.Literal('savings')]),
    },
    { additionalProperties: false },
  ),
  // Update mode on a Same-Day Item: the code of the micro-deposit.
  'microdeposits/verify': Type.Object(
    { link_token: LinkToken, link_session_id: LinkSessionId, code: Type.String() },
    { additionalProperties: false },
  ),
  // Instant Micro-deposits: the code of the deposit sent earlier in the same session.
  'instant-microdeposits/verify': Type.Object(
    { link_token: LinkToken, link_session_id: LinkSessionId, code: Type.String() },
    { additionalProperties: false },
  ),
  'oauth/start': Type.Object(
    {
      link_token: LinkToken,
      link_session_id: LinkSessionId,
      institution_id: Type.String({ minLength: 1 }),
      mode: Type.Union([Type.Literal('popup'), Type.Literal('redirect')]),
    },
    { additionalProperties: false },
  ),
  'oauth/complete': Type.Object(
    { link_token: LinkToken, link_session_id: LinkSessionId, oauth_state_id: OAuthStateId },
    { additionalProperties: false },
  ),
  // The bank's consent page: the oauth_state_id is its only credential.
  'oauth/bank/state': Type.Object({ oauth_state_id: OAuthStateId }, { additionalProperties: false }),
  'oauth/bank/sign-in': Type.Object(
    { oauth_state_id: OAuthStateId, username: Type.String(), password: Type.String() },
    { additionalProperties: false },
  ),
  'oauth/bank/decide': Type.Object(
    {
      oauth_state_id: OAuthStateId,
      decision: Type.Union([Type.Literal('approve'), Type.Literal('cancel')]),
      account_ids: Type.Optional(Type.Array(Type.String())),
    },
    { additionalProperties: false },
  ),
  // Events carry whatever metadata the UI has at hand, so extra fields are welcome here.
  events: Type.Object(
    {
      link_token: LinkToken,
      link_session_id: LinkSessionId,
      event_name: Type.String({ minLength: 1 }),
      view_name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    },
    { additionalProperties: true },
  ),
}

export type LinkUiPath = keyof typeof LinkUiRequestSchemas
export type LinkUiRequest<P extends LinkUiPath> = Static<(typeof LinkUiRequestSchemas)[P]>
