import { createHash, randomBytes } from 'node:crypto'

/** 256 random bits, URL-safe: unguessable, and only its hash is stored (like session tokens). */
export function newLinkToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, tokenHash: hashLinkToken(token) }
}

export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

export function signingUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/signing/s/${token}`
}
