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
import type { CmsSigningKey } from './cms.ts'
import * as repository from './repository.ts'

const KEY_PURPOSE = 'workspace_seal_certificates.private_key'
const DEMO_VALIDITY_YEARS = 3

export type SealKey = CmsSigningKey & { source: 'generated' | 'configured'; certificate: X509Certificate }

export type SealCertificateView = {
  source: 'generated' | 'configured'
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
  p12: { path: string; password: string } | null
  now?: () => Date
}) {
  const now = deps.now ?? (() => new Date())
  let configured: Promise<SealKey> | null = null

  async function loadConfigured(p12: { path: string; password: string }): Promise<SealKey> {
    const bytes = await readFile(p12.path)
    let parsed: forge.pkcs12.Pkcs12Pfx
    try {
      parsed = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(bytes.toString('binary')), false, p12.password)
    } catch (error) {
      throw new Error(`SEAL_P12_PATH could not be opened with SEAL_P12_PASSWORD: ${(error as Error).message}`)
    }
    const oids = forge.pki.oids as Record<string, string>
    const bagsOf = (type: string) => parsed.getBags({ bagType: type })[type] ?? []
    const keyBag = bagsOf(oids.pkcs8ShroudedKeyBag as string)[0] ?? bagsOf(oids.keyBag as string)[0]
    if (!keyBag?.key) throw new Error('SEAL_P12_PATH holds no private key')
    const key = keyBag.key as forge.pki.rsa.PrivateKey
    const certificates = bagsOf(oids.certBag as string)
    const match = certificates.find((bag: forge.pkcs12.Bag) => {
      const publicKey = bag.cert?.publicKey as forge.pki.rsa.PublicKey | undefined
      return publicKey && publicKey.n.compareTo(key.n) === 0 && publicKey.e.compareTo(key.e) === 0
    })
    if (!match?.cert) throw new Error('SEAL_P12_PATH holds no certificate for its private key')
    return toSealKey(forge.pki.certificateToPem(match.cert), forge.pki.privateKeyToPem(key), 'configured')
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
    return toSealKey(stored.certificatePem, privatePem, 'generated')
  }

  return {
    signingKey,

    async describe(workspaceId: string): Promise<SealCertificateView> {
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
    },
  }
}

/** `npm run keys:rotate`: re-encrypts the demo seal keys still under an older key; returns how many. */
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
