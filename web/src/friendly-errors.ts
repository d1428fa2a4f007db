/**
 * Words for a refused request that a person can act on. The server's VALIDATION_FAILED message names
 * the schema path ("body.token must NOT have fewer than 20 characters"), which is right for an API
 * client and wrong for a page: the error also carries `field` and `rule`, and this module turns them
 * into a sentence. Messages of every other code are already written for people and pass through.
 */

export type RefusedValue = { field: string; rule: string }

const LINK_INCOMPLETE =
  'This link is incomplete. Open it again from the message you received, or ask the sender for a new one.'

/** Rules about a file's content, named by the server's upload checks. */
const FILE_MESSAGES: Record<string, string> = {
  pdf: 'That file is not a PDF. Choose a PDF file (its name usually ends in .pdf).',
  pdf_encrypted: 'That PDF is protected by a password. Upload a copy without the password.',
  pdf_damaged: 'That PDF could not be read; it may be damaged. Export or scan it again and retry.',
  pdf_empty: 'That PDF has no pages.',
  markdown: 'That file is not readable text. Save it as UTF-8 Markdown (.md) or upload a PDF.',
}

/** How a form names the fields the API refuses most often. */
const FIELD_LABELS: Record<string, string> = {
  legal_name: 'Legal name',
  typed_name: 'Your typed name',
  email: 'E-mail address',
  password: 'Password',
  new_password: 'New password',
  current_password: 'Current password',
  title: 'Title',
  note: 'Note',
  reason: 'Reason',
  markdown: 'Document text',
  name: 'Name',
  code: 'Code',
  url: 'Address',
  client_id: 'Client ID',
  secret: 'Secret',
  redirect_uri: 'OAuth redirect URI',
}

export function friendlyValidationMessage(refused: RefusedValue): string {
  const { field, rule } = refused
  const fileMessage = FILE_MESSAGES[rule]
  if (fileMessage) return fileMessage
  const key = field.split('.').at(-1) ?? field
  // A signing, invitation or reset token only ever arrives inside a link.
  if (key === 'token' || key.endsWith('_token')) return LINK_INCOMPLETE
  if (rule === 'additionalProperties') {
    return 'Safeclose did not accept this request. Reload the page and try again.'
  }
  const label = labelOf(key)
  switch (rule) {
    case 'required':
      return `${label} is required.`
    case 'minLength':
      return `${label} is too short.`
    case 'maxLength':
      return `${label} is too long.`
    case 'text':
      return `${label} contains characters that cannot be used (control characters or invisible marks).`
    case 'format':
      return key === 'email'
        ? 'Enter a valid e-mail address, such as name@example.com.'
        : `${label} is not valid.`
    default:
      return `${label} is not valid.`
  }
}

/** The refused field and rule of an error body's `error` object, when it carries them. */
export function refusedValueOf(error: Record<string, unknown>): RefusedValue | null {
  const { field, rule } = error
  return typeof field === 'string' && typeof rule === 'string' ? { field, rule } : null
}

/** The name of the form input a refused field belongs to ("body.legal_name" → "legal_name"). */
export function inputNameOf(field: string): string {
  return field.split('.').at(-1) ?? field
}

function labelOf(key: string): string {
  const known = FIELD_LABELS[key]
  if (known) return known
  const words = key.replaceAll('_', ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}
