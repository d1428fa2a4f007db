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
export const SessionResponseSchema = Type.Object({
  principal: Type.Union([Type.Literal('member'), Type.Literal('signer')]),
  user: Type.Union([
    Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
    Type.Null(),
  ]),
  workspace: Type.Object({ id: Type.String(), name: Type.String() }),
  role: Type.Union([Type.Literal('admin'), Type.Literal('manager'), Type.Literal('signer'), Type.Null()]),
  signer: Type.Union([
    Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), signing_id: Type.String() }),
    Type.Null(),
  ]),
})
