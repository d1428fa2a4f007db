import type { AccountOwner } from '../fixtures/identity.ts'

/**
 * /identity/match scoring. Deterministic: the same inputs always give the same scores. Bands follow
 * Plaid's documentation:
 * - legal name: 100 exact · 85–99 strong (same first and last name, nickname, middle name differences)
 *   · 70–84 partial (only the first or last name matches) · below 70 mismatch
 * - phone, e-mail: 100 exact · 70–99 partial · below 70 mismatch
 * - address: 100 exact · 90–99 strong · 70–89 partial · below 70 weak
 * Each input is scored against every value the owner has and the best score wins.
 */

export interface MatchInput {
  legal_name?: string | null
  phone_number?: string | null
  email_address?: string | null
  address?: {
    street?: string | null
    city?: string | null
    region?: string | null
    postal_code?: string | null
    country?: string | null
  } | null
}

export interface MatchScores {
  legal_name: {
    score: number | null
    is_first_name_or_last_name_match: boolean | null
    is_nickname_match: boolean | null
    is_business_name_detected: boolean | null
  } | null
  phone_number: { score: number | null } | null
  email_address: { score: number | null } | null
  address: { score: number | null; is_postal_code_match: boolean | null } | null
}

/** Common given-name variants; enough to show nickname matching, not a full nickname dictionary. */
const NICKNAMES: Record<string, readonly string[]> = {
  alberta: ['bert', 'bertie', 'allie', 'berta', 'alba'],
  albert: ['al', 'bert', 'bertie'],
  robert: ['rob', 'bob', 'bobby', 'robbie', 'bert'],
  william: ['will', 'bill', 'billy', 'liam'],
  elizabeth: ['liz', 'beth', 'betty', 'eliza', 'lisa'],
  margaret: ['maggie', 'meg', 'peggy', 'marge'],
  richard: ['rick', 'rich', 'dick'],
  katherine: ['kate', 'kathy', 'katie', 'kat'],
  james: ['jim', 'jimmy', 'jamie'],
  jennifer: ['jen', 'jenny'],
  michael: ['mike', 'mikey', 'mick'],
  alexander: ['alex', 'xander', 'sandy'],
  alexandra: ['alex', 'sandra', 'lexi'],
}

const NAME_NOISE = new Set(['mr', 'mrs', 'ms', 'miss', 'dr', 'jr', 'sr', 'ii', 'iii', 'iv'])
const BUSINESS_MARKERS = /\b(llc|inc|corp|corporation|co|company|ltd|lp|llp|trust|bank|holdings|group)\b/

const STREET_ABBREVIATIONS: Record<string, string> = {
  street: 'st',
  avenue: 'ave',
  road: 'rd',
  lane: 'ln',
  drive: 'dr',
  boulevard: 'blvd',
  court: 'ct',
  place: 'pl',
  terrace: 'ter',
  highway: 'hwy',
  parkway: 'pkwy',
  circle: 'cir',
  square: 'sq',
  north: 'n',
  south: 's',
  east: 'e',
  west: 'w',
  apartment: 'apt',
  suite: 'ste',
}

export function scoreIdentityMatch(
  input: MatchInput | undefined,
  owners: readonly AccountOwner[],
): MatchScores {
  const names = owners.flatMap((owner) => owner.names)
  const phones = owners.flatMap((owner) => owner.phone_numbers.map((phone) => phone.data))
  const emails = owners.flatMap((owner) => owner.emails.map((email) => email.data))
  const addresses = owners.flatMap((owner) => owner.addresses.map((address) => address.data))
  return {
    legal_name: input?.legal_name
      ? best(names.map((name) => scoreName(input.legal_name as string, name)))
      : null,
    phone_number: input?.phone_number
      ? { score: maxOf(phones.map((phone) => scorePhone(input.phone_number as string, phone))) }
      : null,
    email_address: input?.email_address
      ? { score: maxOf(emails.map((email) => scoreEmail(input.email_address as string, email))) }
      : null,
    address:
      input?.address && hasAnyAddressPart(input.address)
        ? best(addresses.map((address) => scoreAddress(input.address ?? {}, address)))
        : null,
  }
}

function best<T extends { score: number | null }>(candidates: T[]): T | null {
  return candidates.reduce<T | null>(
    (top, candidate) => ((candidate.score ?? -1) > (top?.score ?? -1) ? candidate : top),
    null,
  )
}

function maxOf(scores: number[]): number | null {
  return scores.length === 0 ? null : Math.max(...scores)
}

// ---------------------------------------------------------------- names

function nameTokens(name: string): string[] {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z\s-]/g, ' ')
    .split(/[\s-]+/)
    .filter((token) => token !== '' && !NAME_NOISE.has(token))
}

function isNickname(given: string, formal: string): boolean {
  return NICKNAMES[formal]?.includes(given) === true || NICKNAMES[given]?.includes(formal) === true
}

