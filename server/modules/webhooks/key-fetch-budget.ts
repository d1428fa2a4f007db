/**
 * How many outbound /webhook_verification_key/get calls a process may make per minute, whoever asks.
 * Every unverified delivery that names a kid we have no answer for costs one, before any signature
 * check, so without a bound a forger decides how often we call Plaid (and burn its quota).
 *
 * Part of the budget is reserved for deliveries whose (still unverified) body names an Item we hold:
 * a forger who knows no item_id cannot touch it, so a burst of forgeries with random kids cannot
 * stop the first genuine webhook signed with Plaid's next key from being verified. Each Item may draw
 * on the reserve once per window, so one leaked item_id cannot drain it either.
 */
export type KeyFetchBudgetOptions = {
  /** Outbound key fetches allowed per minute in total. */
  perMinute: number
  /** How many of them only deliveries naming a known Item may use; defaults to half. */
  reservedForKnownItems?: number
  now: () => number
}

export type KeyFetchClaim = {
  /** The item_id named by the delivery when it is one of ours, else null. */
  knownItemId: string | null
}

const WINDOW_MS = 60_000

export function createKeyFetchBudget(options: KeyFetchBudgetOptions) {
  const perMinute = Math.max(0, Math.floor(options.perMinute))
  const reserved = Math.min(
    perMinute,
    Math.max(0, Math.floor(options.reservedForKnownItems ?? Math.floor(perMinute / 2))),
  )
  const openToAll = perMinute - reserved
  let windowStart = Number.NEGATIVE_INFINITY
  let used = 0
  let refused = 0
  const reserveDrawnBy = new Set<string>()

  function roll(): void {
    const now = options.now()
    if (now - windowStart < WINDOW_MS) return
    windowStart = now
    used = 0
    reserveDrawnBy.clear()
  }

  return {
    /** Takes one fetch from the budget; false (and nothing taken) when this claim may not fetch now. */
    tryTake(claim: KeyFetchClaim): boolean {
      roll()
      if (used < openToAll) {
        used += 1
        return true
      }
      if (claim.knownItemId !== null && used < perMinute && !reserveDrawnBy.has(claim.knownItemId)) {
        reserveDrawnBy.add(claim.knownItemId)
        used += 1
        return true
      }
      refused += 1
      return false
    },

    /** Fetches taken in the current window, and refusals since start (for logs and tests). */
    stats(): { used: number; refused: number; perMinute: number; reserved: number } {
      roll()
      return { used, refused, perMinute, reserved }
    },
  }
}

export type KeyFetchBudget = ReturnType<typeof createKeyFetchBudget>
