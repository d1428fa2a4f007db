import Type from 'typebox'
import { ITEM_STATUSES, PLAID_ENVIRONMENTS } from '../../../db/schema.ts'
import { Text } from '../../http/text.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()])
const Environment = Type.Enum(PLAID_ENVIRONMENTS)
/** A linked Item's status; a removed Item is not shown as linked. */
const LinkedItemStatus = Type.Enum(
  ITEM_STATUSES.filter((status) => status !== 'removed') as Exclude<
    (typeof ITEM_STATUSES)[number],
    'removed'
  >[],
)
const ShortText = (maxLength: number, pattern?: string) =>
  Nullable(Text({ maxLength, ...(pattern ? { pattern } : {}) }))

export const LinkTokenBodySchema = Type.Object(
  { mode: Type.Optional(Type.Union([Type.Literal('create'), Type.Literal('update')])) },
  { additionalProperties: false },
)

export const LinkTokenResponseSchema = Type.Object({
  link_token: Type.String(),
  expiration: Type.String(),
  environment: Environment,
  mode: Type.Union([Type.Literal('create'), Type.Literal('update')]),
  persist_ready: Type.Boolean(),
})

export const OAuthResumeResponseSchema = Type.Object({
  link_token: Type.String(),
  mode: Type.Union([Type.Literal('create'), Type.Literal('update')]),
  environment: Environment,
  /** The page the principal links banks on: the lab for members, the signing page for signers. */
  return_to: Type.String(),
})

/** Plaid's public tokens are `public-<environment>-<uuid>`; anything else never reaches Plaid. */
export const PUBLIC_TOKEN_PATTERN = '^public-(sandbox|development|production)-[A-Za-z0-9-]{8,200}$'

export const ExchangeBodySchema = Type.Object(
  { public_token: Text({ minLength: 1, maxLength: 256, pattern: PUBLIC_TOKEN_PATTERN }) },
  { additionalProperties: false },
)

export const ExchangeResponseSchema = Type.Object({
  item_id: Type.String(),
  institution_id: Nullable(Type.String()),
  persisted: Type.Boolean(),
  persist_hint: Nullable(Type.String()),
})

const AccountSchema = Type.Object({
  account_id: Type.String(),
  name: Type.String(),
  mask: Nullable(Type.String()),
  type: Type.String(),
  subtype: Nullable(Type.String()),
  verification_status: Nullable(Type.String()),
})

export const StatusResponseSchema = Type.Object({
  connected: Type.Boolean(),
  environment: Environment,
  item: Nullable(
    Type.Object({
      item_id: Type.String(),
      institution_id: Nullable(Type.String()),
      institution_name: Nullable(Type.String()),
      status: LinkedItemStatus,
      accounts: Type.Array(AccountSchema),
      consent_expires_at: Nullable(Type.String({ format: 'date-time' })),
      linked_at: Type.String(),
      updated_at: Type.String(),
    }),
  ),
  action: Nullable(Type.Union([Type.Literal('link'), Type.Literal('update')])),
})

// Identifiers and names only: a value shaped like a Plaid token is rejected, so a buggy client
// cannot park a public or access token in the support table.
const NOT_A_TOKEN = '^(?!(public|access|link)-(sandbox|development|production)-)[\\w .:/-]*$'

export const LinkEventsBodySchema = Type.Object(
  {
    events: Type.Array(
      Type.Object(
        {
          type: Type.Union([Type.Literal('event'), Type.Literal('exit')]),
          event_name: Type.Optional(ShortText(64, '^[A-Z0-9_]*$')),
          view_name: Type.Optional(ShortText(64, '^[A-Z0-9_]*$')),
          link_session_id: Type.Optional(ShortText(64, NOT_A_TOKEN)),
          request_id: Type.Optional(ShortText(64, NOT_A_TOKEN)),
          error_type: Type.Optional(ShortText(64, '^[A-Z0-9_]*$')),
          error_code: Type.Optional(ShortText(64, '^[A-Z0-9_]*$')),
          institution_id: Type.Optional(ShortText(64, '^[\\w-]*$')),
          exit_status: Type.Optional(ShortText(64, '^[a-z_]*$')),
          timestamp: Type.Optional(ShortText(40, '^\\d{4}-\\d{2}-\\d{2}T[\\d:.]+(Z|[+-]\\d{2}:\\d{2})$')),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
  },
  { additionalProperties: false },
)

export const SIMULATED_WEBHOOK_CODES = [
  'NEW_ACCOUNTS_AVAILABLE',
  'PENDING_DISCONNECT',
  'USER_PERMISSION_REVOKED',
  'USER_ACCOUNT_REVOKED',
  'LOGIN_REPAIRED',
  'DEFAULT_UPDATE',
] as const

export const FireWebhookBodySchema = Type.Object(
  { webhook_code: Type.Union(SIMULATED_WEBHOOK_CODES.map((code) => Type.Literal(code))) },
  { additionalProperties: false },
)

export const SetVerificationStatusBodySchema = Type.Object(
  {
    account_id: Text({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
    verification_status: Type.Union([
      Type.Literal('automatically_verified'),
      Type.Literal('verification_expired'),
    ]),
  },
  { additionalProperties: false },
)

export const AuthMasksResponseSchema = Type.Object({
  accounts: Type.Array(
    Type.Object({
      account_id: Type.String(),
      account_mask: Type.String(),
      routing_mask: Type.String(),
      wire_routing_mask: Nullable(Type.String()),
      is_tokenized_account_number: Nullable(Type.Boolean()),
      verification_status: Nullable(Type.String()),
    }),
  ),
  /** Plaid's answer when it has no numbers yet: PRODUCT_NOT_READY while a micro-deposit is pending. */
  error_code: Nullable(Type.String()),
})

export const UnlinkResponseSchema = Type.Object({
  /** False when there was no Item to unlink. */
  removed: Type.Boolean(),
})

export const LinkEventsResponseSchema = Type.Object({ accepted: Type.Integer() })

const NullableText = Type.Union([Type.String(), Type.Null()])

/** The principal's stored Link callbacks in the active environment, oldest first (the lab's timeline). */
export const StoredLinkEventsResponseSchema = Type.Object({
  events: Type.Array(
    Type.Object({
      type: Type.Union([Type.Literal('event'), Type.Literal('exit')]),
      event_name: NullableText,
      view_name: NullableText,
      link_session_id: NullableText,
      request_id: NullableText,
      error_type: NullableText,
      error_code: NullableText,
      institution_id: NullableText,
      exit_status: NullableText,
      timestamp: Type.String({ format: 'date-time' }),
    }),
  ),
})

/** The sandbox simulations answer only that Plaid took the request. */
export const OkSchema = Type.Object({ ok: Type.Literal(true) })
