import Type from 'typebox'
import { Text } from '../../http/text.ts'
import { MAX_DOCUMENT_BYTES } from './manager-service.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()])
const Uuid = Type.String({ format: 'uuid' })
const RequiredText = (maxLength: number) => Text({ minLength: 1, maxLength, pattern: '\\S' })

export const PackageParamsSchema = Type.Object({ id: Uuid })
export const DocumentParamsSchema = Type.Object({ id: Uuid, documentId: Uuid })
export const SignerParamsSchema = Type.Object({ id: Uuid, signerId: Uuid })
export const SignerDocumentParamsSchema = Type.Object({ documentId: Uuid })

export const CreatePackageBodySchema = Type.Object(
  { title: RequiredText(200), note: Type.Optional(Nullable(Text({ maxLength: 2000 }))) },
  { additionalProperties: false },
)

export const AddDocumentBodySchema = Type.Union([
  Type.Object(
    {
      title: RequiredText(200),
      kind: Type.Literal('markdown'),
      // Bounded by the route's body limit; the exact byte limit is checked on the UTF-8 bytes (413).
      markdown: Text({ minLength: 1 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      title: RequiredText(200),
      kind: Type.Literal('pdf'),
      pdf_base64: Text({
        minLength: 8,
        maxLength: Math.ceil(MAX_DOCUMENT_BYTES / 3) * 4,
        pattern: '^[A-Za-z0-9+/]+={0,2}$',
      }),
    },
    { additionalProperties: false },
  ),
])

/** A JSON body carrying a base64 PDF of the maximum size, plus room for the other fields. */
export const DOCUMENT_BODY_LIMIT_BYTES = Math.ceil(MAX_DOCUMENT_BYTES / 3) * 4 + 64 * 1024

export const AddSignerBodySchema = Type.Object(
  {
    legal_name: RequiredText(200),
    email: Text({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' }),
    bank_required: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)

export const CancelBodySchema = Type.Object({ reason: RequiredText(500) }, { additionalProperties: false })

export const OwnershipReviewBodySchema = Type.Object(
  {
    decision: Type.Union([Type.Literal('accept'), Type.Literal('reject')]),
    note: RequiredText(500),
    // The `verified_at` of the verification the manager looked at: a newer account is refused (409).
    verified_at: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
)

export const PolicyBodySchema = Type.Object(
  {
    verified_name_score: Type.Integer({ minimum: 0, maximum: 100 }),
    review_name_score: Type.Integer({ minimum: 0, maximum: 100 }),
    match_required: Type.Boolean(),
  },
  { additionalProperties: false },
)

export const AuditQuerySchema = Type.Object(
  { download: Type.Optional(Type.Literal('1')) },
  { additionalProperties: false },
)

export const OpenLinkBodySchema = Type.Object(
  { token: Text({ minLength: 20, maxLength: 100, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
)

// Link session ids are opaque identifiers; anything shaped like a Plaid token is refused.
const LinkSessionId = Text({
  minLength: 1,
  maxLength: 64,
  pattern: '^(?!(public|access|link)-(sandbox|development|production)-)[\\w.:-]+$',
})

export const LinkStartedBodySchema = Type.Object(
  { link_session_id: LinkSessionId },
  { additionalProperties: false },
)

export const ChooseAccountBodySchema = Type.Object(
  {
    account_id: Text({ minLength: 1, maxLength: 128, pattern: '^[\\w-]+$' }),
    link_session_id: Type.Optional(Nullable(LinkSessionId)),
  },
  { additionalProperties: false },
)

export const SignBodySchema = Type.Object(
  { typed_name: RequiredText(200), consent: Type.Literal(true) },
  { additionalProperties: false },
)

export const PayoutAlertParamsSchema = Type.Object({ id: Uuid, alertId: Uuid })

export const ResolvePayoutAlertBodySchema = Type.Object(
  { note: RequiredText(1000) },
  { additionalProperties: false },
)

export const PayoutPolicyBodySchema = Type.Object(
  { require_second_manager: Type.Boolean() },
  { additionalProperties: false },
)

export const RevealResponseSchema = Type.Object({
  account: Type.String(),
  routing: Type.String(),
  wire_routing: Nullable(Type.String()),
  mask: Nullable(Type.String()),
  institution_name: Nullable(Type.String()),
  holder_names: Type.Array(Type.String()),
  verification_method: Type.String(),
  is_tokenized_account_number: Nullable(Type.Boolean()),
})
