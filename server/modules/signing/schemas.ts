import Type from 'typebox'
import {
  DOCUMENT_KINDS,
  FIELD_TYPES,
  ITEM_STATUSES,
  OWNERSHIP_REVIEW_DECISIONS,
  OWNERSHIP_VERDICTS,
  PACKAGE_STATUSES,
  PAYOUT_ALERT_REASONS,
  SIGNER_STATUSES,
} from '../../../db/schema.ts'
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

// ---------------------------------------------------------------- responses (ADR 0021)
// What the handlers answer, field for field (views.ts builds most of it). Fastify's serializer
// sends only what is declared here: a field missing here never reaches the web app.

const IsoDate = Type.String({ format: 'date-time' })
const PackageStatus = Type.Enum(PACKAGE_STATUSES)
const SignerStatus = Type.Enum(SIGNER_STATUSES)
const DocumentKind = Type.Enum(DOCUMENT_KINDS)
const ReviewDecision = Type.Enum(OWNERSHIP_REVIEW_DECISIONS)

const FieldBox = {
  page: Type.Integer(),
  x: Type.Number(),
  y: Type.Number(),
  width: Type.Number(),
  height: Type.Number(),
}

/** A field as managers see it (`fieldView`). */
export const FieldSchema = Type.Object({
  id: Type.String(),
  type: Type.Enum(FIELD_TYPES),
  signer_id: Type.String(),
  ...FieldBox,
  required: Type.Boolean(),
  label: Nullable(Type.String()),
})

/** A signer's own field (`signerFieldView`): whose it is goes without saying. */
export const SignerFieldSchema = Type.Object({
  id: Type.String(),
  type: Type.Enum(FIELD_TYPES),
  ...FieldBox,
  required: Type.Boolean(),
  label: Nullable(Type.String()),
})

const DocumentBase = {
  id: Type.String(),
  position: Type.Integer(),
  title: Type.String(),
  kind: DocumentKind,
  byte_size: Type.Integer(),
  sha256: Type.String(),
  /** Pages of a PDF (null for Markdown, or when they could not be counted). */
  page_count: Nullable(Type.Integer()),
}

export const PackageDocumentSchema = Type.Object({
  ...DocumentBase,
  /** Where managers preview a PDF's bytes; null for Markdown. */
  pdf_url: Nullable(Type.String()),
  fields: Type.Array(FieldSchema),
})

export const SignerDocumentSummarySchema = Type.Object({
  ...DocumentBase,
  viewed: Type.Boolean(),
  fields: Type.Array(SignerFieldSchema),
})

const BankBase = {
  item_id: Type.String(),
  item_status: Nullable(Type.Enum(ITEM_STATUSES)),
  /** Plaid's verification_status of the account (null: instant Auth). */
  account_verification_status: Nullable(Type.String()),
  /** Micro-deposits (ADR 0018): pending_manual = confirm the deposit code in Link. */
  verification: Type.Enum(['verified', 'pending_manual', 'pending_automatic', 'failed'] as const),
  /** A micro-deposit account without identity data: only a manager's acceptance completes the step. */
  acceptance_required: Type.Boolean(),
  verdict_reason: Nullable(Type.String()),
  institution_name: Nullable(Type.String()),
  account_name: Type.String(),
  account_mask: Nullable(Type.String()),
  verdict: Type.Enum(OWNERSHIP_VERDICTS),
  name_score: Nullable(Type.Number()),
  email_score: Nullable(Type.Number()),
  verified_at: IsoDate,
}

export const OwnershipReviewSchema = Type.Object({
  decision: ReviewDecision,
  note: Type.String(),
  reviewed_at: IsoDate,
  /** Null once the reviewing user was deleted. */
  reviewer: Nullable(Type.Object({ user_id: Type.String(), name: Type.String(), email: Type.String() })),
})

/** The manager's view of a signer's account: the review with its note and reviewer. */
export const ManagedBankSchema = Type.Object({ ...BankBase, review: Nullable(OwnershipReviewSchema) })

/** The signer's view of their account: only the decision of a review. */
export const SignerBankSchema = Type.Object({
  ...BankBase,
  review: Nullable(Type.Object({ decision: ReviewDecision, reviewed_at: IsoDate })),
})

export const ManagedSignerSchema = Type.Object({
  id: Type.String(),
  position: Type.Integer(),
  legal_name: Type.String(),
  email: Type.String(),
  bank_required: Type.Boolean(),
  status: SignerStatus,
  opened_at: Nullable(IsoDate),
  signed_at: Nullable(IsoDate),
  signature: Nullable(
    Type.Object({
      typed_name: Type.String(),
      ip_address: Nullable(Type.String()),
      user_agent: Nullable(Type.String()),
    }),
  ),
  link_expires_at: Nullable(IsoDate),
  bank: Nullable(ManagedBankSchema),
})

