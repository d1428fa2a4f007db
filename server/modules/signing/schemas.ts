import Type from 'typebox'
import { FIELD_TYPES } from '../../../db/schema.ts'
import { Text } from '../../http/text.ts'
import { MAX_FIELD_LABEL_LENGTH, MAX_FIELDS_PER_DOCUMENT, MAX_TEXT_VALUE_LENGTH } from './fields.ts'
import { MAX_JSON_DOCUMENT_BYTES } from './manager-service.ts'

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
  // multipart/form-data: `title` and the `file` part (its bytes travel beside the body).
  Type.Object(
    { title: RequiredText(200), file: Text({ maxLength: 1000, description: 'A PDF or Markdown file part' }) },
    { additionalProperties: false },
  ),
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
        maxLength: Math.ceil(MAX_JSON_DOCUMENT_BYTES / 3) * 4,
        pattern: '^[A-Za-z0-9+/]+={0,2}$',
      }),
    },
    { additionalProperties: false },
  ),
])

/** A JSON body carrying a base64 PDF of the maximum size, plus room for the other fields. */
export const DOCUMENT_BODY_LIMIT_BYTES = Math.ceil(MAX_JSON_DOCUMENT_BYTES / 3) * 4 + 64 * 1024

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

const Fraction = Type.Number({ minimum: 0, maximum: 1 })
const Extent = Type.Number({ exclusiveMinimum: 0, maximum: 1 })

export const FieldsBodySchema = Type.Object(
  {
    fields: Type.Array(
      Type.Object(
        {
          type: Type.Union(FIELD_TYPES.map((type) => Type.Literal(type))),
          signer_id: Uuid,
          page: Type.Integer({ minimum: 1, maximum: 100_000 }),
          x: Fraction,
          y: Fraction,
          width: Extent,
          height: Extent,
          required: Type.Boolean(),
          label: Type.Optional(Nullable(Text({ maxLength: MAX_FIELD_LABEL_LENGTH }))),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_FIELDS_PER_DOCUMENT },
    ),
  },
  { additionalProperties: false },
)

/** A drawn signature's PNG may be at most this large (decoded). */
export const MAX_SIGNATURE_PNG_BYTES = 200 * 1024

const AdoptedSignature = Type.Union([
  Type.Object({ kind: Type.Literal('typed') }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('drawn'),
      png_base64: Text({
        minLength: 12,
        maxLength: Math.ceil(MAX_SIGNATURE_PNG_BYTES / 3) * 4,
        pattern: '^[A-Za-z0-9+/]+={0,2}$',
      }),
    },
    { additionalProperties: false },
  ),
])

export const SignBodySchema = Type.Object(
  {
    typed_name: RequiredText(200),
    consent: Type.Literal(true),
    signature: Type.Optional(AdoptedSignature),
    initials: Type.Optional(AdoptedSignature),
    // Keys are field ids (checked against the signer's fields by the service).
    values: Type.Optional(
      Type.Record(Type.String(), Type.Union([Text({ maxLength: MAX_TEXT_VALUE_LENGTH }), Type.Boolean()]), {
        maxProperties: 1000,
      }),
    ),
  },
  { additionalProperties: false },
)

/** A signing body with two drawn PNGs at the limit, plus room for values. */
export const SIGN_BODY_LIMIT_BYTES = 2 * Math.ceil(MAX_SIGNATURE_PNG_BYTES / 3) * 4 + 1024 * 1024

export const SealCertificateUploadBodySchema = Type.Object(
  {
    p12_base64: Text({ minLength: 8, maxLength: 200_000, pattern: '^[A-Za-z0-9+/]+={0,2}$' }),
    password: Text({ maxLength: 500 }),
  },
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
