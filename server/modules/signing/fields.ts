import type { FieldType } from '../../../db/schema.ts'
import { AppError } from '../../errors.ts'
import type { FieldRow } from './repository.ts'

/** Fields one PUT may place on a document. */
export const MAX_FIELDS_PER_DOCUMENT = 200
export const MAX_FIELD_LABEL_LENGTH = 100
/** Longest value of a text field. */
export const MAX_TEXT_VALUE_LENGTH = 500
// Boxes are fractions: x + width may exceed 1 by rounding only (0.7 + 0.3).
const EDGE_TOLERANCE = 1e-6

export type FieldInput = {
  type: FieldType
  signer_id: string
  page: number
  x: number
  y: number
  width: number
  height: number
  required: boolean
  label?: string | null
}

/**
 * Checks a document's new fields against its page count and the package's signers; returns the rows
 * to store. Errors name the offending field (`body.fields[2].page`).
 */
export function validateFields(
  fields: FieldInput[],
  context: { pageCount: number; signerIds: Set<string> },
): Array<Omit<FieldRow, 'id' | 'documentId' | 'position' | 'value'>> {
  return fields.map((field, index) => {
    const at = `body.fields[${index}]`
    if (field.page > context.pageCount) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${at}.page is ${field.page}, but the document has ${context.pageCount} page${context.pageCount === 1 ? '' : 's'}.`,
      )
    }
    if (field.x + field.width > 1 + EDGE_TOLERANCE || field.y + field.height > 1 + EDGE_TOLERANCE) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${at} is outside the page: x + width and y + height must be at most 1 (fractions of the page).`,
      )
    }
    if (!context.signerIds.has(field.signer_id)) {
      throw new AppError('VALIDATION_FAILED', `${at}.signer_id is not a signer of this package.`)
    }
    const label = field.label?.trim() || null
    return {
      signerId: field.signer_id,
      type: field.type,
      page: field.page,
      x: field.x,
      y: field.y,
      width: Math.min(field.width, 1 - field.x),
      height: Math.min(field.height, 1 - field.y),
      isRequired: field.required,
      label,
    }
  })
}

/** A field as managers see it. */
export function fieldView(field: FieldRow) {
  return {
    id: field.id,
    type: field.type,
    signer_id: field.signerId,
    page: field.page,
    x: field.x,
    y: field.y,
    width: field.width,
    height: field.height,
    required: field.isRequired,
    label: field.label,
  }
}

/** A field as its signer sees it: no signer id (it is theirs). */
export function signerFieldView(field: FieldRow) {
  return {
    id: field.id,
    type: field.type,
    page: field.page,
    x: field.x,
    y: field.y,
    width: field.width,
    height: field.height,
    required: field.isRequired,
    label: field.label,
  }
}
