// The Link UI inside `plaid-link-iframe-N`. It drives one Link session per `open` message from its
// parent (link-initialize.js), calls the sandbox's Link API next to this file (`api/...`), and reports
// events and the outcome back to the parent. The parent decides when callbacks reach the app; this
// side owns Plaid's semantics (panes, view names, exit statuses, metadata).
;(() => {
  const CHANNEL = 'plaid-link-emulator'
  const params = new URLSearchParams(window.location.search)
  const linkToken = params.get('token') ?? ''
  const parentOrigin = readParentOrigin(params.get('origin'))
  // Set when the app re-created Link after an OAuth redirect (`Plaid.create({ receivedRedirectUri })`).
  const receivedRedirectUri = params.get('receivedRedirectUri')
  const apiBase = new URL('api/', window.location.href)

  const modal = byId('modal')
  const pane = byId('pane')
  const exitPane = byId('exit-pane')
  const backButton = byId('back-button')
  const closeButton = byId('close-button')
  const wordmark = byId('wordmark')

  /** Exit statuses by pane (plaid.com/docs/link/web/#link-web-onexit-status). Other views inherit. */
  const EXIT_STATUS_BY_VIEW = {
    CONSENT: 'requires_credentials',
    SELECT_INSTITUTION: 'institution_not_found',
    CREDENTIAL: 'requires_credentials',
    SELECT_ACCOUNT: 'requires_account_selection',
    OAUTH: 'requires_oauth',
    NUMBERS: 'requires_credentials',
    VERIFY_MICRODEPOSITS: 'requires_code',
    INSTANT_MICRODEPOSIT_AUTHORIZED: 'requires_code',
  }
  /** Sandbox code of the Same-Day micro-deposit (plaid.com/docs/auth/coverage/testing/). */
  const SAME_DAY_SANDBOX_CODE = 'ABC'
  const MFA_PRESENTATION = {
    device: { mfaType: 'code', exitStatus: 'requires_code' },
    questions: { mfaType: 'questions', exitStatus: 'requires_questions' },
    selections: { mfaType: 'selections', exitStatus: 'requires_selections' },
  }
  const SEARCH_DEBOUNCE_MS = 200
  const OAUTH_POPUP_POLL_MS = 250
  /**
   * OAuth hand-off by redirect (instead of a popup) when the link token has a redirect_uri and the
   * screen is small: the viewport (this frame fills it) is at most 640 CSS px wide, or the primary
   * pointer is a finger. Elsewhere a popup, as Link does on desktop.
   */
  const REDIRECT_SCREEN_QUERIES = ['(max-width: 640px)', '(pointer: coarse)']

  /**
   * The Link session being shown, or null while the frame waits hidden for `open`.
   * @type {null | {
   *   number: number, linkSessionId: string, requestId: string, isUpdateMode: boolean, clientName: string,
   *   institution: null | { institution_id: string, name: string }, view: string | null, exitStatus: string | null,
   *   lastError: null | PlaidLinkError, abort: AbortController, isBusy: boolean, isExitRequested: boolean,
   *   back: null | (() => void), finish: null | (() => void), viewBeforeExit: string | null,
   *   focusBeforeExitPane: Element | null, hasRedirectUri: boolean, endsOnError: boolean,
   *   oauthPopup: Window | null, oauthPoll: ReturnType<typeof setInterval> | undefined,
   *   manualEntry: null | { asks_name: boolean },
   *   microdeposit: null | { account: any, attempts_remaining: number },
   *   instantMicrodeposits: null | { asks_name: boolean, institution_ids: string[] },
   *   instantDeposit: null | { mask: string, subtype: string, attempts_remaining: number }
   * }}
   */
  let session = null

  /** @typedef {{ error_type: string, error_code: string, error_message: string, display_message: string | null }} PlaidLinkError */

  class LinkApiError extends Error {
    /** @param {PlaidLinkError & { retryable?: boolean }} envelope */
    constructor(envelope) {
      super(envelope.error_message)
      this.linkError = {
        error_type: envelope.error_type,
        error_code: envelope.error_code,
        error_message: envelope.error_message,
        display_message: envelope.display_message ?? null,
      }
      this.isRetryable = envelope.retryable === true
    }
  }

  if (!parentOrigin) {
    modal.hidden = false
    pane.append(
      h('h1', { id: 'pane-title' }, 'Plaid Link'),
      h(
        'p',
        { className: 'lede' },
        'This page is the Link frame. Open Link from your app with Plaid.create().',
      ),
    )
    return
  }

  window.addEventListener('message', onParentMessage)
  document.addEventListener('keydown', onKeyDown)
  closeButton.addEventListener('click', requestExit)
  backButton.addEventListener('click', () => session?.back?.())
  byId('exit-confirm-button').addEventListener('click', endWithExit)
  byId('exit-cancel-button').addEventListener('click', hideExitPane)
  postToParent({ type: 'ready' })

  // ---------------------------------------------------------------------------------------------
  // Parent protocol

  /** @param {MessageEvent} event */
  function onParentMessage(event) {
    if (event.source !== window.parent || event.origin !== parentOrigin) return
    const message = event.data
    if (!message || message.channel !== CHANNEL) return
    if (message.type === 'open') {
      if (session) discardSession()
      beginSession(message.session)
      return
    }
    if (!session || message.session !== session.number) return
    if (message.type === 'confirm-exit') requestExit()
    else if (message.type === 'close') discardSession()
  }

  /** @param {object} message */
  function postToParent(message) {
    window.parent.postMessage({ channel: CHANNEL, ...message }, parentOrigin)
  }

  /** @param {string | null} origin */
  function readParentOrigin(origin) {
    if (!origin) return null
    try {
      const parsed = new URL(origin)
      return parsed.origin === origin ? origin : null
    } catch {
      return null
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Session lifecycle

  /** @param {number} sessionNumber */
  function beginSession(sessionNumber) {
    session = {
      number: sessionNumber,
      linkSessionId: '',
      requestId: '',
      isUpdateMode: false,
      clientName: '',
      institution: null,
      view: null,
      exitStatus: null,
      lastError: null,
      abort: new AbortController(),
      isBusy: false,
      isExitRequested: false,
      back: null,
      finish: null,
      viewBeforeExit: null,
      focusBeforeExitPane: null,
      hasRedirectUri: false,
      // A failed resume from an OAuth redirect ends Link at once: retrying cannot fix the URL.
      endsOnError: receivedRedirectUri !== null,
      oauthPopup: null,
      oauthPoll: undefined,
      manualEntry: null,
      microdeposit: null,
      instantMicrodeposits: null,
      instantDeposit: null,
    }
    modal.hidden = false
    showLoading('Loading', { announce: false })
    const current = session
    void runStep(
      () =>
        callApi(
          'session/start',
          receivedRedirectUri === null ? {} : { received_redirect_uri: receivedRedirectUri },
        ),
      (started) => {
        current.linkSessionId = started.link_session_id
        current.clientName = started.client_name
        current.isUpdateMode = started.mode === 'update'
        current.hasRedirectUri = started.has_redirect_uri === true
        current.endsOnError = false
        if (current.isUpdateMode && started.update) current.institution = started.update.institution
        current.manualEntry = started.manual_entry ?? null
        current.microdeposit = started.update?.microdeposit ?? null
        current.instantMicrodeposits = started.instant_microdeposits ?? null
        wordmark.textContent = current.clientName
        if (started.oauth) {
          resumeAfterRedirect(started.oauth)
          return
        }
        emit('OPEN', { view_name: 'CONSENT', is_update_mode: String(current.isUpdateMode) })
        showConsent({ announce: false })
      },
      () => {
        current.abort.abort()
        beginSession(sessionNumber)
      },
    )
  }

  function discardSession() {
    if (!session) return
    session.abort.abort()
    clearInterval(session.oauthPoll)
    if (session.oauthPopup && !session.oauthPopup.closed) session.oauthPopup.close()
    session = null
    modal.hidden = true
    exitPane.hidden = true
    pane.hidden = false
    pane.replaceChildren()
    wordmark.textContent = 'Bank connection'
  }

  /**
   * @param {string} eventName
   * @param {Partial<Record<string, string | null>>} [details]
   */
  function emit(eventName, details = {}) {
    if (!session) return
    const metadata = { ...eventMetadata(), ...details, timestamp: new Date().toISOString() }
    postToParent({ type: 'event', session: session.number, eventName, metadata, exitPlan: exitPlan() })
    reportEventToSandbox(eventName, metadata)
  }

  /**
   * Bookkeeping for the sandbox's control API only: never awaited, never allowed to affect the flow,
   * and kept out of `requestId` so the app sees the request ids of the flow's own calls.
   * @param {string} eventName
   * @param {{ view_name: string | null, link_session_id: string }} metadata
   */
  function reportEventToSandbox(eventName, metadata) {
    if (!metadata.link_session_id) return
    fetch(new URL('events', apiBase), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        link_token: linkToken,
        link_session_id: metadata.link_session_id,
        event_name: eventName,
        view_name: metadata.view_name,
      }),
      credentials: 'omit',
      keepalive: true,
    }).catch(() => {})
  }

  /** The full PlaidLinkOnEventMetadata key set; keys that do not apply stay null. */
  function eventMetadata() {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    return {
      account_number_mask: null,
      error_type: null,
      error_code: null,
      error_message: null,
      exit_status: null,
      institution_id: current.institution?.institution_id ?? null,
      institution_name: current.institution?.name ?? null,
      institution_search_query: null,
      is_update_mode: null,
      match_reason: null,
      mfa_type: null,
      routing_number: null,
      view_name: current.view,
      selection: null,
      timestamp: '',
      link_session_id: current.linkSessionId,
      request_id: current.requestId,
    }
  }

  /** What the app receives if the session ends now: kept current in the parent for exit({ force }). */
  function exitPlan() {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const error = current.lastError
    return {
      error,
      metadata: {
        institution: current.institution,
        status: current.exitStatus,
        link_session_id: current.linkSessionId,
        request_id: current.requestId,
      },
      eventMetadata: {
        ...eventMetadata(),
        exit_status: current.exitStatus,
        error_type: error?.error_type ?? null,
        error_code: error?.error_code ?? null,
        error_message: error?.error_message ?? null,
      },
    }
  }

  function endWithExit() {
    if (!session) return
    const { error, metadata, eventMetadata: exitEventMetadata } = exitPlan()
    emit('EXIT', exitEventMetadata)
    postToParent({ type: 'exit', session: session.number, error, metadata })
    discardSession()
  }

  /**
   * @param {string} publicToken
   * @param {object} metadata
   */
  function endWithSuccess(publicToken, metadata) {
    if (!session) return
    emit('HANDOFF')
    postToParent({ type: 'success', session: session.number, publicToken, metadata })
    discardSession()
  }

  // ---------------------------------------------------------------------------------------------
  // Sandbox Link API

  /**
   * @param {string} path
   * @param {Record<string, unknown>} body
   */
  async function callApi(path, body) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    let response
    try {
      response = await fetch(new URL(path, apiBase), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ link_token: linkToken, ...body }),
        signal: current.abort.signal,
        credentials: 'omit',
      })
    } catch (error) {
      if (current.abort.signal.aborted) throw error
      throw linkUiError(`the Link UI could not reach the Plaid sandbox (${path})`)
    }
    const payload = await response.json().catch(() => null)
    if (payload && typeof payload.request_id === 'string') current.requestId = payload.request_id
    if (!response.ok || !payload) {
      throw new LinkApiError(
        payload?.error_code ? payload : linkUiError(`unexpected HTTP ${response.status} from ${path}`),
      )
    }
    return payload
  }

  /**
   * A failure on this side of the API (network, unexpected answer): reported as Plaid reports its own
   * internal errors, so the app sees the usual error shape.
   * @param {string} message
   */
  function linkUiError(message) {
    return {
      error_type: 'API_ERROR',
      error_code: 'INTERNAL_SERVER_ERROR',
      error_message: message,
      display_message: null,
    }
  }

  /**
   * Runs one request while the pane shows progress; every request goes through here so an exit
   * requested meanwhile (Escape, ×, handler.exit()) waits for the next pane instead of racing it.
   * @template T
   * @param {() => Promise<T>} request
   * @param {(result: T) => void} onResult
   * @param {() => void} retry shows again the pane the failed request came from
   */
  async function runStep(request, onResult, retry) {
    const current = session
    if (!current || current.isBusy) return
    current.isBusy = true
    let result
    try {
      result = await request()
    } catch (error) {
      if (session !== current) return
      current.isBusy = false
      handleFailure(error, retry)
      return
    }
    if (session !== current) return
    current.isBusy = false
    onResult(result)
  }

  /**
   * @param {unknown} error
   * @param {() => void} retry
   */
  function handleFailure(error, retry) {
    if (!session || session.abort.signal.aborted) return
    const apiError =
      error instanceof LinkApiError
        ? error
        : new LinkApiError(linkUiError(error instanceof Error ? error.message : String(error)))
    session.lastError = apiError.linkError
    const { error_type, error_code, error_message } = apiError.linkError
    session.view = 'ERROR'
    emit('ERROR', { error_type, error_code, error_message })
    // An unusable link token ends Link at once: the app must create a new token and handler.
    if (error_code === 'INVALID_LINK_TOKEN' || session.endsOnError) {
      endWithExit()
      return
    }
    showError(apiError, retry)
  }

  // ---------------------------------------------------------------------------------------------
  // Panes

  /**
   * Replaces the pane content, records the view, and moves focus into the new pane.
   * @param {{ view: string, announce?: boolean, back?: null | (() => void), exitStatus?: string,
   *   eventDetails?: Record<string, string> }} options
   * @param {Node[]} children
   */
  function showPane({ view, announce = true, back = null, exitStatus, eventDetails = {} }, children) {
    if (!session) return
    session.view = view
    const status = exitStatus ?? EXIT_STATUS_BY_VIEW[/** @type {keyof typeof EXIT_STATUS_BY_VIEW} */ (view)]
    if (status) session.exitStatus = status
    session.back = back
    backButton.hidden = back === null
    exitPane.hidden = true
    pane.hidden = false
    modal.setAttribute('aria-labelledby', 'pane-title')
    pane.replaceChildren(...children)
    if (announce) emit('TRANSITION_VIEW', eventDetails)
    const autofocus = pane.querySelector('[data-autofocus]') ?? pane.querySelector('h1')
    if (autofocus instanceof HTMLElement) autofocus.focus()
    if (session.isExitRequested) {
      session.isExitRequested = false
      requestExit()
    }
  }

  /**
   * @param {string} message
   * @param {{ announce?: boolean }} [options]
   */
  function showLoading(message, { announce = true } = {}) {
    showPane({ view: 'LOADING', announce }, [
      h('div', { className: 'spinner', ariaHidden: 'true' }),
      h('h1', { className: 'loading-text', id: 'pane-title', tabIndex: -1, role: 'status' }, `${message}…`),
    ])
  }

  /** @param {{ announce?: boolean }} [options] */
  function showConsent({ announce = true } = {}) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    let title = `${current.clientName} uses Plaid to connect your account`
    if (current.microdeposit) title = `Verify your account with ${current.clientName}`
    else if (current.isUpdateMode) title = `Reconnect your ${current.institution?.name ?? 'bank'} account`
    const continueButton = button('Continue', 'primary', () => {
      if (current.microdeposit) showMicrodepositCode()
      else if (current.isUpdateMode) showCredentials()
      else showInstitutionSearch()
    })
    continueButton.dataset.autofocus = ''
    showPane({ view: 'CONSENT', announce }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, title),
      h(
        'ul',
        { className: 'benefits' },
        h(
          'li',
          {},
          h('strong', {}, 'Secure'),
          h('span', {}, 'Your credentials are encrypted and never shared with the app.'),
        ),
        h('li', {}, h('strong', {}, 'Private'), h('span', {}, 'The app only sees the account you choose.')),
      ),
      h(
        'p',
        { className: 'fine-print' },
        'By selecting Continue you agree to the Plaid End User Privacy Policy. This is the offline sandbox: use test credentials only.',
      ),
      h('div', { className: 'actions' }, continueButton),
    ])
  }

  function showInstitutionSearch() {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const input = h('input', {
      id: 'search-input-input',
      type: 'search',
      autocomplete: 'off',
      spellcheck: false,
      placeholder: 'Search',
    })
    input.dataset.autofocus = ''
    const results = h('ul', { className: 'institution-list', ariaLabel: 'Institutions', ariaBusy: 'true' })
    const resultsStatus = h('p', { className: 'empty-state', role: 'status' })
    let latestSearch = 0
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let debounce

    // Answers that arrive after the user typed on, or left this pane, are dropped.
    const isCurrentSearch = (/** @type {number} */ searchNumber) =>
      session === current && searchNumber === latestSearch && results.isConnected

    const search = async (/** @type {string} */ query) => {
      const searchNumber = ++latestSearch
      if (!isCurrentSearch(searchNumber)) return
      let found
      try {
        found = await callApi('institutions/search', { query })
      } catch (error) {
        if (isCurrentSearch(searchNumber)) handleFailure(error, showInstitutionSearch)
        return
      }
      if (!isCurrentSearch(searchNumber)) return
      if (query !== '') emit('SEARCH_INSTITUTION', { institution_search_query: query })
      results.replaceChildren(...found.institutions.map(institutionButton))
      results.ariaBusy = 'false'
      resultsStatus.textContent =
        found.institutions.length === 0 ? `No results for “${query}”. Try another name.` : ''
    }

    input.addEventListener('input', () => {
      results.ariaBusy = 'true'
      clearTimeout(debounce)
      debounce = setTimeout(() => void search(input.value.trim()), SEARCH_DEBOUNCE_MS)
    })

    // Same-Day Micro-deposits: the way in for a bank the user cannot (or will not) log in to.
    const manualEntry =
      current.manualEntry || current.instantMicrodeposits
        ? h(
            'div',
            { className: 'manual-entry' },
            h(
              'p',
              { className: 'hint' },
              'Don’t see your bank? Connect it with its routing and account numbers.',
            ),
            button('Link with account numbers', 'secondary', () => {
              if (!session) return
              session.institution = null
              showNumbers()
            }),
          )
        : ''
    showPane({ view: 'SELECT_INSTITUTION', back: showConsent }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, 'Select your bank'),
      h(
        'div',
        { className: 'field' },
        h('label', { htmlFor: 'search-input-input', className: 'visually-hidden' }, 'Search for your bank'),
        input,
      ),
      resultsStatus,
      results,
      manualEntry,
    ])
    void search('')
  }

  /** @param {{ institution_id: string, name: string, url?: string | null, primary_color?: string | null, oauth?: boolean }} institution */
  function institutionButton(institution) {
    const logo = h('span', { className: 'institution-logo', ariaHidden: 'true' }, initials(institution.name))
    // CSSOM, not a style attribute: allowed under a CSP without 'unsafe-inline'.
    if (institution.primary_color) logo.style.backgroundColor = institution.primary_color
    // Named by the institution alone, as real Link's result buttons are.
    const choose = h(
      'button',
      { type: 'button', className: 'institution-button', ariaLabel: institution.name },
      logo,
      h(
        'span',
        {},
        h('span', { className: 'institution-name' }, institution.name),
        institution.url ? h('span', { className: 'institution-url' }, institution.url) : '',
      ),
    )
    choose.addEventListener('click', () => {
      if (!session) return
      session.institution = { institution_id: institution.institution_id, name: institution.name }
      emit('SELECT_INSTITUTION')
      if (isInstantMicrodepositInstitution(institution.institution_id)) showNumbers()
      else if (institution.oauth) startOAuth()
      else showCredentials()
    })
    return h('li', {}, choose)
  }

  function showCredentials() {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const institutionName = current.institution?.name ?? 'your bank'
    const username = textField('aut-input-0-input', 'Username', 'text')
    const password = textField('aut-input-1-input', 'Password', 'password')
    username.input.dataset.autofocus = ''
    const form = h(
      'form',
      { className: 'pane-form', noValidate: true },
      username.field,
      password.field,
      h('p', { className: 'hint' }, 'Sandbox: user_good / pass_good, or a password such as mfa_device.'),
      h('div', { className: 'actions' }, submitButton('Submit')),
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      if (!session?.institution) return
      const institutionId = session.institution.institution_id
      emit('SUBMIT_CREDENTIALS')
      showLoading(`Connecting to ${institutionName}`)
      void runStep(
        () =>
          callApi('credentials/submit', {
            link_session_id: current.linkSessionId,
            institution_id: institutionId,
            username: username.input.value,
            password: password.input.value,
          }),
        showNextStep,
        showCredentials,
      )
    })
    showPane({ view: 'CREDENTIAL', back: current.isUpdateMode ? null : showInstitutionSearch }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, `Log in to ${institutionName}`),
      h('p', { className: 'lede' }, `Enter your ${institutionName} username and password.`),
      form,
    ])
  }

  // ---------------------------------------------------------------------------------------------
  // OAuth institutions: hand-off to the bank's page (popup or redirect) and back

  /** @param {NonNullable<typeof session>} current */
  function usesRedirect(current) {
    return current.hasRedirectUri && REDIRECT_SCREEN_QUERIES.some((query) => window.matchMedia(query).matches)
  }

  function startOAuth() {
    const current = session
    if (!current?.institution) return
    const mode = usesRedirect(current) ? 'redirect' : 'popup'
    const institutionId = current.institution.institution_id
    showLoading('Loading', { announce: false })
    void runStep(
      () =>
        callApi('oauth/start', {
          link_session_id: current.linkSessionId,
          institution_id: institutionId,
          mode,
        }),
      (started) => showOAuth(started.oauth_state_id, mode),
      showInstitutionSearch,
    )
  }

  /**
   * The OAUTH pane: tells the user where Continue takes them.
   * @param {string} oauthStateId
   * @param {'popup' | 'redirect'} mode
   * @param {{ notice?: string }} [options]
   */
  function showOAuth(oauthStateId, mode, { notice } = {}) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const bankName = current.institution?.name ?? 'your bank'
    const continueButton = button('Continue', 'primary', () => openOAuth(oauthStateId, mode))
    continueButton.dataset.autofocus = ''
    showPane({ view: 'OAUTH', back: showInstitutionSearch }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, `You will be taken to ${bankName}`),
      h(
        'p',
        { className: 'lede' },
        `Log in at ${bankName} and choose the accounts to share with ${current.clientName}. ` +
          (mode === 'popup'
            ? 'A new window will open; come back here when you are done.'
            : 'You will return to this page when you are done.'),
      ),
      notice ? h('p', { className: 'notice', role: 'alert' }, notice) : '',
      h('p', { className: 'fine-print' }, 'Sandbox: the bank page accepts user_good / pass_good.'),
      h('div', { className: 'actions' }, continueButton),
    ])
  }

  /**
   * Continue on the OAUTH pane. The popup opens inside the click, or browsers block it.
   * @param {string} oauthStateId
   * @param {'popup' | 'redirect'} mode
   */
  function openOAuth(oauthStateId, mode) {
    const current = session
    if (!current || current.isBusy) return
    const bankName = current.institution?.name ?? 'your bank'
    const bankUrl = new URL(
      `oauth-bank/bank.html?${new URLSearchParams({ oauth_state_id: oauthStateId })}`,
      window.location.href,
    ).href
    if (mode === 'redirect') {
      emit('OPEN_OAUTH')
      showLoading(`Taking you to ${bankName}`, { announce: false })
      current.view = 'OAUTH'
      // A cross-origin frame cannot move the top page reliably; the parent page does it.
      postToParent({ type: 'oauth-redirect', session: current.number, url: bankUrl })
      return
    }
    const popup = window.open(bankUrl, 'plaid-link-oauth', 'popup,width=480,height=720')
    if (!popup) {
      showOAuth(oauthStateId, mode, {
        notice: 'Your browser blocked the window. Allow pop-ups for this site, then select Continue again.',
      })
      return
    }
    emit('OPEN_OAUTH')
    current.oauthPopup = popup
    showPane({ view: 'OAUTH', announce: false }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, `Continue at ${bankName}`),
      h(
        'p',
        { className: 'lede' },
        `Log in and choose your accounts in the ${bankName} window. This page carries on when it closes.`,
      ),
      h(
        'div',
        { className: 'actions' },
        button('Show the bank window', 'secondary', () => popup.focus()),
      ),
    ])
    current.oauthPoll = setInterval(() => {
      if (!popup.closed || session !== current) return
      clearInterval(current.oauthPoll)
      current.oauthPopup = null
      void runStep(
        () =>
          callApi('oauth/complete', {
            link_session_id: current.linkSessionId,
            oauth_state_id: oauthStateId,
          }),
        (outcome) => {
          if (outcome.status === 'pending') {
            // Closed before approving or cancelling: the same request can be reopened.
            emit('CLOSE_OAUTH')
            showOAuth(oauthStateId, mode)
          } else {
            continueAfterOAuth(outcome)
          }
        },
        () => showOAuth(oauthStateId, mode),
      )
    }, OAUTH_POPUP_POLL_MS)
  }

  /**
   * A Link re-created with receivedRedirectUri: the session that left for the bank carries on.
   * @param {any} oauth the `oauth` part of the session/start answer
   */
  function resumeAfterRedirect(oauth) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    current.institution = oauth.institution
    current.view = 'OAUTH'
    current.exitStatus = 'requires_oauth'
    emit('OPEN', { view_name: 'OAUTH', is_update_mode: String(current.isUpdateMode) })
    if (oauth.status === 'pending') {
      // Back from the bank without an answer (the browser's Back button): offer the hand-off again.
      emit('CLOSE_OAUTH')
      startOAuth()
      return
    }
    continueAfterOAuth(oauth)
  }

  /**
   * The bank answered: approved accounts go on to account selection (straight to success when the
   * user shared one account); a denial is FAIL_OAUTH and an error the user may retry or exit from.
   * @param {any} outcome
   */
  function continueAfterOAuth(outcome) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    if (outcome.status === 'denied') {
      const failure = new LinkApiError({ ...outcome.error, retryable: true })
      current.lastError = failure.linkError
      const { error_type, error_code, error_message } = failure.linkError
      current.view = 'OAUTH'
      emit('FAIL_OAUTH', { error_type, error_code, error_message })
      showError(failure, startOAuth)
      return
    }
    const accounts = outcome.accounts
    if (accounts.length === 1) {
      showLoading('Connecting', { announce: false })
      submitAccounts([accounts[0].account_id], () => showAccounts(accounts))
    } else {
      showAccounts(accounts)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Same-Day Micro-deposits: numbers typed in, then (in update mode) the code of the deposit

  /**
   * The NUMBERS pane: routing and account number, the holder's name (unless the link token had
   * user.legal_name) and the account type. Checked here first, so typing mistakes stay on the pane.
   * @param {{ routing?: string, account?: string, name?: string, subtype?: string, notice?: string }} [values]
   */
  function showNumbers(values = {}) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const asksName = (current.manualEntry ?? current.instantMicrodeposits)?.asks_name !== false
    const routing = textField('numbers-routing-input', 'Routing number', 'text')
    const account = textField('numbers-account-input', 'Account number', 'text')
    const name = textField('numbers-name-input', 'Full name', 'text')
    for (const field of [routing, account]) {
      field.input.inputMode = 'numeric'
    }
    name.input.autocomplete = 'name'
    routing.input.value = values.routing ?? ''
    account.input.value = values.account ?? ''
    name.input.value = values.name ?? ''
    routing.input.dataset.autofocus = ''
    const type = radioGroup('numbers-account-type', 'Account type', [
      { value: 'checking', label: 'Checking', detail: '' },
      { value: 'savings', label: 'Savings', detail: '' },
    ])
    if (values.subtype === 'savings') {
      const savings = type.fieldset.querySelector('input[value="savings"]')
      if (savings instanceof HTMLInputElement) savings.checked = true
    }
    const form = h(
      'form',
      { className: 'pane-form', noValidate: true },
      values.notice ? h('p', { className: 'notice', role: 'alert' }, values.notice) : '',
      routing.field,
      account.field,
      asksName ? name.field : '',
      type.fieldset,
      h('p', { className: 'hint' }, numbersHint(current)),
      h('div', { className: 'actions' }, submitButton('Continue')),
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const entered = {
        routing: routing.input.value.trim(),
        account: account.input.value.replace(/[\s-]/g, ''),
        name: name.input.value.trim(),
        subtype: type.selected(),
      }
      const problem = numbersProblem(entered, asksName)
      if (problem) {
        showNumbers({ ...entered, notice: problem })
        return
      }
      emit('SUBMIT_ROUTING_NUMBER', { routing_number: entered.routing })
      emit('SUBMIT_ACCOUNT_NUMBER', { account_number_mask: entered.account.slice(-4) })
      showLoading('Setting up your deposit')
      void runStep(
        () =>
          callApi('numbers/submit', {
            link_session_id: current.linkSessionId,
            routing_number: entered.routing,
            account_number: entered.account,
            ...(asksName ? { name: entered.name } : {}),
            account_subtype: entered.subtype,
          }),
        (answer) => showNumbersOutcome(answer, entered),
        () => showNumbers(entered),
      )
    })
    // A correction notice re-renders the same pane: no new TRANSITION_VIEW.
    showPane({ view: 'NUMBERS', back: showInstitutionSearch, announce: !values.notice }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, 'Enter your account details'),
      h('p', { className: 'lede' }, numbersLede(current)),
      form,
    ])
  }

  /**
   * @param {{ routing: string, account: string, name: string }} entered
   * @param {boolean} asksName
   * @returns {string | null}
   */
  function numbersProblem(entered, asksName) {
    if (!/^\d{9}$/.test(entered.routing) || !hasRoutingChecksum(entered.routing)) {
      return 'Enter a valid 9-digit routing number.'
    }
    if (!/^\d{4,17}$/.test(entered.account)) return 'Enter a valid account number (4 to 17 digits).'
    if (asksName && entered.name === '') return 'Enter the name on the account.'
    return null
  }

  /** @param {string} routing nine digits */
  function hasRoutingChecksum(routing) {
    const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1]
    return (
      [...routing].reduce((sum, digit, index) => sum + Number(digit) * (weights[index] ?? 0), 0) % 10 === 0
    )
  }

  /** @param {any} linked the numbers/submit answer: the Item exists, its account is pending. */
  function showDepositAuthorized(linked) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const account = linked.accounts[0]
    const metadata = {
      institution: null,
      accounts: linked.accounts,
      link_session_id: linked.link_session_id,
      transfer_status: linked.transfer_status ?? null,
    }
    const finish = () => endWithSuccess(linked.public_token, metadata)
    const continueButton = button('Continue', 'primary', finish)
    continueButton.dataset.autofocus = ''
    showPane({ view: 'SAME_DAY_MICRODEPOSIT_AUTHORIZED' }, [
      h('div', { className: 'status-icon success', ariaHidden: 'true' }, '✓'),
      h('h1', { id: 'pane-title', tabIndex: -1 }, 'Deposit authorized'),
      h(
        'p',
        { className: 'lede' },
        `Plaid will send a small deposit to your ${account.subtype} account ending in ${account.mask} ` +
          `within 1–2 business days. Its description holds a 3-letter code: come back to ` +
          `${current.clientName} to enter it and finish verifying your account.`,
      ),
      h('p', { className: 'hint' }, `Sandbox: the code is ${SAME_DAY_SANDBOX_CODE}.`),
      h('div', { className: 'actions' }, continueButton),
    ])
    current.back = null
    current.finish = finish
  }

  /**
   * Update mode on a Same-Day Item: the code from the deposit's description.
   * @param {{ notice?: string }} [options]
   */
  function showMicrodepositCode({ notice } = {}) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const pending = /** @type {NonNullable<typeof current.microdeposit>} */ (current.microdeposit)
    showDepositCodePane({
      inputId: 'microdeposit-code-input',
      view: 'VERIFY_MICRODEPOSITS',
      title: 'Enter the code from your deposit',
      lede:
        `Find the small deposit to your ${pending.account.subtype} account ending in ${pending.account.mask}. ` +
        'Its description holds a 3-letter code.',
      notice,
      endpoint: 'microdeposits/verify',
      show: showMicrodepositCode,
      onVerified: () => {},
      onWrongCode: (result) => {
        pending.attempts_remaining = result.attempts_remaining
        pending.account = result.account
        return result.attempts_remaining
      },
      failedLede:
        'The code was entered incorrectly too many times. Connect your account again to start over.',
    })
  }

  /**
   * The pane that takes the 3-letter code of a micro-deposit (Same-Day in update mode, Instant in the
   * same session): a right code connects, a wrong one asks again until no attempts remain.
   * @param {{ inputId: string, view: string, title: string, lede: string, notice?: string,
   *   endpoint: string, show: (options?: { notice?: string }) => void, onVerified: () => void,
   *   onWrongCode: (result: any) => number, failedLede: string }} pane
   */
  function showDepositCodePane(pane) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const code = textField(pane.inputId, 'Deposit code', 'text')
    code.input.autocomplete = 'one-time-code'
    code.input.maxLength = 3
    code.input.dataset.autofocus = ''
    const form = h(
      'form',
      { className: 'pane-form', noValidate: true },
      pane.notice ? h('p', { className: 'notice', role: 'alert' }, pane.notice) : '',
      code.field,
      h('p', { className: 'hint' }, `Sandbox: the code is ${SAME_DAY_SANDBOX_CODE}.`),
      h('div', { className: 'actions' }, submitButton('Verify')),
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      const entered = code.input.value.trim()
      if (entered === '') {
        pane.show({ notice: 'Enter the 3-letter code.' })
        return
      }
      showLoading('Verifying')
      void runStep(
        () => callApi(pane.endpoint, { link_session_id: current.linkSessionId, code: entered }),
        (result) => {
          if (result.verified) {
            pane.onVerified()
            showConnected(result)
            return
          }
          const remaining = pane.onWrongCode(result)
          if (remaining > 0) {
            const attempts = remaining === 1 ? 'attempt' : 'attempts'
            pane.show({ notice: `That code is not correct. ${remaining} ${attempts} remaining.` })
          } else {
            showVerificationFailed(pane.view, pane.failedLede)
          }
        },
        () => pane.show(),
      )
    })
    showPane({ view: pane.view, announce: !pane.notice }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, pane.title),
      h('p', { className: 'lede' }, pane.lede),
      form,
    ])
  }

  /**
   * Too many wrong codes: Link can only be left.
   * @param {string} view
   * @param {string} lede
   */
  function showVerificationFailed(view, lede) {
    const exitButton = button('Exit', 'primary', endWithExit)
    exitButton.dataset.autofocus = ''
    showPane({ view, announce: false }, [
      h('div', { className: 'status-icon error', ariaHidden: 'true' }, '!'),
      h('h1', { id: 'pane-title', tabIndex: -1 }, 'We could not verify your account'),
      h('p', { className: 'lede', role: 'alert' }, lede),
      h('div', { className: 'actions' }, exitButton),
    ])
  }

  // ---------------------------------------------------------------------------------------------
  // Instant Micro-deposits: numbers typed in, a real-time deposit sent at once, its code entered in
  // the same session (plaid.com/docs/auth/coverage/instant/). Self-contained: the shared NUMBERS pane
  // calls numbersHint / numbersLede / showNumbersOutcome, the search calls
  // isInstantMicrodepositInstitution.

  /** Sandbox values of Plaid's testing guide for Instant Micro-deposits (Windowpane Bank). */
  const INSTANT_SANDBOX_ROUTING = '333333334'
  const SANDBOX_ACCOUNT_NUMBER = '1111222233330000'

  /** @param {string} institutionId */
  function isInstantMicrodepositInstitution(institutionId) {
    return session?.instantMicrodeposits?.institution_ids.includes(institutionId) === true
  }

  /**
   * Which deposit the NUMBERS pane will send: instant when the user came from an instant bank, or when
   * instant is the only manual flow; the routing number decides when both flows are on.
   * @param {NonNullable<typeof session>} current
   * @returns {'instant' | 'same_day' | 'either'}
   */
  function numbersFlow(current) {
    if (!current.instantMicrodeposits) return 'same_day'
    if (current.institution || !current.manualEntry) return 'instant'
    return 'either'
  }

  /** @param {NonNullable<typeof session>} current */
  function numbersLede(current) {
    const flow = numbersFlow(current)
    if (flow === 'instant') {
      return 'Plaid will send a small deposit to your account right away. You will confirm its code in a moment.'
    }
    if (flow === 'either') {
      return 'Plaid will send a small deposit to your account: right away if your bank takes instant payments, otherwise within 1–2 business days.'
    }
    return 'Plaid will send a small deposit to your account. You will confirm it in 1–2 business days.'
  }

  /** @param {NonNullable<typeof session>} current */
  function numbersHint(current) {
    const flow = numbersFlow(current)
    const sandbox =
      flow === 'instant'
        ? `Sandbox: routing number ${INSTANT_SANDBOX_ROUTING}, account number ${SANDBOX_ACCOUNT_NUMBER}.`
        : flow === 'either'
          ? `Sandbox: routing number ${INSTANT_SANDBOX_ROUTING} (instant) or 110000000 (same-day), account number ${SANDBOX_ACCOUNT_NUMBER}.`
          : `Sandbox: routing number 110000000, account number ${SANDBOX_ACCOUNT_NUMBER}.`
    return `${sandbox} By selecting Continue you authorize Plaid to send a small deposit to this account.`
  }

  /**
   * The numbers/submit answer: an instant deposit to confirm now, a Same-Day Item, or a bank that cannot
   * take instant payments (only Instant Micro-deposits on): then the pane asks for other numbers.
   * @param {any} answer
   * @param {{ routing: string, account: string, name: string, subtype: string }} entered
   */
  function showNumbersOutcome(answer, entered) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    if (answer.flow === 'instant') {
      current.instantDeposit = answer.deposit
      showInstantDepositCode()
    } else if (answer.flow === 'not_eligible') {
      showNumbers({
        ...entered,
        notice:
          'This bank can’t receive an instant deposit. Check the routing number, or use another account.',
      })
    } else {
      showDepositAuthorized(answer)
    }
  }

  /**
   * The deposit is on its way (in seconds): the code from its description, entered here and now.
   * @param {{ notice?: string }} [options]
   */
  function showInstantDepositCode({ notice } = {}) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const deposit = /** @type {NonNullable<typeof current.instantDeposit>} */ (current.instantDeposit)
    showDepositCodePane({
      inputId: 'instant-code-input',
      view: 'INSTANT_MICRODEPOSIT_AUTHORIZED',
      title: 'Deposit sent',
      lede:
        `Plaid sent $0.01 to your ${deposit.subtype} account ending in ${deposit.mask}. It arrives within ` +
        'seconds: open your bank’s app or website, find the deposit and enter the 3-letter code from its description.',
      notice,
      endpoint: 'instant-microdeposits/verify',
      show: showInstantDepositCode,
      onVerified: () => {
        current.instantDeposit = null
      },
      onWrongCode: (result) => {
        current.instantDeposit = result.deposit
        return result.deposit.attempts_remaining
      },
      failedLede: 'The code was entered incorrectly too many times. Start again to get a new deposit.',
    })
  }

  /** @param {any} step a credentials/submit or mfa/submit answer */
  function showNextStep(step) {
    if (step.next === 'mfa') showMfa(step.mfa)
    else showAccounts(step.accounts)
  }

  /** @param {any} mfa */
  function showMfa(mfa) {
    const presentation = MFA_PRESENTATION[/** @type {keyof typeof MFA_PRESENTATION} */ (mfa.type)]
    if (!presentation) {
      handleFailure(new Error(`unsupported MFA type ${mfa.type}`), () => {})
      return
    }
    const { fields, readAnswers, title, lede } = mfaForm(mfa)
    const form = h(
      'form',
      { className: 'pane-form', noValidate: true },
      ...fields,
      h('div', { className: 'actions' }, submitButton('Submit')),
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      if (!session) return
      const answers = readAnswers()
      emit('SUBMIT_MFA', { mfa_type: presentation.mfaType })
      showLoading('Verifying')
      void runStep(
        () => callApi('mfa/submit', { link_session_id: session?.linkSessionId, answers }),
        showNextStep,
        () => showMfa(mfa),
      )
    })
    showPane(
      { view: 'MFA', exitStatus: presentation.exitStatus, eventDetails: { mfa_type: presentation.mfaType } },
      [h('h1', { id: 'pane-title', tabIndex: -1 }, title), h('p', { className: 'lede' }, lede), form],
    )
  }

  /**
   * @param {any} mfa
   * @returns {{ fields: Node[], readAnswers: () => string[], title: string, lede: string }}
   */
  function mfaForm(mfa) {
    if (mfa.type === 'device') {
      const code = textField('mfa-code-input', 'Verification code', 'text')
      code.input.inputMode = 'numeric'
      code.input.autocomplete = 'one-time-code'
      code.input.dataset.autofocus = ''
      return {
        fields: [code.field, h('p', { className: 'hint' }, 'Sandbox: the code is 1234.')],
        readAnswers: () => [code.input.value.trim()],
        title: 'Enter the verification code',
        lede: mfa.prompt,
      }
    }
    if (mfa.type === 'questions') {
      const answers = mfa.questions.map((/** @type {{ id: string, text: string }} */ question, index) =>
        textField(`mfa-question-${index}-input`, question.text, 'text'),
      )
      answers[0].input.dataset.autofocus = ''
      return {
        fields: answers.map((/** @type {{ field: Node }} */ answer) => answer.field),
        readAnswers: () =>
          answers.map((/** @type {{ input: HTMLInputElement }} */ a) => a.input.value.trim()),
        title: 'Answer your security questions',
        lede: 'Your bank needs to confirm it is you.',
      }
    }
    const groups = mfa.selections.map(
      (/** @type {{ id: string, question: string, answers: string[] }} */ selection, index) =>
        radioGroup(
          `mfa-selection-${index}`,
          selection.question,
          selection.answers.map((answer) => ({ value: answer, label: answer, detail: '' })),
        ),
    )
    return {
      fields: groups.map((/** @type {{ fieldset: Node }} */ group) => group.fieldset),
      readAnswers: () => groups.map((/** @type {{ selected: () => string }} */ group) => group.selected()),
      title: 'Verify your identity',
      lede: 'Choose the answer your bank has on file.',
    }
  }

  /** @param {Array<{ account_id: string, name: string, mask: string | null, type: string, subtype: string }>} accounts */
  function showAccounts(accounts) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    // Update mode repairs the existing Item and keeps its accounts, so real Link skips this pane.
    if (current.isUpdateMode) {
      submitAccounts(
        accounts.map((account) => account.account_id),
        () => showAccounts(accounts),
      )
      return
    }
    const group = radioGroup(
      'account',
      'Accounts',
      accounts.map((account) => ({
        value: account.account_id,
        label: account.name,
        detail: `${account.subtype}${account.mask ? ` •••• ${account.mask}` : ''}`,
      })),
    )
    group.legend.className = 'visually-hidden'
    const form = h(
      'form',
      { className: 'pane-form', noValidate: true },
      group.fieldset,
      h('div', { className: 'actions' }, submitButton('Continue')),
    )
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      submitAccounts([group.selected()], () => showAccounts(accounts))
    })
    showPane({ view: 'SELECT_ACCOUNT' }, [
      h('h1', { id: 'pane-title', tabIndex: -1 }, 'Select account'),
      h('p', { className: 'lede' }, `${current.clientName} will use this account to verify it is yours.`),
      form,
    ])
  }

  /**
   * @param {string[]} accountIds
   * @param {() => void} retry
   */
  function submitAccounts(accountIds, retry) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const submitted = pane.querySelector('button[type="submit"]')
    if (submitted instanceof HTMLButtonElement) submitted.disabled = true
    void runStep(
      () => callApi('accounts/submit', { link_session_id: current.linkSessionId, account_ids: accountIds }),
      showConnected,
      retry,
    )
  }

  /** @param {any} linked the accounts/submit answer */
  function showConnected(linked) {
    const current = /** @type {NonNullable<typeof session>} */ (session)
    const metadata = {
      institution: linked.institution,
      accounts: linked.accounts,
      link_session_id: linked.link_session_id,
      transfer_status: linked.transfer_status ?? null,
    }
    const finish = () => endWithSuccess(linked.public_token, metadata)
    const continueButton = button('Continue', 'primary', finish)
    continueButton.dataset.autofocus = ''
    showPane({ view: 'CONNECTED' }, [
      h('div', { className: 'status-icon success', ariaHidden: 'true' }, '✓'),
      h('h1', { id: 'pane-title', tabIndex: -1 }, 'Success'),
      h('p', { className: 'lede' }, connectedMessage(current, linked)),
      h('div', { className: 'actions' }, continueButton),
    ])
    current.back = null
    current.finish = finish
  }

  /**
   * @param {NonNullable<typeof session>} current
   * @param {any} linked
   */
  function connectedMessage(current, linked) {
    if (linked.verified) {
      const account = linked.accounts[0]
      return `Your ${account.subtype} account ending in ${account.mask} is verified and connected to ${current.clientName}.`
    }
    if (current.isUpdateMode && linked.institution) {
      return `Your ${linked.institution.name} account is reconnected to ${current.clientName}.`
    }
    return `Your account has been successfully linked to ${current.clientName}.`
  }

  /**
   * @param {LinkApiError} error
   * @param {() => void} retry
   */
  function showError(error, retry) {
    const { error_code, error_message, display_message } = error.linkError
    const actions = error.isRetryable
      ? [button('Try again', 'primary', retry), button('Exit', 'secondary', endWithExit)]
      : [button('Exit', 'primary', endWithExit)]
    actions[0].dataset.autofocus = ''
    showPane({ view: 'ERROR', announce: false }, [
      h('div', { className: 'status-icon error', ariaHidden: 'true' }, '!'),
      h(
        'h1',
        { id: 'pane-title', tabIndex: -1 },
        error.isRetryable ? 'Please try again' : 'Something went wrong',
      ),
      h('p', { className: 'lede', role: 'alert' }, display_message ?? capitalize(error_message)),
      h('p', { className: 'error-code' }, `Error code: ${error_code}`),
      h('div', { className: 'actions' }, ...actions),
    ])
  }

  // ---------------------------------------------------------------------------------------------
  // Exit confirmation

  function requestExit() {
    if (!session) return
    if (session.view === 'CONNECTED' || session.view === 'SAME_DAY_MICRODEPOSIT_AUTHORIZED') {
      session.finish?.()
      return
    }
    if (session.isBusy) {
      session.isExitRequested = true
      return
    }
    showExitPane()
  }

  function showExitPane() {
    if (!session || !exitPane.hidden) return
    session.focusBeforeExitPane = document.activeElement
    session.viewBeforeExit = session.view
    session.view = 'EXIT'
    pane.hidden = true
    exitPane.hidden = false
    backButton.hidden = true
    modal.setAttribute('aria-labelledby', 'exit-pane-title')
    emit('TRANSITION_VIEW')
    byId('exit-confirm-button').focus()
  }

  function hideExitPane() {
    if (!session || exitPane.hidden) return
    session.view = session.viewBeforeExit
    exitPane.hidden = true
    pane.hidden = false
    backButton.hidden = session.back === null
    modal.setAttribute('aria-labelledby', 'pane-title')
    emit('TRANSITION_VIEW')
    const previous = session.focusBeforeExitPane
    if (previous instanceof HTMLElement && previous.isConnected) previous.focus()
  }

  /** @param {KeyboardEvent} event */
  function onKeyDown(event) {
    if (!session) return
    if (event.key === 'Escape') {
      event.preventDefault()
      if (exitPane.hidden) requestExit()
      else hideExitPane()
    } else if (event.key === 'Tab') {
      keepFocusInModal(event)
    }
  }

  // The dialog is modal: Tab cycles inside it instead of leaving for the page underneath.
  /** @param {KeyboardEvent} event */
  function keepFocusInModal(event) {
    const focusable = [...modal.querySelectorAll('button, input, [href], [tabindex="0"]')].filter(
      (element) => element instanceof HTMLElement && !element.hidden && element.offsetParent !== null,
    )
    const first = focusable[0]
    const last = focusable.at(-1)
    if (!(first instanceof HTMLElement) || !(last instanceof HTMLElement)) return
    if (event.shiftKey && (document.activeElement === first || !modal.contains(document.activeElement))) {
      event.preventDefault()
      last.focus()
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault()
      first.focus()
    }
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Record<string, unknown>} properties assigned as DOM properties (never as markup)
   * @param {Array<Node | string>} children
   * @returns {HTMLElementTagNameMap[K]}
   */
  function h(tag, properties, ...children) {
    const element = document.createElement(tag)
    Object.assign(element, properties)
    element.append(...children)
    return element
  }

  /** @param {string} id */
  function byId(id) {
    const element = document.getElementById(id)
    if (!element) throw new Error(`link.html is missing #${id}`)
    return element
  }

  /**
   * @param {string} label
   * @param {string} variant
   * @param {() => void} onClick
   */
  function button(label, variant, onClick) {
    const element = h('button', { type: 'button', className: `button ${variant}` }, label)
    element.addEventListener('click', onClick)
    return element
  }

  /** @param {string} label */
  function submitButton(label) {
    return h('button', { type: 'submit', className: 'button primary' }, label)
  }

  /**
   * @param {string} id
   * @param {string} label
   * @param {'text' | 'password'} type
   */
  function textField(id, label, type) {
    const input = h('input', { id, name: id, type, autocomplete: 'off', spellcheck: false, required: true })
    const field = h('div', { className: 'field' }, h('label', { htmlFor: id }, label), input)
    return { field, input }
  }

  /**
   * A radio group with the first choice preselected.
   * @param {string} name
   * @param {string} legendText
   * @param {Array<{ value: string, label: string, detail: string }>} choices
   */
  function radioGroup(name, legendText, choices) {
    const legend = h('legend', {}, legendText)
    const radios = choices.map((choice, index) =>
      h('input', { type: 'radio', name, value: choice.value, checked: index === 0 }),
    )
    const fieldset = h(
      'fieldset',
      {},
      legend,
      ...choices.map((choice, index) =>
        h(
          'label',
          { className: 'choice' },
          /** @type {HTMLInputElement} */ (radios[index]),
          h(
            'span',
            {},
            h('span', {}, choice.label),
            choice.detail ? h('span', { className: 'choice-detail' }, choice.detail) : '',
          ),
        ),
      ),
    )
    if (radios[0]) radios[0].dataset.autofocus = ''
    const selected = () => radios.find((radio) => radio.checked)?.value ?? ''
    return { fieldset, legend, selected }
  }

  /** @param {string} name */
  function initials(name) {
    return name
      .split(/\s+/)
      .filter((word) => /^[A-Za-z0-9]/.test(word))
      .slice(0, 2)
      .map((word) => word[0]?.toUpperCase())
      .join('')
  }

  /** @param {string} text */
  function capitalize(text) {
    return text.charAt(0).toUpperCase() + text.slice(1)
  }
})()
