import type { FieldBox, FieldType } from '../../api/signings.ts'

/** The size a field gets when it is placed with a click (fractions of a US Letter-ish page). */
export function defaultSize(type: FieldType): { width: number; height: number } {
  switch (type) {
    case 'signature':
      return { width: 0.3, height: 0.06 }
    case 'initials':
      return { width: 0.1, height: 0.05 }
    case 'checkbox':
      return { width: 0.03, height: 0.025 }
    case 'date_signed':
      return { width: 0.18, height: 0.035 }
    default:
      return { width: 0.3, height: 0.035 }
  }
}

/** Smallest box the mouse can make: a drag shorter than this is a click. */
export const MIN_SIZE = 0.01

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value))

/** The box moved/sized to stay inside the page (0..1) and at least MIN_SIZE in each direction. */
export function clampBox<T extends FieldBox>(box: T): T {
  const width = clamp(box.width, MIN_SIZE, 1)
  const height = clamp(box.height, MIN_SIZE, 1)
  return {
    ...box,
    width: round(width),
    height: round(height),
    x: round(clamp(box.x, 0, 1 - width)),
    y: round(clamp(box.y, 0, 1 - height)),
  }
}

/** Fractions kept to 4 decimals (a hundredth of a percent): stable numbers in the form and the API. */
export function round(value: number): number {
  return Math.round(value * 10_000) / 10_000
}

/** Why a box cannot be saved, or null when it fits the page. */
export function boxProblem(box: FieldBox, pageCount: number | null): string | null {
  if (!Number.isInteger(box.page) || box.page < 1) return 'the page must be 1 or more'
  if (pageCount !== null && box.page > pageCount) return `the document has ${pageCount} page(s)`
  if (!(box.width > 0 && box.height > 0)) return 'width and height must be above 0'
  if (box.x < 0 || box.y < 0) return 'left and top must be 0 or more'
  if (box.x + box.width > 1.00001 || box.y + box.height > 1.00001) return 'the box goes beyond the page'
  return null
}

/** Reading order: page, then top to bottom, then left to right. */
export function readingOrder(a: FieldBox, b: FieldBox): number {
  return a.page - b.page || a.y - b.y || a.x - b.x
}

/**
 * Typed initials as the server stamps them (server/modules/signing/sign-input.ts): the first
 * character of each word of the legal name, upper case ("Alberta Bobbeth Charleson" → "ABC").
 */
export function initialsOf(name: string): string {
  return name
    .trim()
    .split(/\s+/)
    .map((word) => word.at(0)?.toUpperCase() ?? '')
    .join('')
}
