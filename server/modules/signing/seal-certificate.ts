import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from 'node:crypto'
import { readFile } from 'node:fs/promises'
import forge from 'node-forge'
import type { Database } from '../../../db/client.ts'
import { AppError } from '../../errors.ts'
import { type Keyring, rotateStoredValues } from '../../security/keyring.ts'
import { auditEvent, requestActor, workspaceChain } from '../audit/events.ts'
import type { AuditService } from '../audit/service.ts'
import type { MemberSession, RequestOrigin } from '../auth/service.ts'
import type { CmsSigningKey } from './cms.ts'
import * as repository from './repository.ts'

const KEY_PURPOSE = 'workspace_seal_certificates.private_key'
const DEMO_VALIDITY_YEARS = 3

export type SealKey = CmsSigningKey & {
  source: 'generated' | 'uploaded' | 'configured'
  certificate: X509Certificate
}

export type SealCertificateView = {
  source: SealKey['source']
  subject: string
  issuer: string
  not_before: string
  not_after: string
  sha256_fingerprint: string
  expired: boolean
}

export type SealCertificateService = ReturnType<typeof createSealCertificateService>

/**
 * The key and certificate that seal a workspace's completed packages. A PKCS#12 file configured with
 * SEAL_P12_PATH and SEAL_P12_PASSWORD serves every workspace; without one, each workspace gets a
 * self-signed demo certificate on first use, its private key encrypted with the keyring.
 */
export function createSealCertificateService(deps: {
  db: Database
  keyring: Keyring
  audit: AuditService
  p12: { path: string; password: string } | null
  now?: () => Date
}) {
  const now = deps.now ?? (() => new Date())
  let configured: Promise<SealKey> | null = null

  async function loadConfigured(p12: { path: string; password: string }): Promise<SealKey> {
    const parsed = parseP12(await readFile(p12.path), p12.password)
    if (typeof parsed === 'string') throw new Error(`SEAL_P12_PATH: ${parsed}`)
    return toSealKey(parsed.certificatePem, parsed.privatePem, 'configured')
  }

  async function generate(workspaceId: string): Promise<void> {
    if (!deps.keyring.status.isConfigured) {
      throw new AppError(
        'ENCRYPTION_KEY_MISSING',
        'The sealing certificate cannot be created because no encryption key is configured on the server.',
      )
    }
    const workspaceName = await repository.findWorkspaceName(deps.db, workspaceId)
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const certificate = forge.pki.createCertificate()
    certificate.publicKey = forge.pki.publicKeyFromPem(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    )
    // A positive serial: the first byte's high bit clear.
    certificate.serialNumber = `01${randomBytes(15).toString('hex')}`
    const notBefore = new Date(now().getTime() - 60_000)
    const notAfter = new Date(notBefore)
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + DEMO_VALIDITY_YEARS)
    certificate.validity.notBefore = notBefore
    certificate.validity.notAfter = notAfter
    const name = [
      { name: 'commonName', value: `Safeclose seal (demo): ${workspaceName || workspaceId}`.slice(0, 64) },
      { name: 'organizationName', value: 'Safeclose (self-signed demo certificate)' },
    ]
    certificate.setSubject(name)
    certificate.setIssuer(name)
    certificate.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
      { name: 'subjectKeyIdentifier' },
    ])
    certificate.sign(
      forge.pki.privateKeyFromPem(privatePem) as forge.pki.rsa.PrivateKey,
      forge.md.sha256.create(),
    )
    const encrypted = deps.keyring.encrypt(privatePem, { purpose: KEY_PURPOSE, rowId: workspaceId })
    await repository.insertSealCertificate(deps.db, workspaceId, {
      source: 'generated',
      certificatePem: forge.pki.certificateToPem(certificate),
      keyCiphertext: encrypted.ciphertext,
      keyKeyId: encrypted.keyId,
    })
  }

  async function signingKey(workspaceId: string): Promise<SealKey> {
    if (deps.p12) {
      configured ??= loadConfigured(deps.p12).catch((error) => {
        configured = null
        throw error
      })
      return configured
    }
    let stored = await repository.findSealCertificate(deps.db, workspaceId)
    if (!stored) {
      await generate(workspaceId)
      // Two first uses at once keep the first certificate stored (insert … on conflict do nothing).
      stored = await repository.findSealCertificate(deps.db, workspaceId)
    }
    if (!stored) throw new Error('the sealing certificate could not be stored')
    const privatePem = deps.keyring.decrypt(
      { keyId: stored.keyKeyId, ciphertext: stored.keyCiphertext },
      { purpose: KEY_PURPOSE, rowId: workspaceId },
    )
    return toSealKey(stored.certificatePem, privatePem, stored.source)
  }

  async function describe(workspaceId: string): Promise<SealCertificateView> {
    const key = await signingKey(workspaceId)
    const certificate = key.certificate
    return {
      source: key.source,
      subject: certificate.subject.replaceAll('\n', ', '),
      issuer: certificate.issuer.replaceAll('\n', ', '),
      not_before: new Date(certificate.validFrom).toISOString(),
      not_after: new Date(certificate.validTo).toISOString(),
      sha256_fingerprint: createHash('sha256').update(key.certificateDer).digest('hex'),
      expired: new Date(certificate.validTo).getTime() <= now().getTime(),
    }
  }

  return {
    signingKey,
    describe,

    /**
     * An administrator's PKCS#12 (certificate and private key) becomes the workspace's sealing
     * certificate: checked (it opens with the password, the key matches, it is valid now), the key
     * stored encrypted. SEAL_P12_PATH, when set, still wins: it is the operator's choice.
     */
    async upload(session: MemberSession, p12: Buffer, password: string, origin: RequestOrigin) {
      if (!deps.keyring.status.isConfigured) {
        throw new AppError(
          'ENCRYPTION_KEY_MISSING',
          'The certificate cannot be stored because no encryption key is configured on the server.',
        )
      }
      const parsed = parseP12(p12, password)
      if (typeof parsed === 'string') throw new AppError('VALIDATION_FAILED', `body.p12_base64: ${parsed}`)
      const certificate = new X509Certificate(parsed.certificatePem)
      const at = now().getTime()
      if (new Date(certificate.validTo).getTime() <= at || new Date(certificate.validFrom).getTime() > at) {
        throw new AppError(
          'VALIDATION_FAILED',
          `body.p12_base64: the certificate is valid from ${new Date(certificate.validFrom).toISOString()} to ${new Date(certificate.validTo).toISOString()}, not now.`,
        )
      }
      const workspaceId = session.workspace.id
      const encrypted = deps.keyring.encrypt(parsed.privatePem, { purpose: KEY_PURPOSE, rowId: workspaceId })
      await deps.db.transaction(async (tx) => {
        await repository.saveUploadedSealCertificate(tx, workspaceId, {
          certificatePem: parsed.certificatePem,
          keyCiphertext: encrypted.ciphertext,
          keyKeyId: encrypted.keyId,
        })
        await deps.audit.record(
          auditEvent(requestActor(session, origin), 'workspace.seal_certificate_uploaded', {
            chain: workspaceChain(session.workspace.id),
            subject: { type: 'workspace', id: session.workspace.id },
            details: {
              subject: certificate.subject.replaceAll('\n', ', '),
              not_after: new Date(certificate.validTo).toISOString(),
              sha256_fingerprint: createHash('sha256').update(certificate.raw).digest('hex'),
            },
          }),
          tx,
        )
      })
      return describe(workspaceId)
    },

    /** Removes the workspace's certificate (uploaded or generated); the next seal makes a demo one. */
    async remove(session: MemberSession, origin: RequestOrigin) {
      await deps.db.transaction(async (tx) => {
        if (await repository.deleteSealCertificate(tx, session.workspace.id)) {
          await deps.audit.record(
            auditEvent(requestActor(session, origin), 'workspace.seal_certificate_removed', {
              chain: workspaceChain(session.workspace.id),
              subject: { type: 'workspace', id: session.workspace.id },
              details: {},
            }),
            tx,
          )
        }
      })
      return describe(session.workspace.id)
    },
  }
}

