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
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
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
  return signCms(content, key, { contentType: OID.data, encapsulate: false })
}

/**
 * CMS SignedData over `content` with the signed attributes above. `encapsulate` puts the content
 * inside (as an RFC 3161 timestamp token carries its TSTInfo); `contentType` names it.
 */
export function signCms(
  content: Buffer,
  key: CmsSigningKey,
  options: { contentType: string; encapsulate: boolean },
): Buffer {
  const certificate = fromDer(key.certificateDer)
  const tbsFields = children(children(certificate)[0])
  // TBSCertificate: [0] version, serialNumber, signature, issuer, ...
  const hasVersion = tbsFields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC
  const serial = tbsFields[hasVersion ? 1 : 0] as forge.asn1.Asn1
  const issuer = tbsFields[hasVersion ? 3 : 2] as forge.asn1.Asn1

  const signedAttributes = [
    attribute(OID.contentType, oid(options.contentType)),
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
  const encapsulated = options.encapsulate
    ? seq([oid(options.contentType), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [octets(content)])])
    : seq([oid(options.contentType)])
  const signedData = seq([
    integer(options.encapsulate ? 3 : 1),
    set([algorithm(OID.sha256)]),
    encapsulated,
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [certificate]),
    set([signerInfo]),
  ])
  return der(seq([oid(OID.signedData), asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [signedData])]))
}

/** The signer's signature value (what an RFC 3161 signature timestamp stamps). */
export function signatureValueOf(cmsDer: Buffer): Buffer {
  const signature = signatureOf(signerInfoOf(fromDer(cmsDer)))
  return Buffer.from(signature, 'binary')
}

/**
 * Adds an RFC 3161 timestamp token over the signature as the unsigned attribute
 * id-aa-signatureTimeStampToken (RFC 3161 appendix A; PAdES B-T).
 */
export function addSignatureTimestamp(cmsDer: Buffer, timestampToken: Buffer): Buffer {
  const contentInfo = fromDer(cmsDer)
  const signerInfo = signerInfoOf(contentInfo)
  const parts = children(signerInfo).filter(
    (part) => !(part.tagClass === asn1.Class.CONTEXT_SPECIFIC && part.type === 1),
  )
  parts.push(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 1, true, [
      attribute(OID.signatureTimeStampToken, fromDer(timestampToken)),
    ]),
  )
  signerInfo.value = parts
  return der(contentInfo)
}

function signerInfoOf(contentInfo: forge.asn1.Asn1): forge.asn1.Asn1 {
  const signedData = children(children(children(contentInfo)[1])[0])
  const signerInfo = children(signedData.at(-1))[0]
  if (!signerInfo) throw new Error('malformed CMS structure')
  return signerInfo
}

/** SignerInfo's signature: the OCTET STRING after the signature algorithm (unsigned attributes may follow). */
function signatureOf(signerInfo: forge.asn1.Asn1): string {
  const signature = children(signerInfo).findLast(
    (part) => part.tagClass === asn1.Class.UNIVERSAL && part.type === asn1.Type.OCTETSTRING,
  )
  if (typeof signature?.value !== 'string') throw new Error('malformed CMS structure')
  return signature.value
}

/** The unsigned signature-timestamp attribute's token, if the signature has one. */
export function signatureTimestampOf(cmsDer: Buffer): Buffer | null {
  const unsigned = children(signerInfoOf(fromDer(cmsDer))).find(
    (part) => part.tagClass === asn1.Class.CONTEXT_SPECIFIC && part.type === 1,
  )
  for (const entry of unsigned ? children(unsigned) : []) {
    const [type, values] = children(entry)
    if (asn1.derToOid(type?.value as string) === OID.signatureTimeStampToken) {
      return der(children(values)[0] as forge.asn1.Asn1)
    }
  }
  return null
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
    const signature = signatureOf(children(signedData.at(-1))[0] as forge.asn1.Asn1)
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

// ---------------------------------------------------------------- RFC 3161 timestamps

/** A TimeStampReq (RFC 3161) for `data`: SHA-256 imprint, a nonce, and the TSA's certificate asked for. */
export function timestampRequest(data: Buffer, nonce: Buffer): Buffer {
  const positiveNonce = minimalPositive(nonce)
  return der(
    seq([
      integer(1),
      seq([algorithm(OID.sha256), octets(createHash('sha256').update(data).digest())]),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, positiveNonce.toString('binary')),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff'),
    ]),
  )
}

