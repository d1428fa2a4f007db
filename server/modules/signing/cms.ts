import {
  createHash,
  createPublicKey,
  createSign,
  createVerify,
  type KeyObject,
  X509Certificate,
} from 'node:crypto'
import forge from 'node-forge'

/**
 * CMS SignedData (RFC 5652), detached, SHA-256 with RSA, as a PAdES baseline signature needs it
 * (ETSI EN 319 142-1, B-B): signed attributes content-type, message-digest and ESS
 * signing-certificate-v2 (RFC 5035), which binds the signer's certificate to the signature; no
 * signing-time attribute (PAdES carries the time in the signature dictionary's /M). Built with
 * node-forge's ASN.1 encoder and signed with node:crypto. @signpdf's P12Signer cannot add
 * signing-certificate-v2 (forge's PKCS#7 writer knows three attributes), hence our own.
 */

const { asn1 } = forge
const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items)
const set = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items)
const oid = (value: string) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(value).getBytes())
const octets = (bytes: Buffer) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes.toString('binary'))
const integer = (value: number) =>
  asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(value).getBytes())
const nullValue = () => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')
const algorithm = (id: string, withNull = true) => seq(withNull ? [oid(id), nullValue()] : [oid(id)])
const attribute = (type: string, value: forge.asn1.Asn1) => seq([oid(type), set([value])])
const der = (value: forge.asn1.Asn1) => Buffer.from(asn1.toDer(value).getBytes(), 'binary')
const fromDer = (bytes: Buffer) => asn1.fromDer(forge.util.createBuffer(bytes.toString('binary')))

/** The parts of a constructed ASN.1 value; anything else is a malformed signature. */
function children(node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Error('malformed CMS structure')
  return node.value
}

export type CmsSigningKey = { certificateDer: Buffer; privateKey: KeyObject }

/** A detached CMS signature of `content` (the PDF's signed byte ranges). */
export function signDetachedCms(content: Buffer, key: CmsSigningKey): Buffer {
  const certificate = fromDer(key.certificateDer)
  const tbs = (certificate.value as forge.asn1.Asn1[])[0] as forge.asn1.Asn1
  const tbsFields = tbs.value as forge.asn1.Asn1[]
  // TBSCertificate: [0] version, serialNumber, signature, issuer, ...
  const hasVersion = tbsFields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC
  const serial = tbsFields[hasVersion ? 1 : 0] as forge.asn1.Asn1
  const issuer = tbsFields[hasVersion ? 3 : 2] as forge.asn1.Asn1

  const signedAttributes = [
    attribute(OID.contentType, oid(OID.data)),
    attribute(OID.messageDigest, octets(createHash('sha256').update(content).digest())),
    // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { certHash } } (hashAlgorithm defaults to SHA-256).
    attribute(
      OID.signingCertificateV2,
      seq([seq([seq([octets(createHash('sha256').update(key.certificateDer).digest())])])]),
    ),
  ]
  // The signature covers the DER of the attributes as a SET OF (tag 0x31), not as the [0] they are stored in.
  const signature = createSign('sha256')
    .update(der(set(signedAttributes)))
    .sign(key.privateKey)

  const signerInfo = seq([
    integer(1),
    seq([issuer, serial]),
    algorithm(OID.sha256),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, signedAttributes),
    algorithm(OID.rsaEncryption),
    octets(signature),
  ])
  const signedData = seq([
    integer(1),
    set([algorithm(OID.sha256)]),
    seq([oid(OID.data)]),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [certificate]),
    set([signerInfo]),
  ])
  return der(seq([oid(OID.signedData), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [signedData])]))
}

export type CmsVerification =
  | { isValid: true; certificate: X509Certificate }
  | { isValid: false; reason: string }

/**
 * Verifies a detached CMS signature over `content`: the message digest matches, the signer's
 * certificate is in the signature, and the RSA/SHA-256 signature of the signed attributes verifies
 * with its key. Whether that certificate is to be trusted is the caller's question.
 */
export function verifyDetachedCms(signatureDer: Buffer, content: Buffer): CmsVerification {
  try {
    const contentInfo = children(fromDer(signatureDer))
    if (asn1.derToOid(contentInfo[0]?.value as string) !== OID.signedData) {
      return { isValid: false, reason: 'The signature is not CMS SignedData.' }
    }
    const signedData = children(children(contentInfo[1])[0])
    const isContextTag = (part: forge.asn1.Asn1) =>
      part.tagClass === asn1.Class.CONTEXT_SPECIFIC && part.type === 0
    const certificates = signedData.find(isContextTag)
    const signerInfo = children(children(signedData.at(-1))[0])
    const attributes = signerInfo.find(isContextTag)
    const signature = signerInfo.at(-1)?.value
    if (!certificates || !attributes || typeof signature !== 'string') {
      return { isValid: false, reason: 'The signature lacks its certificate or signed attributes.' }
    }
    const certificate = new X509Certificate(der(children(certificates)[0] as forge.asn1.Asn1))
    let digest: string | null = null
    for (const entry of children(attributes)) {
      const [type, values] = children(entry)
      if (asn1.derToOid(type?.value as string) === OID.messageDigest) {
        digest = children(values)[0]?.value as string
      }
    }
    const expected = createHash('sha256').update(content).digest()
    if (digest === null || !Buffer.from(digest, 'binary').equals(expected)) {
      return { isValid: false, reason: 'The document was changed after it was signed (digest mismatch).' }
    }
    const signedBytes = der(set(children(attributes)))
    const isSignatureValid = createVerify('sha256')
      .update(signedBytes)
      .verify(
        createPublicKey(certificate.publicKey.export({ type: 'spki', format: 'pem' })),
        Buffer.from(signature, 'binary'),
      )
    return isSignatureValid
      ? { isValid: true, certificate }
      : { isValid: false, reason: 'The signature does not verify with its certificate.' }
  } catch {
    return { isValid: false, reason: 'The signature could not be read.' }
  }
}
