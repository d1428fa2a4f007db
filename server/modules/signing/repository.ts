import { and, asc, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Queryable } from '../../../db/client.ts'
import {
  type DocumentKind,
  type FieldType,
  type ItemStatus,
  type OwnershipReviewDecision,
  type OwnershipVerdict,
  type PackageStatus,
  plaidItems,
  type SealCertificateSource,
  type SignatureKind,
  type SignerStatus,
  signerBankVerifications,
  signerDocumentViews,
  signerSignatures,
  signers,
  signingDocumentFields,
  signingDocuments,
  signingLinks,
  signingPackages,
  signingSeals,
  users,
  workspaceSealCertificates,
  workspaceSigningSettings,
  workspaces,
} from '../../../db/schema.ts'
import type { OwnershipPolicy } from './rules.ts'

export type PackageRow = typeof signingPackages.$inferSelect

export type DocumentSummary = {
  id: string
  position: number
  title: string
  kind: DocumentKind
  byteSize: number
  sha256: string
  pageCount: number | null
}

export type DocumentContent = DocumentSummary & { markdown: string | null; pdf: Uint8Array | null }

export type OwnershipReview = {
  decision: OwnershipReviewDecision
  note: string
  reviewedAt: Date
  /** Null once the reviewing user was deleted (the audit trail still names them by id). */
  reviewer: { id: string; name: string; email: string } | null
}

export type BankVerification = {
  plaidItemId: string
  plaidAccountId: string
  itemStatus: ItemStatus | null
  /** Plaid's verification_status of the chosen account (null: instant Auth); micro-deposits (ADR 0018). */
  accountVerificationStatus: string | null
  institutionName: string | null
  accountName: string
  accountMask: string | null
  verdict: OwnershipVerdict
  nameScore: number | null
  emailScore: number | null
  verifiedAt: Date
  /** A manager's decision on a needs-review or mismatch verdict; null until there is one. */
  review: OwnershipReview | null
}

export type SignerRow = {
  id: string
  packageId: string
  position: number
  legalName: string
  email: string
  isBankRequired: boolean
  status: SignerStatus
  openedAt: Date | null
  signedAt: Date | null
  signatureName: string | null
  signatureIpAddress: string | null
  signatureUserAgent: string | null
  /** The newest link that is neither revoked nor expired. */
  linkExpiresAt: Date | null
  bank: BankVerification | null
}

// ---------------------------------------------------------------- packages

export async function insertPackage(
  db: Queryable,
  input: { workspaceId: string; title: string; note: string | null; createdBy: string },
): Promise<PackageRow> {
  const [row] = await db.insert(signingPackages).values(input).returning()
  return row as PackageRow
}

/** A package of this workspace; another workspace's package is indistinguishable from a missing one. */
export async function findPackage(
  db: Queryable,
  workspaceId: string,
  id: string,
): Promise<PackageRow | null> {
  const [row] = await db
    .select()
    .from(signingPackages)
    .where(and(eq(signingPackages.id, id), eq(signingPackages.workspaceId, workspaceId)))
    .limit(1)
  return row ?? null
}

/** A package by id alone, for system work (the sealing job) that has no session to scope it. */
export async function findPackageById(db: Queryable, id: string): Promise<PackageRow | null> {
  const [row] = await db.select().from(signingPackages).where(eq(signingPackages.id, id)).limit(1)
  return row ?? null
}

/** Locks the package row until the transaction ends: state changes of one package happen one at a time. */
export async function lockPackage(tx: Queryable, id: string): Promise<PackageRow | null> {
  const [row] = await tx.select().from(signingPackages).where(eq(signingPackages.id, id)).for('update')
  return row ?? null
}

export async function updatePackage(
  tx: Queryable,
  id: string,
  changes: Partial<
    Pick<PackageRow, 'status' | 'cancelReason' | 'activatedAt' | 'completedAt' | 'cancelledAt'>
  >,
): Promise<void> {
  await tx.update(signingPackages).set(changes).where(eq(signingPackages.id, id))
}

