import Type from 'typebox'
import { Text } from '../../http/text.ts'

export const SignInBodySchema = Type.Object(
  {
    email: Text({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }),
    password: Text({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)

/**
 * Who the session acts for. A member session names the user and their role in the workspace; a
 * signer session (opened from a signing link) names the signer record and has no user and no role.
 */
const SessionWorkspace = Type.Object({ id: Type.String(), name: Type.String() })
const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('manager'), Type.Literal('signer')])

/** A member signed in with a password: the user and their role in the workspace. */
export const MemberSessionSchema = Type.Object({
  principal: Type.Literal('member'),
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
  workspace: SessionWorkspace,
  role: RoleSchema,
  signer: Type.Null(),
})

/** A signer who opened their signing link: no account, no role, one signer record of one package. */
export const SignerSessionSchema = Type.Object({
  principal: Type.Literal('signer'),
  user: Type.Null(),
  workspace: SessionWorkspace,
  role: Type.Null(),
  signer: Type.Object({
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    signing_id: Type.String(),
  }),
})

export const SessionResponseSchema = Type.Union([MemberSessionSchema, SignerSessionSchema])

export const SwitchWorkspaceBodySchema = Type.Object(
  { workspace_id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
)

export const WorkspacesResponseSchema = Type.Object({
  current: Type.String(),
  workspaces: Type.Array(
    Type.Object({
      id: Type.String(),
      name: Type.String(),
      role: RoleSchema,
    }),
  ),
})
/** A user with a second factor gets this instead of a session, with the pending sign-in cookie. */
export const TwoFactorRequiredSchema = Type.Object({ two_factor_required: Type.Literal(true) })

export const SignInResponseSchema = Type.Union([SessionResponseSchema, TwoFactorRequiredSchema])
