import Type from 'typebox'
import { Text } from '../../http/text.ts'

const Email = Text({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' })
const Token = Text({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' })
const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('manager'), Type.Literal('signer')])

export const InvitationSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('manager')]),
  expires_at: Type.String(),
})

export const MembersResponseSchema = Type.Object({
  members: Type.Array(
    Type.Object({
      user_id: Type.String(),
      email: Type.String(),
      name: Type.String(),
      role: RoleSchema,
      two_factor_enabled: Type.Boolean(),
    }),
  ),
  invitations: Type.Array(InvitationSchema),
})

export const InviteBodySchema = Type.Object(
  { email: Email, role: Type.Union([Type.Literal('admin'), Type.Literal('manager')]) },
  { additionalProperties: false },
)

export const InviteResponseSchema = Type.Object({
  invitation: InvitationSchema,
  /** The link to hand over; null when it was e-mailed. */
  url: Type.Union([Type.String(), Type.Null()]),
})

export const InvitationIdParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) })
export const MemberParamsSchema = Type.Object({ userId: Type.String({ format: 'uuid' }) })

export const ChangeRoleBodySchema = Type.Object({ role: RoleSchema }, { additionalProperties: false })

export const InvitationTokenBodySchema = Type.Object({ token: Token }, { additionalProperties: false })

export const InvitationPreviewSchema = Type.Object({
  workspace_name: Type.String(),
  email: Type.String(),
  /** The name the inviter gave, if any, to prefill the form. */
  name: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('admin'), Type.Literal('manager')]),
  expires_at: Type.String(),
  /** The e-mail already has an account: the person accepts with its password. */
  has_account: Type.Boolean(),
})

export const AcceptBodySchema = Type.Object(
  {
    token: Token,
    /** For a new account; an e-mail that has an account joins from its own signed-in session instead. */
    name: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
    password: Type.Optional(Text({ minLength: 1, maxLength: 1024 })),
  },
  { additionalProperties: false },
)

export const SetupTokenBodySchema = Type.Object({ token: Token }, { additionalProperties: false })

export const SetupBodySchema = Type.Object(
  {
    token: Token,
    workspace_name: Text({ minLength: 1, maxLength: 200 }),
    name: Text({ minLength: 1, maxLength: 200 }),
    email: Email,
    password: Text({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)