export type PackageListRow = {
  id: string
  title: string
  status: PackageStatus
  createdAt: Date
  signerCount: number
  signedCount: number
}

export async function listPackages(db: Queryable, workspaceId: string): Promise<PackageListRow[]> {
  return db
    .select({
      id: signingPackages.id,
      title: signingPackages.title,
      status: signingPackages.status,
      createdAt: signingPackages.createdAt,
      // Written out with an alias: drizzle leaves columns unqualified inside a scalar subquery, and an
      // unqualified "id" would be the signer's own (every package then counted 0 signers).
      signerCount: sql<number>`(select count(*)::int from signers counted where counted.package_id = ${signingPackages}.id)`,
      signedCount: sql<number>`(select count(*)::int from signers counted where counted.package_id = ${signingPackages}.id and counted.status = 'signed')`,
    })
    .from(signingPackages)
    .where(eq(signingPackages.workspaceId, workspaceId))
    .orderBy(desc(signingPackages.createdAt), desc(signingPackages.id))
}

// ---------------------------------------------------------------- documents

const documentSummaryColumns = {
  id: signingDocuments.id,
  position: signingDocuments.position,
  title: signingDocuments.title,
  kind: signingDocuments.kind,
  byteSize: signingDocuments.byteSize,
  sha256: signingDocuments.sha256,
  pageCount: signingDocuments.pageCount,
}

export async function listDocuments(db: Queryable, packageId: string): Promise<DocumentSummary[]> {
  return db
    .select(documentSummaryColumns)
    .from(signingDocuments)
    .where(eq(signingDocuments.packageId, packageId))
    .orderBy(asc(signingDocuments.position))
}

/** A document with its Markdown; its PDF bytes (up to 2 MiB) only when `withPdfBytes` asks for them. */
export async function findDocument(
  db: Queryable,
  packageId: string,
  documentId: string,
  options: { withPdfBytes: boolean },
): Promise<DocumentContent | null> {
  const [row] = await db
    .select({
      ...documentSummaryColumns,
      markdown: signingDocuments.markdown,
      pdf: options.withPdfBytes ? signingDocuments.pdf : sql<null>`null`,
    })
    .from(signingDocuments)
    .where(and(eq(signingDocuments.packageId, packageId), eq(signingDocuments.id, documentId)))
    .limit(1)
  return row ?? null
}

export async function insertDocument(
  tx: Queryable,
  input: {
    packageId: string
    title: string
    kind: DocumentKind
    markdown: string | null
    pdf: Uint8Array | null
    byteSize: number
    sha256: string
    pageCount: number | null
  },
): Promise<void> {
  await tx.insert(signingDocuments).values({
    ...input,
    position: sql`(select coalesce(max(${signingDocuments.position}), 0) + 1 from ${signingDocuments} where ${signingDocuments.packageId} = ${input.packageId})`,
  })
}

export async function deleteDocument(tx: Queryable, packageId: string, documentId: string): Promise<boolean> {
  const deleted = await tx
    .delete(signingDocuments)
    .where(and(eq(signingDocuments.packageId, packageId), eq(signingDocuments.id, documentId)))
    .returning({ id: signingDocuments.id })
  return deleted.length > 0
}

export async function countDocuments(db: Queryable, packageId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(signingDocuments)
    .where(eq(signingDocuments.packageId, packageId))
  return row?.count ?? 0
}

// ---------------------------------------------------------------- signers

