import { useCallback, useEffect, useRef, useState } from 'react'
import type {
  PlaidLinkError,
  PlaidLinkOnEventMetadata,
  PlaidLinkOnExitMetadata,
  PlaidLinkOnSuccessMetadata,
} from 'react-plaid-link'
import { ApiError, type ApiExchange, apiErrorFrom } from '../../api/client.ts'
import {
  type AuthMasks,
  type ExchangeResponse,
  type LinkEventReport,
  type LinkMode,
  type LinkTokenResponse,
  type PlaidConnectionStatus,
  plaidApi,
  type SimulatedWebhookCode,
} from '../../api/plaid.ts'
import { takeLinkResumption } from '../../oauth-return.ts'
import {
  entryFromEvent,
  entryFromExit,
  entryFromStored,
  entryFromSuccess,
  reportFromEvent,
  reportFromExit,
  type TimelineEntry,
} from './link-timeline.ts'
import { useLinkEventReporter } from './use-link-event-reporter.ts'

/** The state of one lab step that calls the Safeclose API. */
export type StepState<T> =
  | { phase: 'idle' }
  | { phase: 'running' }
  | { phase: 'done'; exchange: ApiExchange; data: T }
  | { phase: 'failed'; exchange: ApiExchange | null; error: ApiError }
  | { phase: 'skipped'; reason: string }

export type LinkOutcome =
  | { kind: 'not-opened' }
  | { kind: 'open'; mode: LinkMode }
  | { kind: 'succeeded'; institutionName: string | null; accountCount: number; linkSessionId: string }
  | {
      kind: 'exited'
      error: PlaidLinkError | null
      status: string | null
      linkSessionId: string
      requestId: string
    }

/** The tokens a launcher may open Link with. Cleared once Link succeeded, because a link token is single-use. */
export type ActiveLinkToken = LinkTokenResponse & {
  openOnReady: boolean
  /** Set when Link continues after a bank's OAuth redirect (see /oauth-return). */
  receivedRedirectUri?: string
}

type StepSetter<T> = (state: StepState<T>) => void

// Simulations change the Item through Plaid webhooks, which Safeclose processes in the background.
const STATUS_POLL_INTERVAL_MS = 1_000
const STATUS_POLL_ATTEMPTS = 10

function sameConnection(a: PlaidConnectionStatus | null, b: PlaidConnectionStatus): boolean {
  return a?.connected === b.connected && a.action === b.action && a.item?.updated_at === b.item?.updated_at
}

