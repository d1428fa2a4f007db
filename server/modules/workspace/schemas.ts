import Type from 'typebox'
import { Text } from '../../http/text.ts'

const EnvironmentSchema = Type.Union([
  Type.Literal('emulator'),
  Type.Literal('sandbox'),
  Type.Literal('production'),
])

export const PlaidSettingsUpdateSchema = Type.Object(
  {
    environment: Type.Optional(EnvironmentSchema),
    client_id: Type.Optional(
      Type.Union([Text({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }), Type.Null()]),
    ),
    /** Write-only: a new secret, or null to remove the stored one. */
    secret: Type.Optional(Type.Union([Text({ minLength: 1, maxLength: 200 }), Type.Null()])),
    webhook_base_url: Type.Optional(
      Type.Union([Text({ maxLength: 500, pattern: '^https?://[^\\s]+$' }), Type.Null()]),
    ),
    /** The redirect URI registered with Plaid for OAuth banks: https, no query or fragment; null clears. */
    oauth_redirect_uri: Type.Optional(
      Type.Union([Text({ maxLength: 500, pattern: '^https://[^\\s?#]+$' }), Type.Null()]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const PlaidSettingsViewSchema = Type.Object({
  environment: EnvironmentSchema,
  client_id: Type.Union([Type.String(), Type.Null()]),
  secret_set: Type.Boolean(),
  webhook_base_url: Type.String(),
  oauth_redirect_uri: Type.Union([Type.String(), Type.Null()]),
  encryption: Type.Object({
    configured: Type.Boolean(),
    active_key_id: Type.Union([Type.String(), Type.Null()]),
    problem: Type.Union([Type.String(), Type.Null()]),
  }),
  updated_at: Type.Union([Type.String(), Type.Null()]),
  updated_by: Type.Union([Type.String(), Type.Null()]),
})