export async function listSigners(db: Queryable, packageId: string, now: Date): Promise<SignerRow[]> {
  const rows = await db
    .select({
      id: signers.id,
      packageId: signers.packageId,
      position: signers.position,
      legalName: signers.legalName,
      email: signers.email,
      isBankRequired: signers.isBankRequired,
      status: signers.status,
      openedAt: signers.openedAt,
      signedAt: signers.signedAt,
      signatureName: signers.signatureName,
      signatureIpAddress: signers.signatureIpAddress,
      signatureUserAgent: signers.signatureUserAgent,
      linkExpiresAt: sql<Date | null>`(select max(${signingLinks.expiresAt}) from ${signingLinks}
        where ${signingLinks.signerId} = ${signers.id} and ${signingLinks.revokedAt} is null
          and ${signingLinks.expiresAt} > ${now.toISOString()})`.mapWith(toDateOrNull),
      ...bankColumns,
    })
    .from(signers)
    .leftJoin(signerBankVerifications, eq(signerBankVerifications.signerId, signers.id))
    .leftJoin(plaidItems, eq(plaidItems.id, signerBankVerifications.itemId))
    .leftJoin(reviewers, eq(reviewers.id, signerBankVerifications.reviewedBy))
    .where(eq(signers.packageId, packageId))
    .orderBy(asc(signers.position))
  return rows.map(withBank)
}

export async function findSignerPackageId(db: Queryable, signerId: string): Promise<string | null> {
  const [row] = await db
    .select({ packageId: signers.packageId })
    .from(signers)
    .where(eq(signers.id, signerId))
    .limit(1)
  return row?.packageId ?? null
}

export async function findSigner(db: Queryable, signerId: string, now: Date): Promise<SignerRow | null> {
  const packageId = await findSignerPackageId(db, signerId)
  if (!packageId) return null
  return (await listSigners(db, packageId, now)).find((signer) => signer.id === signerId) ?? null
}

export async function insertSigner(
  tx: Queryable,
  input: { packageId: string; legalName: string; email: string; isBankRequired: boolean },
): Promise<{ id: string }> {
  const [row] = await tx
    .insert(signers)
    .values({
      ...input,
      position: sql`(select coalesce(max(${signers.position}), 0) + 1 from ${signers} where ${signers.packageId} = ${input.packageId})`,
    })
    .returning({ id: signers.id })
  return row as { id: string }
}

export async function isSignerEmailTaken(db: Queryable, packageId: string, email: string): Promise<boolean> {
  const [row] = await db
    .select({ id: signers.id })
    .from(signers)
    .where(and(eq(signers.packageId, packageId), sql`lower(${signers.email}) = lower(${email})`))
    .limit(1)
  return row !== undefined
}

export async function deleteSigner(tx: Queryable, packageId: string, signerId: string): Promise<boolean> {
  const deleted = await tx
    .delete(signers)
    .where(and(eq(signers.packageId, packageId), eq(signers.id, signerId)))
    .returning({ id: signers.id })
  return deleted.length > 0
}

export async function markSignerOpened(tx: Queryable, signerId: string, now: Date): Promise<void> {
  await tx
    .update(signers)
    .set({ status: 'opened', openedAt: now })
    .where(and(eq(signers.id, signerId), eq(signers.status, 'invited')))
}

/**
 * Keeps a signer's status in line with their bank step after a bank decision (a new account, a
 * manager's review): `bank_verified` only while the step is complete, back to `opened` otherwise.
 */
export async function setBankStepStatus(tx: Queryable, signerId: string, isComplete: boolean): Promise<void> {
  await tx
    .update(signers)
    .set({ status: isComplete ? 'bank_verified' : 'opened' })
    .where(
      and(
        eq(signers.id, signerId),
        isComplete ? inArray(signers.status, ['invited', 'opened']) : eq(signers.status, 'bank_verified'),
      ),
    )
}

export async function markSignerSigned(
  tx: Queryable,
  signerId: string,
  signature: { name: string; ipAddress: string | null; userAgent: string | null; signedAt: Date },
): Promise<void> {
  await tx
    .update(signers)
    .set({
      status: 'signed',
      signedAt: signature.signedAt,
      signatureName: signature.name,
      signatureIpAddress: signature.ipAddress,
      signatureUserAgent: signature.userAgent,
    })
    .where(eq(signers.id, signerId))
}

export async function countUnsignedSigners(tx: Queryable, packageId: string): Promise<number> {
  const [row] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(signers)
    .where(and(eq(signers.packageId, packageId), ne(signers.status, 'signed')))
  return row?.count ?? 0
}

// ---------------------------------------------------------------- document views

