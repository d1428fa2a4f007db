const TOKEN_FIELDS = new Set(['link_token', 'public_token', 'access_token'])
const TOKEN_PREFIX = /^(?:link|public|access)-[a-z]+-/

/** `link-sandbox-3f2a…9c1d`: enough to tell tokens apart on screen, too little to use one. */
export function maskToken(token: string): string {
  const prefix = TOKEN_PREFIX.exec(token)?.[0] ?? ''
  const secretPart = token.slice(prefix.length)
  if (secretPart.length <= 12) return `${prefix}…`
  return `${prefix}${secretPart.slice(0, 4)}…${secretPart.slice(-4)}`
}

/** A copy of a JSON value with every Plaid token in it masked, for display. */
export function maskTokensIn(value: unknown, fieldName?: string): unknown {
  if (typeof value === 'string') {
    return (fieldName !== undefined && TOKEN_FIELDS.has(fieldName)) || TOKEN_PREFIX.test(value)
      ? maskToken(value)
      : value
  }
  if (Array.isArray(value)) return value.map((element) => maskTokensIn(element))
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, maskTokensIn(field, key)]))
  }
  return value
}
