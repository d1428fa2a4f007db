import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { createdAt, sessions, users, workspaces } from './foundation.ts'
import { plaidItems } from './plaid.ts'

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' })

export const PACKAGE_STATUSES = ['draft', 'active', 'complete', 'cancelled'] as const
export type PackageStatus = (typeof PACKAGE_STATUSES)[number]

export const SIGNER_STATUSES = ['invited', 'opened', 'bank_verified', 'signed'] as const
export type SignerStatus = (typeof SIGNER_STATUSES)[number]

export const OWNERSHIP_VERDICTS = ['verified', 'needs_review', 'mismatch'] as const
export type OwnershipVerdict = (typeof OWNERSHIP_VERDICTS)[number]

/** A manager's decision on a needs-review or mismatch verdict: accept the account, or ask for another. */
export const OWNERSHIP_REVIEW_DECISIONS = ['accept', 'reject'] as const
export type OwnershipReviewDecision = (typeof OWNERSHIP_REVIEW_DECISIONS)[number]

export const DOCUMENT_KINDS = ['markdown', 'pdf'] as const
export type DocumentKind = (typeof DOCUMENT_KINDS)[number]

/** A signing package: documents for signers to sign, draft → active → complete | cancelled. */
export const signingPackages = pgTable(
  'signing_packages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    note: text('note'),
    status: text('status').$type<PackageStatus>().notNull().default('draft'),
    cancelReason: text('cancel_reason'),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    activatedAt: timestamp('activated_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  },
  (table) => [
    check(
      'signing_packages_status_check',
      sql`${table.status} in ('draft', 'active', 'complete', 'cancelled')`,
    ),
    check(
      'signing_packages_cancel_reason_check',
      sql`(${table.status} = 'cancelled') = (${table.cancelReason} is not null)`,
    ),
    index('signing_packages_workspace_idx').on(table.workspaceId, table.createdAt),
  ],
)

/**
 * A document of a package, shown to signers in `position` order. Markdown is kept as text, a PDF as
 * bytes; the SHA-256 of the content goes into the audit trail so the signed version is provable.
 */
export const signingDocuments = pgTable(
  'signing_documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    packageId: uuid('package_id')
      .notNull()
      .references(() => signingPackages.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    kind: text('kind').$type<DocumentKind>().notNull(),
    markdown: text('markdown'),
    pdf: bytea('pdf'),
    byteSize: integer('byte_size').notNull(),
    sha256: text('sha256').notNull(),
    /** Pages of a PDF (counted with pdf-lib at upload); null for Markdown and for PDFs stored before. */
    pageCount: integer('page_count'),
    createdAt: createdAt(),
  },
  (table) => [
    check('signing_documents_kind_check', sql`${table.kind} in ('markdown', 'pdf')`),
    check(
      'signing_documents_content_check',
      sql`(${table.kind} = 'markdown' and ${table.markdown} is not null and ${table.pdf} is null) or (${table.kind} = 'pdf' and ${table.pdf} is not null and ${table.markdown} is null)`,
    ),
    uniqueIndex('signing_documents_position_key').on(table.packageId, table.position),
  ],
)

/** A person who signs a package: a principal of its own, reached only through its signing link. */
export const signers = pgTable(
  'signers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    packageId: uuid('package_id')
      .notNull()
      .references(() => signingPackages.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    legalName: text('legal_name').notNull(),
    email: text('email').notNull(),
    isBankRequired: boolean('is_bank_required').notNull().default(true),
    status: text('status').$type<SignerStatus>().notNull().default('invited'),
    openedAt: timestamp('opened_at', { withTimezone: true }),
    signedAt: timestamp('signed_at', { withTimezone: true }),
    signatureName: text('signature_name'),
    signatureIpAddress: text('signature_ip_address'),
    signatureUserAgent: text('signature_user_agent'),
    createdAt: createdAt(),
  },
  (table) => [
    check('signers_status_check', sql`${table.status} in ('invited', 'opened', 'bank_verified', 'signed')`),
    uniqueIndex('signers_position_key').on(table.packageId, table.position),
    uniqueIndex('signers_email_key').on(table.packageId, sql`lower(${table.email})`),
  ],
)

/** Which documents a signer has opened; the first view of each is an audit event. */
export const signerDocumentViews = pgTable(
  'signer_document_views',
  {
    signerId: uuid('signer_id')
      .notNull()
      .references(() => signers.id, { onDelete: 'cascade' }),
    documentId: uuid('document_id')
      .notNull()
      .references(() => signingDocuments.id, { onDelete: 'cascade' }),
    viewedAt: timestamp('viewed_at', { withTimezone: true }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.signerId, table.documentId] })],
)

