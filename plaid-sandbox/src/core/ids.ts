import { randomInt, randomUUID } from 'node:crypto'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

function randomBase62(length: number): string {
  let value = ''
  for (let index = 0; index < length; index++) value += BASE62[randomInt(BASE62.length)]
  return value
}

type TokenKind = 'link' | 'public' | 'access' | 'processor'

/** `<kind>-sandbox-<uuid v4>`, the token format Plaid uses in its Sandbox environment. */
export function newToken(kind: TokenKind): string {
  return `${kind}-sandbox-${randomUUID()}`
}

export function tokenKindOf(token: string): TokenKind | null {
  const match =
    /^(link|public|access|processor)-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.exec(
      token,
    )
  return (match?.[1] as TokenKind | undefined) ?? null
}

/** Item and account ids: opaque, case-sensitive, 37 base62 characters like the ones Plaid issues. */
export function newObjectId(): string {
  return randomBase62(37)
}

/** Plaid's request ids are 15 alphanumeric characters. */
export function newRequestId(): string {
  return randomBase62(15)
}

export function newSessionId(): string {
  return randomUUID()
}
