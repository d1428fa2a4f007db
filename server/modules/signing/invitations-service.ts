import type { Queryable } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import { auditEvent, requestActor, signingChain } from '../audit/events.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import { signingCompletedEmail, signingInvitationEmail } from '../email/templates.ts'
import { newLinkToken, signingUrl } from './links.ts'
import type { SigningDeps } from './manager-service.ts'
import type { PackageAccess } from './package-access.ts'
import * as repository from './repository.ts'
import type { PackageView } from './views.ts'

export type Invitation = {
  signer_id: string
  email: string
  expires_at: string
  /** True when the invitation went out by e-mail; then the link is not shown to the manager. */
  emailed: boolean
  /** The signing link to hand over yourself; null once it was e-mailed. */
  url: string | null
}

type IssuedLink = { signerId: string; token: string; expiresAt: Date }

/**
 * A draft's signers, and their signing links: activation invites every signer, a resend replaces
 * one signer's link, and after sealing each signer gets a link to the signed copy.
 */
export function createInvitationsService(deps: SigningDeps, access: PackageAccess) {
  const { db, audit } = deps
  const now = deps.now ?? (() => new Date())

  /**
   * An expired sealing certificate would leave every completed package unsealed: refuse to activate.
   * A certificate that cannot be read yet (no encryption key) does not block here; sealing reports it.
   */
  async function requireUsableSealCertificate(workspaceId: string) {
    if (!deps.sealCertificates) return
    let certificate: { expired: boolean; not_after: string; source: string }
    try {
      certificate = await deps.sealCertificates.describe(workspaceId)
    } catch (error) {
      if (error instanceof AppError && error.code === 'ENCRYPTION_KEY_MISSING') return
      throw error
    }
    if (certificate.expired) {
      throw new AppError(
        'CONFLICT',
        `The sealing certificate expired on ${certificate.not_after.slice(0, 10)}, so completed packages could not be sealed. An administrator must configure a valid one${certificate.source === 'configured' ? ' (SEAL_P12_PATH)' : ''} before packages can be activated.`,
        { details: { seal_certificate_not_after: certificate.not_after } },
      )
    }
  }

  /** Issues a fresh link for each signer (revoking older ones) inside `tx`; returns tokens to deliver. */
  async function issueLinks(tx: Queryable, signers: Array<{ id: string }>): Promise<IssuedLink[]> {
    const revoked = await repository.revokeLinks(
      tx,
      signers.map((signer) => signer.id),
      now(),
    )
    await deps.auth.endSigningLinkSessions(revoked, tx)
    const expiresAt = new Date(now().getTime() + deps.linkTtlHours * 3_600_000)
    const issued: IssuedLink[] = []
    for (const signer of signers) {
      const { token, tokenHash } = newLinkToken()
      await repository.insertLink(tx, { signerId: signer.id, tokenHash, expiresAt })
      issued.push({ signerId: signer.id, token, expiresAt })
    }
    return issued
  }

  /** Delivers links after the commit (SMTP is slow and may fail; the links already exist). */
  async function deliver(
    session: MemberSession,
    origin: RequestOrigin,
    pkg: repository.PackageRow,
    issued: IssuedLink[],
    resent: boolean,
  ): Promise<Invitation[]> {
    const signers = await repository.listSigners(db, pkg.id, now())
    // All messages at once: a slow or silent SMTP server then costs the manager one timeout, not
    // one per signer. The audit events follow in the signers' order, one after another (a chain).
    const deliveries = await Promise.all(
      issued.map(async (link) => {
        const signer = signers.find((candidate) => candidate.id === link.signerId)
        if (!signer) return null
        const url = signingUrl(deps.publicUrl, link.token)
        const emailed = await deps.outbox.send(
          {
            ...signingInvitationEmail({
              to: signer.email,
              signerName: signer.legalName,
              packageTitle: pkg.title,
              senderWorkspace: session.workspace.name,
              signingUrl: url,
              expiresAt: link.expiresAt,
            }),
            kind: 'signer_invitation',
            workspaceIds: [pkg.workspaceId],
          },
          { signing_id: pkg.id, signer_id: signer.id },
        )
        return { link, signer, url, emailed }
      }),
    )
    const invitations: Invitation[] = []
    for (const delivery of deliveries) {
      if (!delivery) continue
      const { link, signer, url, emailed } = delivery
      // Without an e-mail the manager hands the link over: the trail says a link was issued.
      const action = emailed
        ? resent
          ? 'signer.invitation_resent'
          : 'signer.invitation_sent'
        : resent
          ? 'signer.link_reissued'
          : 'signer.link_issued'
      await audit.record(
        auditEvent(requestActor(session, origin), action, {
          chain: signingChain(pkg),
          subject: { type: 'signer', id: signer.id },
          details: {
            email: signer.email,
            delivery: emailed ? 'email' : 'manual',
            expires_at: link.expiresAt.toISOString(),
          },
        }),
      )
      invitations.push({
        signer_id: signer.id,
        email: signer.email,
        expires_at: link.expiresAt.toISOString(),
        emailed,
        url: emailed ? null : url,
      })
    }
    return invitations
  }

  return {
    async addSigner(
      session: MemberSession,
      packageId: string,
      input: { legal_name: string; email: string; bank_required?: boolean },
      origin: RequestOrigin,
    ): Promise<PackageView> {
      const email = input.email.trim()
      await db.transaction(async (tx) => {
        const pkg = await access.lockInState(tx, session, packageId, ['draft'])
        if (await repository.isSignerEmailTaken(tx, packageId, email)) {
          throw new AppError('CONFLICT', 'This package already has a signer with that e-mail address.')
        }
        const signer = await repository.insertSigner(tx, {
          packageId,
          legalName: input.legal_name.trim().replace(/\s+/g, ' '),
          email,
          isBankRequired: input.bank_required ?? true,
        })
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.signer_added', {
            chain: signingChain(pkg),
            subject: { type: 'signer', id: signer.id },
            details: {
              legal_name: input.legal_name.trim(),
              email,
              bank_required: input.bank_required ?? true,
            },
          }),
          tx,
        )
      })
      return access.view(session, packageId)
    },

    async removeSigner(
      session: MemberSession,
      packageId: string,
      signerId: string,
      origin: RequestOrigin,
    ): Promise<PackageView> {
      await db.transaction(async (tx) => {
        const pkg = await access.lockInState(tx, session, packageId, ['draft'])
        if (!(await repository.deleteSigner(tx, packageId, signerId))) {
          throw new AppError('NOT_FOUND', 'No such signer in this package.')
        }
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.signer_removed', {
            chain: signingChain(pkg),
            subject: { type: 'signer', id: signerId },
          }),
          tx,
        )
      })
      return access.view(session, packageId)
    },

    async activate(
      session: MemberSession,
      packageId: string,
      origin: RequestOrigin,
    ): Promise<{ signing: PackageView; invitations: Invitation[] }> {
      await requireUsableSealCertificate(session.workspace.id)
      const { pkg, issued } = await db.transaction(async (tx) => {
        const locked = await access.lockInState(tx, session, packageId, ['draft'])
        const [documentCount, signers] = await Promise.all([
          repository.countDocuments(tx, packageId),
          repository.listSigners(tx, packageId, now()),
        ])
        if (documentCount === 0 || signers.length === 0) {
          throw new AppError('CONFLICT', 'Add at least one document and one signer before activating.')
        }
        await repository.updatePackage(tx, packageId, { status: 'active', activatedAt: now() })
        await audit.record(
          auditEvent(requestActor(session, origin), 'signing.activated', {
            chain: signingChain(locked),
            subject: { type: 'signing', id: packageId },
            details: { document_count: documentCount, signer_count: signers.length },
          }),
          tx,
        )
        return { pkg: locked, issued: await issueLinks(tx, signers) }
      })
      const invitations = await deliver(session, origin, pkg, issued, false)
      return { signing: await access.view(session, packageId), invitations }
    },

    /** Replaces a signer's link with a new one (the old one stops working) and delivers it again. */
    async resend(
      session: MemberSession,
      packageId: string,
      signerId: string,
      origin: RequestOrigin,
    ): Promise<{ invitation: Invitation }> {
      const { pkg, issued } = await db.transaction(async (tx) => {
        const locked = await access.lockInState(tx, session, packageId, ['active'])
        const signer = (await repository.listSigners(tx, packageId, now())).find((row) => row.id === signerId)
        if (!signer) throw new AppError('NOT_FOUND', 'No such signer in this package.')
        if (signer.status === 'signed') throw new AppError('CONFLICT', 'This signer has already signed.')
        return { pkg: locked, issued: await issueLinks(tx, [signer]) }
      })
      const [invitation] = await deliver(session, origin, pkg, issued, true)
      if (!invitation) throw new AppError('INTERNAL', 'The new signing link could not be read back.')
      return { invitation }
    },

    /**
     * After sealing: sends each signer a fresh personal link to the signed PDF, through the outbox (so
     * without SMTP an admin can hand it over). Their older links stay valid (revoking them would end
     * the sessions of signers waiting on the done page). Each message joins the chain as
     * `signer.completion_sent`. Failures are logged, not thrown.
     */
    async sendCompletionLinks(packageId: string, sealSha256: string) {
      const pkg = await repository.findPackageById(db, packageId)
      if (!pkg) return { sent: 0 }
      const [signers, workspaceName] = await Promise.all([
        repository.listSigners(db, packageId, now()),
        repository.findWorkspaceName(db, pkg.workspaceId),
      ])
      const expiresAt = new Date(now().getTime() + deps.linkTtlHours * 3_600_000)
      const issued = await db.transaction(async (tx) => {
        const links: Array<{ signer: repository.SignerRow; token: string }> = []
        for (const signer of signers) {
          const { token, tokenHash } = newLinkToken()
          await repository.insertLink(tx, { signerId: signer.id, tokenHash, expiresAt })
          links.push({ signer, token })
        }
        return links
      })
      const deliveries = await Promise.all(
        issued.map(async ({ signer, token }) => ({
          signer,
          emailed: await deps.outbox.send(
            {
              ...signingCompletedEmail({
                to: signer.email,
                signerName: signer.legalName,
                packageTitle: pkg.title,
                senderWorkspace: workspaceName,
                signingUrl: signingUrl(deps.publicUrl, token),
                expiresAt,
                sha256: sealSha256,
              }),
              kind: 'notification',
              workspaceIds: [pkg.workspaceId],
            },
            { signing_id: packageId, signer_id: signer.id },
          ),
        })),
      )
      for (const { signer, emailed } of deliveries) {
        await audit.record(
          auditEvent('system', 'signer.completion_sent', {
            chain: signingChain(pkg),
            subject: { type: 'signer', id: signer.id },
            details: { email: signer.email, delivered: emailed, expires_at: expiresAt.toISOString() },
          }),
        )
      }
      return { sent: deliveries.filter((delivery) => delivery.emailed).length }
    },
  }
}