function scoreName(provided: string, owner: string): NonNullable<MatchScores['legal_name']> {
  const isBusiness = BUSINESS_MARKERS.test(provided.toLowerCase())
  const given = nameTokens(provided)
  const actual = nameTokens(owner)
  const result = (score: number, isFirstOrLast: boolean, isNicknameMatch: boolean) => ({
    score,
    is_first_name_or_last_name_match: isFirstOrLast,
    is_nickname_match: isNicknameMatch,
    is_business_name_detected: isBusiness,
  })
  const [givenFirst, givenLast] = [given[0], given.at(-1)]
  const [actualFirst, actualLast] = [actual[0], actual.at(-1)]
  if (!givenFirst || !givenLast || !actualFirst || !actualLast) return result(0, false, false)
  if (given.join(' ') === actual.join(' ')) return result(100, true, false)

  const isFirstMatch = givenFirst === actualFirst
  const isLastMatch = givenLast === actualLast
  const isNicknameMatch = !isFirstMatch && isNickname(givenFirst, actualFirst)
  if (isLastMatch && (isFirstMatch || isNicknameMatch)) {
    const givenMiddle = given.slice(1, -1)
    const actualMiddle = actual.slice(1, -1)
    const isMiddleCompatible =
      givenMiddle.length === 0 ||
      givenMiddle.every((token, index) => {
        const other = actualMiddle[index]
        return other !== undefined && (token === other || (token.length === 1 && other.startsWith(token)))
      })
    const base = isMiddleCompatible ? 95 : 85
    return result(isNicknameMatch ? base - 5 : base, true, isNicknameMatch)
  }
  if (isLastMatch && givenFirst[0] === actualFirst[0]) return result(80, true, false)
  if (isLastMatch) return result(75, true, false)
  if (isFirstMatch || isNicknameMatch) return result(70, true, isNicknameMatch)
  // Nothing lines up: a similarity score kept below the mismatch threshold.
  return result(Math.round(similarity(given.join(' '), actual.join(' ')) * 69), false, false)
}

// ---------------------------------------------------------------- phone and e-mail

function phoneDigits(phone: string): string {
  const digits = phone.replace(/\D/g, '')
  // E.164 US numbers (+1…) compare equal to the ten-digit national form Plaid stores.
  return digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits
}

function scorePhone(provided: string, actual: string): number {
  const given = phoneDigits(provided)
  const stored = phoneDigits(actual)
  if (given === '' || stored === '') return 0
  if (given === stored) return 100
  // Same local number with a different area code is a partial match.
  if (given.length >= 7 && given.slice(-7) === stored.slice(-7)) return 80
  return Math.round(similarity(given, stored) * 69)
}

function scoreEmail(provided: string, actual: string): number {
  const given = provided.trim().toLowerCase()
  const stored = actual.trim().toLowerCase()
  if (given === stored) return 100
  const [givenLocal = '', givenDomain = ''] = given.split('@')
  const [storedLocal = '', storedDomain = ''] = stored.split('@')
  const canonical = (local: string) => local.replace(/\+.*$/, '').replace(/\./g, '')
  if (givenDomain === storedDomain && canonical(givenLocal) === canonical(storedLocal)) return 90
  if (canonical(givenLocal) === canonical(storedLocal)) return 75
  return Math.round(similarity(given, stored) * 69)
}

// ---------------------------------------------------------------- address

function normalizeStreet(street: string): string {
  return street
    .toLowerCase()
    .replace(/[.,#]/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((token) => STREET_ABBREVIATIONS[token] ?? token)
    .join(' ')
}

function comparable(value: string | null | undefined): string | null {
  const trimmed = value?.trim().toLowerCase()
  return trimmed ? trimmed : null
}

function hasAnyAddressPart(address: NonNullable<MatchInput['address']>): boolean {
  return [address.street, address.city, address.region, address.postal_code].some(
    (part) => comparable(part) !== null,
  )
}

function scoreAddress(
  provided: NonNullable<MatchInput['address']>,
  actual: { street: string; city: string | null; region: string | null; postal_code: string | null },
): NonNullable<MatchScores['address']> {
  const givenPostal = comparable(provided.postal_code)?.slice(0, 5) ?? null
  const actualPostal = comparable(actual.postal_code)?.slice(0, 5) ?? null
  const isPostalMatch = givenPostal === null || actualPostal === null ? null : givenPostal === actualPostal
  const givenStreet = provided.street ? normalizeStreet(provided.street) : null
  const isStreetMatch = givenStreet !== null && givenStreet === normalizeStreet(actual.street)
  const isCityMatch = comparable(provided.city) === comparable(actual.city)
  const isRegionMatch = comparable(provided.region) === comparable(actual.region)

  let score: number
  if (isStreetMatch && isCityMatch && isRegionMatch && isPostalMatch === true) score = 100
  else if (isStreetMatch && (isPostalMatch === true || (isCityMatch && isRegionMatch))) score = 95
  else if (isStreetMatch) score = 85
  else if (isPostalMatch === true && isCityMatch) score = 70
  else {
    const streetSimilarity = givenStreet ? similarity(givenStreet, normalizeStreet(actual.street)) : 0
    score = Math.round(streetSimilarity * 60)
  }
  return { score, is_postal_code_match: isPostalMatch }
}

// ---------------------------------------------------------------- similarity

/** 1 − normalized Levenshtein distance: 1 for equal strings, 0 for nothing in common. */
function similarity(left: string, right: string): number {
  const longest = Math.max(left.length, right.length)
  return longest === 0 ? 1 : 1 - levenshtein(left, right) / longest
}

function levenshtein(left: string, right: string): number {
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index)
  for (let row = 1; row <= left.length; row++) {
    const current = [row]
    for (let column = 1; column <= right.length; column++) {
      const substitution = (previous[column - 1] ?? 0) + (left[row - 1] === right[column - 1] ? 0 : 1)
      current[column] = Math.min((previous[column] ?? 0) + 1, (current[column - 1] ?? 0) + 1, substitution)
    }
    previous = current
  }
  return previous[right.length] ?? 0
}