export async function listViewedDocumentIds(db: Queryable, signerId: string): Promise<Set<string>> {
  const rows = await db
    .select({ documentId: signerDocumentViews.documentId })
    .from(signerDocumentViews)
    .where(eq(signerDocumentViews.signerId, signerId))
  return new Set(rows.map((row) => row.documentId))
}

/** Records the first view of a document; false when the signer had already seen it. */
export async function insertDocumentView(
  tx: Queryable,
  view: { signerId: string; documentId: string; viewedAt: Date },
): Promise<boolean> {
  const inserted = await tx
    .insert(signerDocumentViews)
    .values(view)
    .onConflictDoNothing()
    .returning({ documentId: signerDocumentViews.documentId })
  return inserted.length > 0
}

// ---------------------------------------------------------------- bank verification

const reviewers = alias(users, 'reviewers')

const bankColumns = {
  bankPlaidItemId: signerBankVerifications.plaidItemId,
  bankPlaidAccountId: signerBankVerifications.plaidAccountId,
  bankItemRowId: signerBankVerifications.itemId,
  bankItemStatus: plaidItems.status,
  bankAccountVerificationStatus: sql<string | null>`(select pa.verification_status from plaid_accounts pa
    where pa.item_id = ${signerBankVerifications.itemId}
      and pa.plaid_account_id = ${signerBankVerifications.plaidAccountId})`,
  bankInstitutionName: signerBankVerifications.institutionName,
  bankAccountName: signerBankVerifications.accountName,
  bankAccountMask: signerBankVerifications.accountMask,
  bankVerdict: signerBankVerifications.verdict,
  bankNameScore: signerBankVerifications.nameScore,
  bankEmailScore: signerBankVerifications.emailScore,
  bankVerifiedAt: signerBankVerifications.verifiedAt,
  bankReviewDecision: signerBankVerifications.reviewDecision,
  bankReviewNote: signerBankVerifications.reviewNote,
  bankReviewedAt: signerBankVerifications.reviewedAt,
  bankReviewerId: reviewers.id,
  bankReviewerName: reviewers.name,
  bankReviewerEmail: reviewers.email,
}

type WithBankColumns = {
  bankPlaidItemId: string | null
  bankPlaidAccountId: string | null
  bankItemRowId: string | null
  bankItemStatus: ItemStatus | null
  bankAccountVerificationStatus: string | null
  bankInstitutionName: string | null
  bankAccountName: string | null
  bankAccountMask: string | null
  bankVerdict: OwnershipVerdict | null
  bankNameScore: number | null
  bankEmailScore: number | null
  bankVerifiedAt: Date | null
  bankReviewDecision: OwnershipReviewDecision | null
  bankReviewNote: string | null
  bankReviewedAt: Date | null
  bankReviewerId: string | null
  bankReviewerName: string | null
  bankReviewerEmail: string | null
}

function withBank<T extends WithBankColumns>(
  row: T,
): Omit<T, keyof WithBankColumns> & { bank: BankVerification | null } {
  const {
    bankPlaidItemId,
    bankPlaidAccountId,
    bankItemRowId: _itemRowId,
    bankItemStatus,
    bankAccountVerificationStatus,
    bankInstitutionName,
    bankAccountName,
    bankAccountMask,
    bankVerdict,
    bankNameScore,
    bankEmailScore,
    bankVerifiedAt,
    bankReviewDecision,
    bankReviewNote,
    bankReviewedAt,
    bankReviewerId,
    bankReviewerName,
    bankReviewerEmail,
    ...rest
  } = row
  const review: OwnershipReview | null =
    bankReviewDecision && bankReviewNote !== null && bankReviewedAt
      ? {
          decision: bankReviewDecision,
          note: bankReviewNote,
          reviewedAt: bankReviewedAt,
          reviewer:
            bankReviewerId && bankReviewerName !== null && bankReviewerEmail !== null
              ? { id: bankReviewerId, name: bankReviewerName, email: bankReviewerEmail }
              : null,
        }
      : null
  const bank =
    bankPlaidItemId && bankPlaidAccountId && bankAccountName !== null && bankVerdict && bankVerifiedAt
      ? {
          plaidItemId: bankPlaidItemId,
          plaidAccountId: bankPlaidAccountId,
          // The Item row is gone (deleted with its user): as unusable as a removed one.
          itemStatus: bankItemStatus ?? 'removed',
          accountVerificationStatus: bankAccountVerificationStatus,
          institutionName: bankInstitutionName,
          accountName: bankAccountName,
          accountMask: bankAccountMask,
          verdict: bankVerdict,
          nameScore: bankNameScore,
          emailScore: bankEmailScore,
          verifiedAt: bankVerifiedAt,
          review,
        }
      : null
  return { ...rest, bank }
}

