import type { Queryable } from '../../../db/client.ts'
import type { PackageStatus } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import type { MemberSession } from '../auth/service.ts'
import type { SigningDeps } from './manager-service.ts'
import { payoutPackageView } from './payout-service.ts'
import { ownershipPolicyOf } from './policy-service.ts'
import * as repository from './repository.ts'
import { type PackageView, packageView } from './views.ts'

export type ManagerPackageView = PackageView & Awaited<ReturnType<typeof payoutPackageView>>

export type PackageAccess = ReturnType<typeof createPackageAccess>

/**
 * What every manager use case starts from: a package of the session's workspace (anything else is
 * "not found"), locked in a state that allows the change, and the package as managers see it.
 */
export function createPackageAccess(deps: Pick<SigningDeps, 'db' | 'now'>) {
  const { db } = deps
  const now = deps.now ?? (() => new Date())

  async function requirePackage(session: MemberSession, packageId: string) {
    const pkg = await repository.findPackage(db, session.workspace.id, packageId)
    if (!pkg) throw new AppError('NOT_FOUND', 'No such signing package in this workspace.')
    return pkg
  }

  /** The package as managers see it, with its payout instructions and alerts. */
  async function viewOf(pkg: repository.PackageRow): Promise<ManagerPackageView> {
    const [documents, signers, policy, fields, seal] = await Promise.all([
      repository.listDocuments(db, pkg.id),
      repository.listSigners(db, pkg.id, now()),
      ownershipPolicyOf(db, pkg.workspaceId),
      repository.listPackageFields(db, pkg.id),
      repository.findSeal(db, pkg.id),
    ])
    return {
      ...packageView(pkg, documents, signers, policy, fields, seal),
      ...(await payoutPackageView(
        db,
        pkg,
        signers.map((signer) => signer.id),
      )),
    }
  }

  return {
    requirePackage,
    viewOf,

    async view(session: MemberSession, packageId: string): Promise<ManagerPackageView> {
      return viewOf(await requirePackage(session, packageId))
    },

    /** Locks the package for a change that is only allowed in `allowed` states (`refusal` says why). */
    async lockInState(
      tx: Queryable,
      session: MemberSession,
      packageId: string,
      allowed: PackageStatus[],
      refusal = 'that change is not possible now.',
    ) {
      const pkg = await repository.lockPackage(tx, packageId)
      if (!pkg || pkg.workspaceId !== session.workspace.id) {
        throw new AppError('NOT_FOUND', 'No such signing package in this workspace.')
      }
      if (!allowed.includes(pkg.status)) {
        throw new AppError('CONFLICT', `This package is ${pkg.status}; ${refusal}`, {
          details: { status: pkg.status },
        })
      }
      return pkg
    },
  }
}