/**
 * The signer's payout account and the ownership check against it. Display data only (institution,
 * name, mask); the Item's live status is read from plaid_items. A manager's review of a needs-review
 * or mismatch verdict sits next to the scores it judged (which stay as they were); a new account
 * chosen by the signer is a new verification, so it clears the review.
 */
export const signerBankVerifications = pgTable(
  'signer_bank_verifications',
  {
    signerId: uuid('signer_id')
      .primaryKey()
      .references(() => signers.id, { onDelete: 'cascade' }),
    itemId: uuid('item_id').references(() => plaidItems.id, { onDelete: 'set null' }),
    plaidItemId: text('plaid_item_id').notNull(),
    plaidAccountId: text('plaid_account_id').notNull(),
    institutionName: text('institution_name'),
    accountName: text('account_name').notNull(),
    accountMask: text('account_mask'),
    verdict: text('verdict').$type<OwnershipVerdict>().notNull(),
    nameScore: integer('name_score'),
    emailScore: integer('email_score'),
    verifiedAt: timestamp('verified_at', { withTimezone: true }).notNull(),
    reviewDecision: text('review_decision').$type<OwnershipReviewDecision>(),
    reviewNote: text('review_note'),
    reviewedBy: uuid('reviewed_by').references(() => users.id, { onDelete: 'set null' }),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
  },
  (table) => [
    check(
      'signer_bank_verifications_verdict_check',
      sql`${table.verdict} in ('verified', 'needs_review', 'mismatch')`,
    ),
    // A review is whole (decision, note, time) or absent; the reviewer may later be deleted.
    check(
      'signer_bank_verifications_review_check',
      sql`(${table.reviewDecision} is null and ${table.reviewNote} is null and ${table.reviewedAt} is null and ${table.reviewedBy} is null) or (${table.reviewDecision} in ('accept', 'reject') and ${table.reviewNote} is not null and ${table.reviewedAt} is not null)`,
    ),
    index('signer_bank_verifications_item_idx').on(table.plaidItemId),
  ],
)

/** Signing links: only a SHA-256 of the token is stored, as for sessions. */
export const signingLinks = pgTable(
  'signing_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    signerId: uuid('signer_id')
      .notNull()
      .references(() => signers.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('signing_links_token_hash_key').on(table.tokenHash),
    index('signing_links_signer_idx').on(table.signerId),
  ],
)

/**
 * Narrows a session opened through a signing link to one signer record: such a session may act as
 * that signer and link a bank, but role-gated routes refuse it. Revoking the link ends the session.
 */
export const signerSessions = pgTable(
  'signer_sessions',
  {
    sessionTokenHash: text('session_token_hash')
      .primaryKey()
      .references(() => sessions.tokenHash, { onDelete: 'cascade' }),
    signerId: uuid('signer_id')
      .notNull()
      .references(() => signers.id, { onDelete: 'cascade' }),
    linkId: uuid('link_id')
      .notNull()
      .references(() => signingLinks.id, { onDelete: 'cascade' }),
  },
  (table) => [index('signer_sessions_link_idx').on(table.linkId)],
)

/** Per-workspace ownership-match policy. Absent row = defaults (85 / 70, match not required). */
export const workspaceSigningSettings = pgTable(
  'workspace_signing_settings',
  {
    workspaceId: uuid('workspace_id')
      .primaryKey()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    verifiedNameScore: integer('verified_name_score').notNull(),
    reviewNameScore: integer('review_name_score').notNull(),
    isMatchRequired: boolean('is_match_required').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check(
      'workspace_signing_settings_thresholds_check',
      sql`0 <= ${table.reviewNameScore} and ${table.reviewNameScore} <= ${table.verifiedNameScore} and ${table.verifiedNameScore} <= 100`,
    ),
  ],
)

export const FIELD_TYPES = ['signature', 'initials', 'name', 'date_signed', 'text', 'checkbox'] as const
export type FieldType = (typeof FIELD_TYPES)[number]

/**
 * A field placed on a page of a PDF document for one signer. The box is fractions of the page
 * (0..1, origin top left), so it does not depend on zoom. `value` is what the signer filled in
 * (text: a string, checkbox: a boolean; name and date_signed: the server's string), set when they sign.
 */