/** The accounts' verification states, to tell whether a refresh found a confirmed deposit code. */
function verificationsOf(status: PlaidConnectionStatus | null): string {
  return JSON.stringify(
    (status?.item?.accounts ?? []).map((account) => [account.account_id, account.verification_status]),
  )
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs one API call for a step, recording its exchange; resolves to the response data, or null. */
async function runStep<T>(setStep: StepSetter<T>, call: () => Promise<ApiExchange>): Promise<T | null> {
  setStep({ phase: 'running' })
  try {
    const exchange = await call()
    if (!exchange.ok) {
      setStep({ phase: 'failed', exchange, error: apiErrorFrom(exchange) })
      return null
    }
    const data = exchange.responseBody as T
    setStep({ phase: 'done', exchange, data })
    return data
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null
    if (!(error instanceof ApiError)) throw error
    setStep({ phase: 'failed', exchange: null, error })
    return null
  }
}

/** How often the lab re-reads the status while an Item is linked: webhooks change it in the background. */
const FOLLOW_WEBHOOKS_INTERVAL_MS = 5_000

/** The status step as the route's loader left it: the exchange, answered or refused. */
function stepFromExchange(exchange: ApiExchange): StepState<PlaidConnectionStatus> {
  if (!exchange.ok) return { phase: 'failed', exchange, error: apiErrorFrom(exchange) }
  return { phase: 'done', exchange, data: exchange.responseBody as PlaidConnectionStatus }
}

/**
 * Everything the Plaid lab page does, step by step: token → Link → exchange → status. `storedEvents`
 * are the Link callbacks reported in earlier visits, the start of the timeline; `initialStatus` is the
 * status exchange the route's loader made.
 */
export function usePlaidLab(
  storedEvents: ReadonlyArray<Partial<LinkEventReport>>,
  initialStatus: ApiExchange,
) {
  const [tokenStep, setTokenStep] = useState<StepState<LinkTokenResponse>>({ phase: 'idle' })
  const [activeToken, setActiveToken] = useState<ActiveLinkToken | null>(null)
  const [tokenRenewedAfterExpiry, setTokenRenewedAfterExpiry] = useState(false)
  const [linkOutcome, setLinkOutcome] = useState<LinkOutcome>({ kind: 'not-opened' })
  const [exchangeStep, setExchangeStep] = useState<StepState<ExchangeResponse>>({ phase: 'idle' })
  const [statusStep, setStatusStep] = useState(() => stepFromExchange(initialStatus))
  // The last status Safeclose reported, kept on screen while a refresh is under way.
  const [connection, setConnection] = useState<PlaidConnectionStatus | null>(() =>
    initialStatus.ok ? (initialStatus.responseBody as PlaidConnectionStatus) : null,
  )
  const unmounted = useRef(false)
  const [toolStep, setToolStep] = useState<StepState<unknown>>({ phase: 'idle' })
  const [authStep, setAuthStep] = useState<StepState<AuthMasks>>({ phase: 'idle' })
  const [timeline, setTimeline] = useState<TimelineEntry[]>(() => storedEvents.map(entryFromStored))
  const reporter = useLinkEventReporter()
  // Link may call onExit (with no error) after onSuccess for the same session; that exit is not news.
  const succeededSessionId = useRef<string | null>(null)

  const appendToTimeline = useCallback(
    (entry: TimelineEntry) => setTimeline((entries) => [...entries, entry]),
    [],
  )

  const loadStatus = useCallback(async () => {
    const status = await runStep(setStatusStep, () => plaidApi.fetchStatus())
    if (status) setConnection(status)
    return status
  }, [])

  useEffect(() => {
    unmounted.current = false
    return () => {
      unmounted.current = true
    }
  }, [])

  // Back from a bank's OAuth page (through /oauth-return): re-open Link with the same token.
  const [oauthResumeError, setOAuthResumeError] = useState<string | null>(null)
  useEffect(() => {
    takeLinkResumption().then(
      (resumption) => {
        if (!resumption) return
        const { link_token, mode, environment, receivedRedirectUri } = resumption
        setActiveToken({
          link_token,
          mode,
          environment,
          expiration: '',
          persist_ready: true,
          openOnReady: true,
          receivedRedirectUri,
        })
      },
      (error: unknown) => setOAuthResumeError(error instanceof ApiError ? error.message : String(error)),
    )
  }, [])

  const refreshStatus = useCallback(() => loadStatus(), [loadStatus])

  // Webhooks (a revoked consent, a repaired login, verified deposits) change the Item at any time:
  // while one is linked, re-read the status quietly and show it when it changed.
  const hasItem = connection?.item != null
  const latestConnection = useRef(connection)
  latestConnection.current = connection
  useEffect(() => {
    if (!hasItem) return
    const controller = new AbortController()
    const timer = setInterval(async () => {
      if (document.visibilityState !== 'visible') return
      try {
        const exchange = await plaidApi.fetchStatus(controller.signal)
        if (!exchange.ok || unmounted.current) return
        const status = exchange.responseBody as PlaidConnectionStatus
        if (sameConnection(latestConnection.current, status)) return
        setConnection(status)
        setStatusStep({ phase: 'done', exchange, data: status })
      } catch {
        // Offline for a moment: the next tick tries again.
      }
    }, FOLLOW_WEBHOOKS_INTERVAL_MS)
    return () => {
      clearInterval(timer)
      controller.abort()
    }
  }, [hasItem])

  /** Re-reads the status until it differs from `before`, for changes that arrive by webhook. */
  const watchStatus = async (before: PlaidConnectionStatus | null) => {
    for (let attempt = 0; attempt < STATUS_POLL_ATTEMPTS && !unmounted.current; attempt++) {
      const status = await loadStatus()
      if (!status || !sameConnection(before, status)) return
      await sleep(STATUS_POLL_INTERVAL_MS)
    }
  }

  const requestLinkToken = useCallback(async (mode: LinkMode, openOnReady = false) => {
    setTokenRenewedAfterExpiry(false)
    setActiveToken(null)
    const token = await runStep(setTokenStep, () => plaidApi.createLinkToken(mode))
    if (token) setActiveToken({ ...token, openOnReady })
    return token
  }, [])

  const markLinkOpened = useCallback(() => {
    setTokenRenewedAfterExpiry(false)
    setLinkOutcome({ kind: 'open', mode: activeToken?.mode ?? 'create' })
  }, [activeToken])

  const handleSuccess = async (publicToken: string | null, metadata: PlaidLinkOnSuccessMetadata) => {
    if (succeededSessionId.current === metadata.link_session_id) return
    succeededSessionId.current = metadata.link_session_id
    const mode = activeToken?.mode ?? 'create'
    const before = connection
    setActiveToken(null)
    setLinkOutcome({
      kind: 'succeeded',
      institutionName: metadata.institution?.name ?? null,
      accountCount: metadata.accounts.length,
      linkSessionId: metadata.link_session_id,
    })
    appendToTimeline(entryFromSuccess(metadata))
    if (mode === 'update') {
      setExchangeStep({
        phase: 'skipped',
        reason: 'Update mode repairs the existing connection; nothing to exchange.',
      })
      // A confirmed Same-Day deposit code sends no webhook: ask Plaid for the accounts again.
      const refreshed = await runStep(setStatusStep, plaidApi.refreshAccounts)
      if (refreshed) setConnection(refreshed)
      if (refreshed && verificationsOf(refreshed) !== verificationsOf(before)) return
    } else if (publicToken === null) {
      setExchangeStep({ phase: 'skipped', reason: 'Link finished without a public token.' })
    } else {
      await runStep(setExchangeStep, () => plaidApi.exchangePublicToken(publicToken))
    }
    // An update-mode repair reaches Safeclose as a webhook, a moment after Link closes.
    await watchStatus(before)
  }

  const handleExit = async (error: PlaidLinkError | null, metadata: PlaidLinkOnExitMetadata) => {
    reporter.report(reportFromExit(error, metadata))
    if (error === null && succeededSessionId.current === metadata.link_session_id) return
    appendToTimeline(entryFromExit(error, metadata))
    setLinkOutcome({
      kind: 'exited',
      error,
      status: metadata.status,
      linkSessionId: metadata.link_session_id,
      requestId: metadata.request_id,
    })
    if (error?.error_code === 'INVALID_LINK_TOKEN') {
      // Expired or already used: fetch a fresh token so the user can simply try again.
      const renewed = await requestLinkToken(activeToken?.mode ?? 'create')
      setTokenRenewedAfterExpiry(renewed !== null)
    }
  }

  const handleEvent = (eventName: string, metadata: PlaidLinkOnEventMetadata) => {
    reporter.report(reportFromEvent(eventName, metadata))
    appendToTimeline(entryFromEvent(eventName, metadata))
  }

  const runTool = async (call: () => Promise<ApiExchange>) => {
    const before = connection
    if ((await runStep(setToolStep, call)) === null) return
    await watchStatus(before)
  }

  return {
    tokenStep,
    activeToken,
    tokenRenewedAfterExpiry,
    linkOutcome,
    exchangeStep,
    statusStep,
    connection,
    toolStep,
    timeline,
    oauthResumeError,
    reportProblem: reporter.problem,
    requestLinkToken,
    reconnect: () => requestLinkToken('update', true),
    markLinkOpened,
    handleSuccess,
    handleExit,
    handleEvent,
    refreshStatus,
    removeItem: () => runTool(plaidApi.removeItem),
    simulateLoginRequired: () => runTool(plaidApi.simulateLoginRequired),
    simulateWebhook: (code: SimulatedWebhookCode) => runTool(() => plaidApi.simulateWebhook(code)),
    authStep,
    loadAuthMasks: () => runStep(setAuthStep, () => plaidApi.fetchAuthMasks()),
    /** Same-Day: Link in update mode shows the deposit-code pane for the pending account. */
    confirmDeposits: () => requestLinkToken('update', true),
    setVerificationStatus: (accountId: string, status: 'automatically_verified' | 'verification_expired') =>
      runTool(() => plaidApi.setVerificationStatus(accountId, status)),
  }
}