export const OwnershipPolicySchema = Type.Object({
  verified_name_score: Type.Integer(),
  review_name_score: Type.Integer(),
  match_required: Type.Boolean(),
})

const PackageFields = {
  id: Type.String(),
  title: Type.String(),
  note: Nullable(Type.String()),
  status: PackageStatus,
  cancel_reason: Nullable(Type.String()),
  created_at: IsoDate,
  activated_at: Nullable(IsoDate),
  completed_at: Nullable(IsoDate),
  cancelled_at: Nullable(IsoDate),
  documents: Type.Array(PackageDocumentSchema),
  signers: Type.Array(ManagedSignerSchema),
  policy: OwnershipPolicySchema,
  /** Null until the package is complete and its sealing job has run. */
  seal: Nullable(
    Type.Object({
      sha256: Type.String(),
      size: Type.Integer(),
      pages: Type.Integer(),
      sealed_at: IsoDate,
      download_url: Type.String(),
    }),
  ),
  certificate_pdf_url: Type.String(),
}

/** A package as the manager's edits answer it (`packageView`). */
export const PackageSchema = Type.Object(PackageFields)

export const PayoutAlertSchema = Type.Object({
  id: Type.String(),
  signer_id: Type.String(),
  reason: Type.Enum(PAYOUT_ALERT_REASONS),
  description: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  raised_at: IsoDate,
  resolved_at: Nullable(IsoDate),
  resolved_by: Nullable(
    Type.Object({ user_id: Type.String(), name: Nullable(Type.String()), email: Nullable(Type.String()) }),
  ),
  confirmed_by: Nullable(Type.Object({ user_id: Type.String(), name: Nullable(Type.String()) })),
  note: Nullable(Type.String()),
  /** Four eyes: a resolution proposed by one manager, waiting for another to confirm it. */
  proposed: Nullable(
    Type.Object({
      by: Nullable(Type.Object({ user_id: Type.String(), name: Nullable(Type.String()) })),
      note: Nullable(Type.String()),
      at: IsoDate,
    }),
  ),
})

export const PayoutNumbersOnFileSchema = Type.Object({
  signer_id: Type.String(),
  account_mask: Nullable(Type.String()),
  routing_mask: Nullable(Type.String()),
  is_tokenized_account_number: Nullable(Type.Boolean()),
  verification_method: Type.String(),
  /** The names Plaid's /identity/get gave for the account: what a manager judges a mismatch by. */
  holder_names: Type.Array(Type.String()),
  fetched_at: IsoDate,
})

/**
 * A payout instruction frozen when the package completed: the JSON record `lockInstructions` writes
 * (the same fields since the table exists), spread beside `signer_id` and `locked_at`. The column is
 * typed as any JSON object, so the record's fields are optional here: the serializer sends those a
 * row has, and a row written before a field existed still serializes.
 */
export const PayoutInstructionSchema = Type.Object({
  signer_id: Type.String(),
  locked_at: IsoDate,
  signer_name: Type.Optional(Type.String()),
  holder_names: Type.Optional(Type.Array(Type.String())),
  institution_name: Type.Optional(Nullable(Type.String())),
  account_name: Type.Optional(Type.String()),
  account_mask: Type.Optional(Nullable(Type.String())),
  routing_mask: Type.Optional(Nullable(Type.String())),
  numbers_on_file: Type.Optional(Type.Boolean()),
  is_tokenized_account_number: Type.Optional(Nullable(Type.Boolean())),
  verification_method: Type.Optional(Nullable(Type.String())),
  item_id: Type.Optional(Type.String()),
  verdict: Type.Optional(Type.String()),
  name_score: Type.Optional(Nullable(Type.Number())),
  verified_at: Type.Optional(Type.String()),
  review: Type.Optional(
    Nullable(
      Type.Object({
        decision: Type.String(),
        note: Type.String(),
        reviewed_at: Type.String(),
        reviewer_user_id: Nullable(Type.String()),
      }),
    ),
  ),
})

export const PayoutPolicySchema = Type.Object({ require_second_manager: Type.Boolean() })

/** A package as GET /api/signings/:id answers it: the view plus its payouts (`payoutPackageView`). */
export const PackageDetailSchema = Type.Object({
  ...PackageFields,
  payout_numbers: Type.Array(PayoutNumbersOnFileSchema),
  payout_instructions: Type.Array(PayoutInstructionSchema),
  payout_alerts: Type.Array(PayoutAlertSchema),
  payout_policy: PayoutPolicySchema,
})

