import Type from 'typebox'
import { Text } from '../../http/text.ts'

export const SignInBodySchema = Type.Object(
  {
    email: Text({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }),
    password: Text({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
)

export const SessionResponseSchema = Type.Object({
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
  workspace: Type.Object({ id: Type.String(), name: Type.String() }),
  role: Type.Union([Type.Literal('admin'), Type.Literal('manager'), Type.Literal('signer')]),
})
