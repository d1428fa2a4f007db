import { createHash } from 'node:crypto'
import type { SignatureKind } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import type { FieldRow, SignatureRow } from './repository.ts'
import { MAX_SIGNATURE_PNG_BYTES } from './schemas.ts'

export type AdoptedSignatureInput = { kind: 'typed' } | { kind: 'drawn'; png_base64: string }

export type SignInput = {
  typed_name: string
  consent: boolean
  signature?: AdoptedSignatureInput
  initials?: AdoptedSignatureInput
  values?: Record<string, string | boolean>
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
/** Largest side of a drawn signature: a signature pad at 3× device pixels is well below it. */
export const MAX_SIGNATURE_SIDE_PX = 4000

/** "Alberta Bobbeth Charleson" → "ABC": what a typed set of initials shows. */
export function initialsOf(legalName: string): string {
  return legalName
    .trim()
    .split(/\s+/)
    .map((word) => word.at(0)?.toUpperCase() ?? '')
    .join('')
}

/**
 * The signature (or initials) the signer adopts, as it will be stored and stamped. Required when the
 * signer has a field of that type. A drawn one must be a PNG that pdf-lib can embed (checked now, so
 * sealing cannot fail on it later); a typed one is the legal name (or its initials) in the script font.
 */
export async function adoptSignature(
  kind: SignatureKind,
  input: AdoptedSignatureInput | undefined,
  fields: FieldRow[],
  legalName: string,
): Promise<Omit<SignatureRow, 'signerId'> | null> {
  const hasField = fields.some((field) => field.type === kind)
  if (!input) {
    if (hasField) {
      throw new AppError(
        'VALIDATION_FAILED',
        `body.${kind} is required: the documents have ${kind === 'signature' ? 'signature' : 'initials'} fields for you.`,
      )
    }
    return null
  }
  if (input.kind === 'typed') {
    const typedText = kind === 'signature' ? legalName.trim() : initialsOf(legalName)
    return { kind, method: 'typed', png: null, typedText, sha256: sha256Hex(Buffer.from(typedText, 'utf8')) }
  }
  const png = Buffer.from(input.png_base64, 'base64')
  if (png.length > MAX_SIGNATURE_PNG_BYTES) {
    throw new AppError(
      'VALIDATION_FAILED',
      `body.${kind}.png_base64 is larger than ${MAX_SIGNATURE_PNG_BYTES / 1024} KB.`,
    )
  }
  if (png.length < 24 || !png.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
    throw new AppError('VALIDATION_FAILED', `body.${kind}.png_base64 is not a PNG image.`)
  }
  // The header's size, before anything is decoded: a small PNG can inflate to gigabytes of pixels.
  const isHeaderFirst = png.subarray(12, 16).toString('latin1') === 'IHDR'
  const width = isHeaderFirst ? png.readUInt32BE(16) : 0
  const height = isHeaderFirst ? png.readUInt32BE(20) : 0
  if (width < 1 || height < 1 || width > MAX_SIGNATURE_SIDE_PX || height > MAX_SIGNATURE_SIDE_PX) {
    throw new AppError(
      'VALIDATION_FAILED',
      `body.${kind}.png_base64 must be a PNG between 1 and ${MAX_SIGNATURE_SIDE_PX} pixels wide and high.`,
    )
  }
  const { PDFDocument } = await import('pdf-lib')
  try {
    await (await PDFDocument.create()).embedPng(png)
  } catch {
    throw new AppError('VALIDATION_FAILED', `body.${kind}.png_base64 is a damaged PNG image.`)
  }
  return { kind, method: 'drawn', png: new Uint8Array(png), typedText: null, sha256: sha256Hex(png) }
}

/**
 * The values to store for the signer's fields: what they entered for text and checkbox fields (each
 * checked against its field's type), and the server's own for name and date fields. Signature and
 * initials fields take the adopted signature instead of a value.
 */
export function fillFieldValues(
  fields: FieldRow[],
  values: Record<string, string | boolean>,
  context: { legalName: string; signedAt: Date },
): Map<string, string | boolean> {
  const byId = new Map(fields.map((field) => [field.id, field]))
  const filled = new Map<string, string | boolean>()
  for (const [fieldId, value] of Object.entries(values)) {
    const field = byId.get(fieldId)
    if (!field)
      throw new AppError('VALIDATION_FAILED', `body.values has ${fieldId}, which is not one of your fields.`)
    if (field.type === 'text') {
      if (typeof value !== 'string') {
        throw new AppError('VALIDATION_FAILED', `body.values.${fieldId} must be text for a text field.`)
      }
      if (value.trim() !== '') filled.set(fieldId, value.trim())
    } else if (field.type === 'checkbox') {
      if (typeof value !== 'boolean') {
        throw new AppError(
          'VALIDATION_FAILED',
          `body.values.${fieldId} must be true or false for a checkbox.`,
        )
      }
      filled.set(fieldId, value)
    } else {
      throw new AppError(
        'VALIDATION_FAILED',
        `body.values.${fieldId} is a ${field.type.replace('_', ' ')} field, which Safeclose fills in itself.`,
      )
    }
  }
  for (const field of fields) {
    if (field.type === 'name') filled.set(field.id, context.legalName)
    if (field.type === 'date_signed') filled.set(field.id, context.signedAt.toISOString().slice(0, 10))
    if (!field.isRequired) continue
    const value = filled.get(field.id)
    const label = field.label ? `"${field.label}"` : `the ${field.type} field on page ${field.page}`
    if (field.type === 'text' && (value === undefined || value === '')) {
      throw new AppError('VALIDATION_FAILED', `Fill in ${label}: it is required (body.values.${field.id}).`)
    }
    if (field.type === 'checkbox' && value !== true) {
      throw new AppError('VALIDATION_FAILED', `Tick ${label}: it is required (body.values.${field.id}).`)
    }
  }
  return filled
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