/** Stores the signer's (new) payout account and its scores; a new verification has no review yet. */
export async function saveBankVerification(
  tx: Queryable,
  verification: Omit<
    typeof signerBankVerifications.$inferInsert,
    'reviewDecision' | 'reviewNote' | 'reviewedBy' | 'reviewedAt'
  >,
): Promise<void> {
  const { signerId: _signerId, ...changes } = verification
  await tx
    .insert(signerBankVerifications)
    .values(verification)
    .onConflictDoUpdate({
      target: signerBankVerifications.signerId,
      set: { ...changes, reviewDecision: null, reviewNote: null, reviewedBy: null, reviewedAt: null },
    })
}

/**
 * Locks the signer's verification row (if any) until the transaction ends, so a review and a new
 * account chosen by the signer at the same moment happen one after the other: the review either sees
 * the new account, or the new account replaces the reviewed one (and clears the review) after it.
 */
export async function lockBankVerification(tx: Queryable, signerId: string): Promise<void> {
  await tx
    .select({ signerId: signerBankVerifications.signerId })
    .from(signerBankVerifications)
    .where(eq(signerBankVerifications.signerId, signerId))
    .for('update')
}

export async function saveOwnershipReview(
  tx: Queryable,
  signerId: string,
  review: { decision: OwnershipReviewDecision; note: string; reviewedBy: string; reviewedAt: Date },
): Promise<void> {
  await tx
    .update(signerBankVerifications)
    .set({
      reviewDecision: review.decision,
      reviewNote: review.note,
      reviewedBy: review.reviewedBy,
      reviewedAt: review.reviewedAt,
    })
    .where(eq(signerBankVerifications.signerId, signerId))
}

/** Signers of active packages whose payout account is on this Plaid Item: webhooks append to their chains. */
export async function findActiveSignersByPlaidItem(
  db: Queryable,
  plaidItemId: string,
): Promise<Array<{ signerId: string; packageId: string; workspaceId: string }>> {
  return db
    .select({
      signerId: signers.id,
      packageId: signingPackages.id,
      workspaceId: signingPackages.workspaceId,
    })
    .from(signerBankVerifications)
    .innerJoin(signers, eq(signers.id, signerBankVerifications.signerId))
    .innerJoin(signingPackages, eq(signingPackages.id, signers.packageId))
    .where(and(eq(signerBankVerifications.plaidItemId, plaidItemId), eq(signingPackages.status, 'active')))
}

// ---------------------------------------------------------------- links

export async function insertLink(
  tx: Queryable,
  link: { signerId: string; tokenHash: string; expiresAt: Date },
): Promise<{ id: string }> {
  const [row] = await tx.insert(signingLinks).values(link).returning({ id: signingLinks.id })
  return row as { id: string }
}

/** Revokes every live link of these signers; returns the revoked links' ids. */
export async function revokeLinks(tx: Queryable, signerIds: string[], now: Date): Promise<string[]> {
  if (signerIds.length === 0) return []
  const revoked = await tx
    .update(signingLinks)
    .set({ revokedAt: now })
    .where(and(inArray(signingLinks.signerId, signerIds), isNull(signingLinks.revokedAt)))
    .returning({ id: signingLinks.id })
  return revoked.map((row) => row.id)
}

export type LinkRecord = {
  linkId: string
  expiresAt: Date
  revokedAt: Date | null
  signerId: string
  legalName: string
  email: string
  packageId: string
  packageStatus: PackageStatus
  workspaceId: string
}