/** The parts of a TimeStampReq a TSA answers with (for tests' stand-in TSA). */
export function parseTimestampRequest(requestDer: Buffer): { imprint: Buffer; nonce: Buffer | null } {
  const [, imprint, maybeNonce] = children(fromDer(requestDer))
  const hashed = children(imprint)[1]?.value
  if (typeof hashed !== 'string') throw new Error('malformed TimeStampReq')
  const nonce =
    maybeNonce?.tagClass === asn1.Class.UNIVERSAL && maybeNonce.type === asn1.Type.INTEGER
      ? Buffer.from(maybeNonce.value as string, 'binary')
      : null
  return { imprint: Buffer.from(hashed, 'binary'), nonce }
}

/** A TSTInfo (RFC 3161 §2.4.2) for a stand-in TSA: policy, imprint, serial, time, nonce. */
export function tstInfo(input: {
  policy: string
  imprint: Buffer
  serial: number
  time: Date
  nonce: Buffer | null
}): Buffer {
  return der(
    seq([
      integer(1),
      oid(input.policy),
      seq([algorithm(OID.sha256), octets(input.imprint)]),
      integer(input.serial),
      asn1.create(
        asn1.Class.UNIVERSAL,
        asn1.Type.GENERALIZEDTIME,
        false,
        asn1.dateToGeneralizedTime(input.time),
      ),
      ...(input.nonce
        ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, input.nonce.toString('binary'))]
        : []),
    ]),
  )
}

/** A TimeStampResp granting `token` (status 0), for a stand-in TSA. */
export function timestampResponse(token: Buffer): Buffer {
  return der(seq([seq([integer(0)]), fromDer(token)]))
}

/**
 * The token of a TSA's TimeStampResp, checked: granted (status 0 or 1), SignedData over a TSTInfo
 * whose message imprint is SHA-256 of `data` and whose nonce is ours.
 */
export function timestampTokenOf(
  responseDer: Buffer,
  data: Buffer,
  nonce: Buffer,
): { token: Buffer; time: Date } {
  const [status, token] = children(fromDer(responseDer))
  const code = children(status)[0]?.value
  const statusValue = typeof code === 'string' ? asn1.derToInteger(forge.util.createBuffer(code)) : -1
  if ((statusValue !== 0 && statusValue !== 1) || !token) {
    throw new Error(`the timestamp authority refused the request (status ${statusValue})`)
  }
  const tokenDer = der(token)
  const signedData = children(children(children(token)[1])[0])
  const encapsulated = children(signedData[2])
  if (asn1.derToOid(encapsulated[0]?.value as string) !== OID.tstInfo)
    throw new Error('the token is not a TSTInfo')
  const info = children(fromDer(Buffer.from(children(encapsulated[1])[0]?.value as string, 'binary')))
  const imprint = Buffer.from(children(info[2])[1]?.value as string, 'binary')
  if (!imprint.equals(createHash('sha256').update(data).digest())) {
    throw new Error('the timestamp token stamps other data')
  }
  const tokenNonce = info.find(
    (part, index) => index > 4 && part.tagClass === asn1.Class.UNIVERSAL && part.type === asn1.Type.INTEGER,
  )
  const positiveNonce = minimalPositive(nonce)
  if (!tokenNonce || !Buffer.from(tokenNonce.value as string, 'binary').equals(positiveNonce)) {
    throw new Error('the timestamp token does not carry our nonce')
  }
  return { token: tokenDer, time: asn1.generalizedTimeToDate(info[4]?.value as string) }
}

/** Random bytes as a minimal positive DER INTEGER body: first byte 0x01..0x7f. */
function minimalPositive(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes)
  copy[0] = ((copy[0] ?? 0) & 0x7f) | 0x01
  return copy
}