export const signingDocumentFields = pgTable(
  'signing_document_fields',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => signingDocuments.id, { onDelete: 'cascade' }),
    signerId: uuid('signer_id')
      .notNull()
      .references(() => signers.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    type: text('type').$type<FieldType>().notNull(),
    page: integer('page').notNull(),
    x: doublePrecision('x').notNull(),
    y: doublePrecision('y').notNull(),
    width: doublePrecision('width').notNull(),
    height: doublePrecision('height').notNull(),
    isRequired: boolean('is_required').notNull(),
    label: text('label'),
    value: jsonb('value').$type<string | boolean>(),
    createdAt: createdAt(),
  },
  (table) => [
    check(
      'signing_document_fields_type_check',
      sql`${table.type} in ('signature', 'initials', 'name', 'date_signed', 'text', 'checkbox')`,
    ),
    check(
      'signing_document_fields_box_check',
      sql`${table.page} >= 1 and ${table.x} >= 0 and ${table.y} >= 0 and ${table.width} > 0 and ${table.height} > 0 and ${table.x} + ${table.width} <= 1.000001 and ${table.y} + ${table.height} <= 1.000001`,
    ),
    uniqueIndex('signing_document_fields_position_key').on(table.documentId, table.position),
    index('signing_document_fields_signer_idx').on(table.signerId),
  ],
)

export const SIGNATURE_KINDS = ['signature', 'initials'] as const
export type SignatureKind = (typeof SIGNATURE_KINDS)[number]

/**
 * The signature (or initials) a signer adopted when signing: a drawn PNG, or typed text rendered in
 * the script font. `sha256` is of the PNG, or of the UTF-8 text for a typed one; it is in the chain.
 */
export const signerSignatures = pgTable(
  'signer_signatures',
  {
    signerId: uuid('signer_id')
      .notNull()
      .references(() => signers.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<SignatureKind>().notNull(),
    method: text('method').$type<'typed' | 'drawn'>().notNull(),
    png: bytea('png'),
    typedText: text('typed_text'),
    sha256: text('sha256').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.signerId, table.kind] }),
    check('signer_signatures_kind_check', sql`${table.kind} in ('signature', 'initials')`),
    check(
      'signer_signatures_method_check',
      sql`(${table.method} = 'drawn' and ${table.png} is not null and ${table.typedText} is null) or (${table.method} = 'typed' and ${table.typedText} is not null and ${table.png} is null)`,
    ),
  ],
)

/**
 * The sealed PDF of a completed package: one row per package (the primary key), written with its
 * `signing.sealed` audit event in one transaction, so a retried or concurrent sealing job yields one.
 */
export const signingSeals = pgTable(
  'signing_seals',
  {
    packageId: uuid('package_id')
      .primaryKey()
      .references(() => signingPackages.id, { onDelete: 'cascade' }),
    pdf: bytea('pdf').notNull(),
    sha256: text('sha256').notNull(),
    byteSize: integer('byte_size').notNull(),
    pageCount: integer('page_count').notNull(),
    certificatePageCount: integer('certificate_page_count').notNull(),
    certificateSha256: text('certificate_sha256').notNull(),
    sealedAt: timestamp('sealed_at', { withTimezone: true }).notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
  },
  (table) => [uniqueIndex('signing_seals_sha256_key').on(table.sha256)],
)

export const SEAL_CERTIFICATE_SOURCES = ['generated', 'uploaded'] as const
export type SealCertificateSource = (typeof SEAL_CERTIFICATE_SOURCES)[number]

/**
 * The workspace's sealing certificate: the self-signed demo one made on first use, or a PKCS#12 an
 * administrator uploaded. The X.509 certificate as PEM, its private key (PKCS#8 PEM) encrypted with
 * the keyring, bound to the workspace row.
 */
export const workspaceSealCertificates = pgTable(
  'workspace_seal_certificates',
  {
    workspaceId: uuid('workspace_id')
      .primaryKey()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    source: text('source').$type<SealCertificateSource>().notNull().default('generated'),
    certificatePem: text('certificate_pem').notNull(),
    keyCiphertext: text('key_ciphertext').notNull(),
    keyKeyId: text('key_key_id').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    check('workspace_seal_certificates_source_check', sql`${table.source} in ('generated', 'uploaded')`),
  ],
)