export async function findLinkByTokenHash(db: Queryable, tokenHash: string): Promise<LinkRecord | null> {
  const [row] = await db
    .select({
      linkId: signingLinks.id,
      expiresAt: signingLinks.expiresAt,
      revokedAt: signingLinks.revokedAt,
      signerId: signers.id,
      legalName: signers.legalName,
      email: signers.email,
      packageId: signingPackages.id,
      packageStatus: signingPackages.status,
      workspaceId: signingPackages.workspaceId,
    })
    .from(signingLinks)
    .innerJoin(signers, eq(signers.id, signingLinks.signerId))
    .innerJoin(signingPackages, eq(signingPackages.id, signers.packageId))
    .where(eq(signingLinks.tokenHash, tokenHash))
    .limit(1)
  return row ?? null
}

export async function hasLiveLink(db: Queryable, signerId: string, now: Date): Promise<boolean> {
  const [row] = await db
    .select({ id: signingLinks.id })
    .from(signingLinks)
    .where(
      and(
        eq(signingLinks.signerId, signerId),
        isNull(signingLinks.revokedAt),
        gt(signingLinks.expiresAt, now),
      ),
    )
    .limit(1)
  return row !== undefined
}

// ---------------------------------------------------------------- workspace policy and names

export async function findOwnershipPolicy(
  db: Queryable,
  workspaceId: string,
): Promise<OwnershipPolicy | null> {
  const [row] = await db
    .select({
      verifiedNameScore: workspaceSigningSettings.verifiedNameScore,
      reviewNameScore: workspaceSigningSettings.reviewNameScore,
      isMatchRequired: workspaceSigningSettings.isMatchRequired,
    })
    .from(workspaceSigningSettings)
    .where(eq(workspaceSigningSettings.workspaceId, workspaceId))
    .limit(1)
  return row ?? null
}

export async function saveOwnershipPolicy(
  db: Queryable,
  workspaceId: string,
  policy: OwnershipPolicy,
): Promise<void> {
  const values = { ...policy, updatedAt: new Date() }
  await db
    .insert(workspaceSigningSettings)
    .values({ workspaceId, ...values })
    .onConflictDoUpdate({ target: workspaceSigningSettings.workspaceId, set: values })
}

export async function findWorkspaceName(db: Queryable, workspaceId: string): Promise<string> {
  const [row] = await db
    .select({ name: workspaces.name })
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId))
    .limit(1)
  return row?.name ?? ''
}

export async function findUserNames(
  db: Queryable,
  userIds: string[],
): Promise<Map<string, { name: string; email: string }>> {
  if (userIds.length === 0) return new Map()
  const rows = await db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(users)
    .where(inArray(users.id, userIds))
  return new Map(rows.map((row) => [row.id, { name: row.name, email: row.email }]))
}

// node-postgres parses timestamps in subqueries to Date; PGlite may hand back a string.
function toDateOrNull(value: unknown): Date | null {
  if (value === null || value === undefined) return null
  return value instanceof Date ? value : new Date(String(value))
}

// ---------------------------------------------------------------- fields

export type FieldRow = {
  id: string
  documentId: string
  signerId: string
  position: number
  type: FieldType
  page: number
  x: number
  y: number
  width: number
  height: number
  isRequired: boolean
  label: string | null
  value: string | boolean | null
}

const fieldColumns = {
  id: signingDocumentFields.id,
  documentId: signingDocumentFields.documentId,
  signerId: signingDocumentFields.signerId,
  position: signingDocumentFields.position,
  type: signingDocumentFields.type,
  page: signingDocumentFields.page,
  x: signingDocumentFields.x,
  y: signingDocumentFields.y,
  width: signingDocumentFields.width,
  height: signingDocumentFields.height,
  isRequired: signingDocumentFields.isRequired,
  label: signingDocumentFields.label,
  value: signingDocumentFields.value,
}