export const PackageListSchema = Type.Object({
  signings: Type.Array(
    Type.Object({
      id: Type.String(),
      title: Type.String(),
      status: PackageStatus,
      created_at: IsoDate,
      signer_count: Type.Integer(),
      signed_count: Type.Integer(),
    }),
  ),
})

export const InvitationSchema = Type.Object({
  signer_id: Type.String(),
  email: Type.String(),
  expires_at: IsoDate,
  /** True when the link was e-mailed; then `url` is null. */
  emailed: Type.Boolean(),
  url: Nullable(Type.String()),
})

export const ActivateResponseSchema = Type.Object({
  signing: PackageSchema,
  invitations: Type.Array(InvitationSchema),
})

export const ResendResponseSchema = Type.Object({ invitation: InvitationSchema })

export const FieldsResponseSchema = Type.Object({ fields: Type.Array(FieldSchema) })

export const AuditTrailSchema = Type.Object({
  signing_id: Type.String(),
  generated_at: IsoDate,
  verification: Type.Object({
    is_valid: Type.Boolean(),
    event_count: Type.Integer(),
    first_broken_sequence: Nullable(Type.Integer()),
    last_hash: Nullable(Type.String()),
  }),
  events: Type.Array(
    Type.Object({
      sequence: Type.Integer(),
      action: Type.String(),
      occurred_at: IsoDate,
      /** A member acted with their account; a signer through their signing link. */
      actor: Type.Union([
        Type.Object({
          type: Type.Literal('member'),
          user_id: Type.String(),
          signer_id: Type.Null(),
          name: Nullable(Type.String()),
          email: Nullable(Type.String()),
        }),
        Type.Object({
          type: Type.Literal('signer'),
          user_id: Type.Null(),
          signer_id: Type.String(),
          name: Nullable(Type.String()),
          email: Nullable(Type.String()),
        }),
        Type.Null(),
      ]),
      subject_type: Nullable(Type.String()),
      subject_id: Nullable(Type.String()),
      details: Type.Record(Type.String(), Type.Unknown()),
      ip_address: Nullable(Type.String()),
      user_agent: Nullable(Type.String()),
      hash: Type.String(),
    }),
  ),
})

export const SealCertificateViewSchema = Type.Object({
  source: Type.Enum(['configured', 'generated', 'uploaded'] as const),
  subject: Type.String(),
  issuer: Type.String(),
  not_before: IsoDate,
  not_after: IsoDate,
  sha256_fingerprint: Type.String(),
  expired: Type.Boolean(),
})

export const PolicyResponseSchema = OwnershipPolicySchema

export const OpenLinkResponseSchema = Type.Object({ signing_id: Type.String() })

export const SignerFlowSchema = Type.Object({
  signing: Type.Object({
    id: Type.String(),
    title: Type.String(),
    note: Nullable(Type.String()),
    status: PackageStatus,
  }),
  workspace_name: Type.String(),
  signer: Type.Object({
    id: Type.String(),
    legal_name: Type.String(),
    email: Type.String(),
    status: SignerStatus,
    bank_required: Type.Boolean(),
    signed_at: Nullable(IsoDate),
  }),
  documents: Type.Array(SignerDocumentSummarySchema),
  bank: Nullable(SignerBankSchema),
  match_required: Type.Boolean(),
  step: Type.Enum(['review', 'bank', 'sign', 'done', 'closed'] as const),
  /** Null until the package is complete and sealed. */
  seal: Nullable(Type.Object({ sha256: Type.String(), sealed_at: IsoDate, download_url: Type.String() })),
})

export const SignerDocumentSchema = Type.Object({
  id: Type.String(),
  position: Type.Integer(),
  title: Type.String(),
  kind: DocumentKind,
  sha256: Type.String(),
  markdown: Nullable(Type.String()),
  /** Where the PDF's bytes are served inline (a same-origin frame may show them); null for Markdown. */
  pdf_url: Nullable(Type.String()),
})

export const VerifyResultSchema = Type.Union([
  Type.Object({
    valid: Type.Literal(true),
    signing_id: Type.String(),
    sealed_at: IsoDate,
    sha256: Type.String(),
    signers: Type.Array(Type.Object({ name: Type.String(), signed_at: Nullable(IsoDate) })),
  }),
  Type.Object({ valid: Type.Literal(false), reason: Type.String() }),
])
