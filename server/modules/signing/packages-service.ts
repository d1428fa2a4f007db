import { AppError } from '../../errors.ts'
import { auditEvent, requestActor, signingChain } from '../audit/events.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import type { SigningDeps } from './manager-service.ts'
import type { PackageAccess } from './package-access.ts'
import * as repository from './repository.ts'
import { canTransition } from './rules.ts'
import type { PackageView } from './views.ts'

/** Packages as a whole: the workspace's list, a new draft, a package's view, cancelling one. */
export function createPackagesService(
  deps: Pick<SigningDeps, 'db' | 'audit' | 'auth' | 'now'>,
  access: PackageAccess,
) {
  const { db, audit } = deps
  const now = deps.now ?? (() => new Date())

  return {
    view: access.view,

    /** A package's view for system work (the sealing job): no session, so no workspace check. */
    async systemView(packageId: string): Promise<PackageView | null> {
      const pkg = await repository.findPackageById(db, packageId)
      return pkg ? access.viewOf(pkg) : null
    },

    async list(session: MemberSession) {
      const rows = await repository.listPackages(db, session.workspace.id)
      return {
        signings: rows.map((row) => ({
          id: row.id,
          title: row.title,
          status: row.status,
          created_at: row.createdAt.toISOString(),
          signer_count: row.signerCount,
          signed_count: row.signedCount,
        })),
      }
    },

    async create(
      session: MemberSession,
      input: { title: string; note?: string | null },
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const pkg = await db.transaction(async (tx) => {
        const created = await repository.insertPackage(tx, {
          workspaceId: session.workspace.id,
          title: input.title.trim(),
          note: input.note?.trim() || null,
          createdBy: session.user.id,
        })
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.created', {
            chain: signingChain(created),
            subject: { type: 'signing', id: created.id },
            details: { title: created.title },
          }),
          tx,
        )
        return created
      })
      return access.view(session, pkg.id)
    },

    async cancel(
      session: MemberSession,
      packageId: string,
      reason: string,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      await db.transaction(async (tx) => {
        const pkg = await access.lockInState(tx, session, packageId, ['draft', 'active'])
        if (!canTransition(pkg.status, 'cancelled'))
          throw new AppError('CONFLICT', 'This package cannot be cancelled.')
        const signers = await repository.listSigners(tx, packageId, now())
        const revoked = await repository.revokeLinks(
          tx,
          signers.map((signer) => signer.id),
          now(),
        )
        await deps.auth.endSigningLinkSessions(revoked, tx)
        await repository.updatePackage(tx, packageId, {
          status: 'cancelled',
          cancelReason: reason.trim(),
          cancelledAt: now(),
        })
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.cancelled', {
            chain: signingChain(pkg),
            subject: { type: 'signing', id: packageId },
            details: { reason: reason.trim() },
          }),
          tx,
        )
      })
      return access.view(session, packageId)
    },
  }
}