/** Every field of a package's documents, in document then field order. */
export async function listPackageFields(db: Queryable, packageId: string): Promise<FieldRow[]> {
  const rows = await db
    .select(fieldColumns)
    .from(signingDocumentFields)
    .innerJoin(signingDocuments, eq(signingDocuments.id, signingDocumentFields.documentId))
    .where(eq(signingDocuments.packageId, packageId))
    .orderBy(asc(signingDocuments.position), asc(signingDocumentFields.position))
  return rows.map((row) => ({ ...row, value: row.value ?? null }))
}

/** Replaces a document's fields with `fields` (in that order); returns the stored rows. */
export async function replaceFields(
  tx: Queryable,
  documentId: string,
  fields: Array<Omit<FieldRow, 'id' | 'documentId' | 'position' | 'value'>>,
): Promise<FieldRow[]> {
  await tx.delete(signingDocumentFields).where(eq(signingDocumentFields.documentId, documentId))
  if (fields.length === 0) return []
  const rows = await tx
    .insert(signingDocumentFields)
    .values(fields.map((field, index) => ({ ...field, documentId, position: index + 1 })))
    .returning(fieldColumns)
  return rows.map((row) => ({ ...row, value: row.value ?? null })).sort((a, b) => a.position - b.position)
}

export async function saveFieldValue(tx: Queryable, fieldId: string, value: string | boolean): Promise<void> {
  await tx.update(signingDocumentFields).set({ value }).where(eq(signingDocumentFields.id, fieldId))
}

export async function setDocumentPageCount(
  db: Queryable,
  documentId: string,
  pageCount: number,
): Promise<void> {
  await db.update(signingDocuments).set({ pageCount }).where(eq(signingDocuments.id, documentId))
}

// ---------------------------------------------------------------- adopted signatures

export type SignatureRow = {
  signerId: string
  kind: SignatureKind
  method: 'typed' | 'drawn'
  png: Uint8Array | null
  typedText: string | null
  sha256: string
}

export async function insertSignerSignature(tx: Queryable, signature: SignatureRow): Promise<void> {
  await tx.insert(signerSignatures).values(signature)
}

export async function listPackageSignatures(db: Queryable, packageId: string): Promise<SignatureRow[]> {
  return db
    .select({
      signerId: signerSignatures.signerId,
      kind: signerSignatures.kind,
      method: signerSignatures.method,
      png: signerSignatures.png,
      typedText: signerSignatures.typedText,
      sha256: signerSignatures.sha256,
    })
    .from(signerSignatures)
    .innerJoin(signers, eq(signers.id, signerSignatures.signerId))
    .where(eq(signers.packageId, packageId))
}

/** Every document of a package with its content (Markdown text or PDF bytes), in package order. */
export async function listDocumentContents(db: Queryable, packageId: string): Promise<DocumentContent[]> {
  return db
    .select({ ...documentSummaryColumns, markdown: signingDocuments.markdown, pdf: signingDocuments.pdf })
    .from(signingDocuments)
    .where(eq(signingDocuments.packageId, packageId))
    .orderBy(asc(signingDocuments.position))
}

// ---------------------------------------------------------------- seals

export type SealSummary = {
  packageId: string
  sha256: string
  byteSize: number
  pageCount: number
  certificatePageCount: number
  certificateSha256: string
  sealedAt: Date
}

const sealSummaryColumns = {
  packageId: signingSeals.packageId,
  sha256: signingSeals.sha256,
  byteSize: signingSeals.byteSize,
  pageCount: signingSeals.pageCount,
  certificatePageCount: signingSeals.certificatePageCount,
  certificateSha256: signingSeals.certificateSha256,
  sealedAt: signingSeals.sealedAt,
}

export async function findSeal(db: Queryable, packageId: string): Promise<SealSummary | null> {
  const [row] = await db
    .select(sealSummaryColumns)
    .from(signingSeals)
    .where(eq(signingSeals.packageId, packageId))
    .limit(1)
  return row ?? null
}