/** A PKCS#12's certificate and matching private key as PEM, or why it cannot be used. */
function parseP12(bytes: Buffer, password: string): { certificatePem: string; privatePem: string } | string {
  let parsed: forge.pkcs12.Pkcs12Pfx
  try {
    parsed = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), false, password)
  } catch {
    return 'the PKCS#12 file could not be opened (not a PKCS#12 file, or a wrong password).'
  }
  const oids = forge.pki.oids as Record<string, string>
  const bagsOf = (type: string) => parsed.getBags({ bagType: type })[type] ?? []
  const keyBag = bagsOf(oids.pkcs8ShroudedKeyBag as string)[0] ?? bagsOf(oids.keyBag as string)[0]
  const key = keyBag?.key as forge.pki.rsa.PrivateKey | undefined
  if (!key?.n) return 'the PKCS#12 file holds no RSA private key.'
  const match = bagsOf(oids.certBag as string).find((bag: forge.pkcs12.Bag) => {
    const publicKey = bag.cert?.publicKey as forge.pki.rsa.PublicKey | undefined
    return publicKey?.n && publicKey.n.compareTo(key.n) === 0 && publicKey.e.compareTo(key.e) === 0
  })
  if (!match?.cert) return 'the PKCS#12 file holds no certificate for its private key.'
  return {
    certificatePem: forge.pki.certificateToPem(match.cert),
    privatePem: forge.pki.privateKeyToPem(key),
  }
}

/** `npm run keys:rotate`: re-encrypts the stored seal keys still under an older key; returns how many. */
export async function rotateStoredSealKeys(deps: { db: Database; keyring: Keyring }): Promise<number> {
  const stored = (await repository.listSealCertificateKeys(deps.db)).map((row) => ({
    rowId: row.workspaceId,
    value: { keyId: row.keyKeyId, ciphertext: row.keyCiphertext },
  }))
  return rotateStoredValues(deps.keyring, KEY_PURPOSE, stored, (workspaceId, encrypted) =>
    repository.replaceSealKeyCiphertext(deps.db, workspaceId, {
      keyCiphertext: encrypted.ciphertext,
      keyKeyId: encrypted.keyId,
    }),
  )
}

function toSealKey(certificatePem: string, privatePem: string, source: SealKey['source']): SealKey {
  const certificate = new X509Certificate(certificatePem)
  const privateKey: KeyObject = createPrivateKey(privatePem)
  return { certificate, certificateDer: certificate.raw, privateKey, source }
}