export async function findSealPdf(db: Queryable, packageId: string): Promise<Uint8Array | null> {
  const [row] = await db
    .select({ pdf: signingSeals.pdf })
    .from(signingSeals)
    .where(eq(signingSeals.packageId, packageId))
    .limit(1)
  return row?.pdf ?? null
}

export async function findSealBySha256(
  db: Queryable,
  sha256: string,
): Promise<(SealSummary & { workspaceId: string }) | null> {
  const [row] = await db
    .select({ ...sealSummaryColumns, workspaceId: signingPackages.workspaceId })
    .from(signingSeals)
    .innerJoin(signingPackages, eq(signingPackages.id, signingSeals.packageId))
    .where(eq(signingSeals.sha256, sha256))
    .limit(1)
  return row ?? null
}

/** Stores the sealed PDF; false when the package already had one (a retried or concurrent job). */
export async function insertSeal(
  tx: Queryable,
  seal: SealSummary & { pdf: Uint8Array; details: Record<string, unknown> },
): Promise<boolean> {
  const inserted = await tx
    .insert(signingSeals)
    .values(seal)
    .onConflictDoNothing({ target: signingSeals.packageId })
    .returning({ packageId: signingSeals.packageId })
  return inserted.length > 0
}

// ---------------------------------------------------------------- seal certificates

export type StoredSealCertificate = {
  source: SealCertificateSource
  certificatePem: string
  keyCiphertext: string
  keyKeyId: string
}

export async function findSealCertificate(
  db: Queryable,
  workspaceId: string,
): Promise<StoredSealCertificate | null> {
  const [row] = await db
    .select({
      source: workspaceSealCertificates.source,
      certificatePem: workspaceSealCertificates.certificatePem,
      keyCiphertext: workspaceSealCertificates.keyCiphertext,
      keyKeyId: workspaceSealCertificates.keyKeyId,
    })
    .from(workspaceSealCertificates)
    .where(eq(workspaceSealCertificates.workspaceId, workspaceId))
    .limit(1)
  return row ?? null
}

/** An administrator's certificate replaces whatever the workspace had. */
export async function saveUploadedSealCertificate(
  db: Queryable,
  workspaceId: string,
  certificate: Omit<StoredSealCertificate, 'source'>,
): Promise<void> {
  const values = { ...certificate, source: 'uploaded' as const, createdAt: new Date() }
  await db
    .insert(workspaceSealCertificates)
    .values({ workspaceId, ...values })
    .onConflictDoUpdate({ target: workspaceSealCertificates.workspaceId, set: values })
}

/** Forgets the workspace's certificate: the next seal makes a new demo one. */
export async function deleteSealCertificate(db: Queryable, workspaceId: string): Promise<boolean> {
  const deleted = await db
    .delete(workspaceSealCertificates)
    .where(eq(workspaceSealCertificates.workspaceId, workspaceId))
    .returning({ workspaceId: workspaceSealCertificates.workspaceId })
  return deleted.length > 0
}

/** Stores a workspace's first certificate; a concurrent first use keeps whichever came first. */
export async function insertSealCertificate(
  db: Queryable,
  workspaceId: string,
  certificate: StoredSealCertificate,
): Promise<void> {
  await db
    .insert(workspaceSealCertificates)
    .values({ workspaceId, ...certificate })
    .onConflictDoNothing({ target: workspaceSealCertificates.workspaceId })
}

export async function listSealCertificateKeys(
  db: Queryable,
): Promise<Array<{ workspaceId: string; keyCiphertext: string; keyKeyId: string }>> {
  return db
    .select({
      workspaceId: workspaceSealCertificates.workspaceId,
      keyCiphertext: workspaceSealCertificates.keyCiphertext,
      keyKeyId: workspaceSealCertificates.keyKeyId,
    })
    .from(workspaceSealCertificates)
}

export async function replaceSealKeyCiphertext(
  db: Queryable,
  workspaceId: string,
  encrypted: { keyCiphertext: string; keyKeyId: string },
): Promise<void> {
  await db
    .update(workspaceSealCertificates)
    .set(encrypted)
    .where(eq(workspaceSealCertificates.workspaceId, workspaceId))
}
