// @ts-check
// Offline stand-in for https://cdn.plaid.com/link/v2/stable/link-initialize.js.
//
// Defines `window.Plaid` with the contract of the real script, as react-plaid-link 5 drives it:
// `Plaid.create(config)` is called unbound, adds one hidden iframe per call (`plaid-link-iframe-N`),
// reports `onLoad` once that frame is ready, queues `open()` until then, and returns
// `{ open, exit, submit, destroy }`. The Link UI itself lives in the frame (`link.html` next to this
// file); the two sides talk only through postMessage, with explicit target origins checked both ways.
// See plaid-sandbox/src/link-ui/README.md for the message protocol.
// A classic script, as the real one: pages load it with <script src>; it finds itself via currentScript.
/** @typedef {import('./link/events.js').ExitPlan} FrameExitPlan the frame's, kept current per event */
/** @typedef {Omit<FrameExitPlan, 'eventMetadata'> & { eventMetadata: FrameExitPlan['eventMetadata'] | null }} ExitPlan */
/** @typedef {{ create: (config: Record<string, unknown>) => object, createEmbedded: () => void }} PlaidGlobal */

;(() => {
  const host = /** @type {Window & { Plaid?: PlaidGlobal }} */ (window)
  const CDN_SCRIPT_URL = 'https://cdn.plaid.com/link/v2/stable/link-initialize.js'
  const CHANNEL = 'plaid-link-emulator'
  const FRAME_READY_GRACE_MS = 2000

  // react-plaid-link treats any <script src="CDN URL"> as "already loaded" and then never fetches the
  // CDN. When this file is served from elsewhere (the offline demo), an inert data block with that src
  // makes the hook use this emulator instead of trying the network. A data block is neither fetched
  // nor executed, so it needs no CSP allowance.
  if (!document.querySelector(`script[src="${CDN_SCRIPT_URL}"]`)) {
    const marker = document.createElement('script')
    marker.type = 'text/plain'
    marker.src = CDN_SCRIPT_URL
    marker.dataset.plaidEmulator = ''
    document.head.appendChild(marker)
  }

  // StrictMode and double inclusion execute this file twice; the first definition must survive, or
  // live handlers would lose their instance counter and listeners (real Link warns the same way).
  if (host.Plaid) {
    console.warn('The Plaid link-initialize.js script was embedded more than once.')
    return
  }

  const ownScript = document.currentScript ?? document.querySelector('script[src$="/link-initialize.js"]')
  if (!(ownScript instanceof HTMLScriptElement) || !ownScript.src) {
    console.error('Plaid Link emulator: could not find its own <script> tag; Link cannot start.')
    return
  }
  // Every browser-side URL is relative to this folder: under a CDN route in tests it stays on
  // cdn.plaid.com, in the offline demo it stays under the sandbox's mount prefix.
  const frameUrl = new URL('link.html', ownScript.src)
  const frameOrigin = frameUrl.origin
  // The fake OAuth bank: the only page Link may send the whole page to (redirect OAuth).
  const bankPageUrl = new URL('oauth-bank/bank.html', ownScript.src)

  let instanceCount = 0

  /** @param {Record<string, unknown>} config */
  function create(config) {
    if (!config || typeof config !== 'object') throw new TypeError('Plaid.create expects a config object')
    if (typeof config.token !== 'string' || config.token === '') {
      throw new TypeError('Plaid.create: a link token (config.token) is required')
    }
    return createHandler(config, ++instanceCount)
  }

  /**
   * @param {any} config
   * @param {number} instanceNumber
   */
  function createHandler(config, instanceNumber) {
    const callbacks = {
      onSuccess: typeof config.onSuccess === 'function' ? config.onSuccess : () => {},
      onExit: typeof config.onExit === 'function' ? config.onExit : () => {},
      onEvent: typeof config.onEvent === 'function' ? config.onEvent : () => {},
      onLoad: typeof config.onLoad === 'function' ? config.onLoad : () => {},
    }

    const iframe = document.createElement('iframe')
    iframe.id = `plaid-link-iframe-${instanceNumber}`
    iframe.title = 'Plaid Link'
    const src = new URL(frameUrl)
    src.searchParams.set('token', config.token)
    src.searchParams.set('origin', window.location.origin)
    if (typeof config.receivedRedirectUri === 'string') {
      src.searchParams.set('receivedRedirectUri', config.receivedRedirectUri)
    }
    iframe.src = src.href
    // Styled through the CSSOM, which a nonce-based CSP (style-src-attr) does not govern.
    Object.assign(iframe.style, {
      display: 'none',
      position: 'fixed',
      inset: '0',
      width: '100%',
      height: '100%',
      border: '0',
      zIndex: '2147483647',
      colorScheme: 'normal',
      background: 'transparent',
    })

    /** @type {'loading' | 'ready' | 'destroyed'} */
    let frameState = 'loading'
    /** @type {'closed' | 'opening' | 'open'} */
    let linkState = 'closed'
    let isOpenQueued = false
    // Each open() gets a new number; messages about an older Link session are ignored.
    let sessionNumber = 0
    /** @type {Array<[string, object]>} */
    let bufferedEvents = []
    /** What onExit receives if this session ends right now; the frame keeps it current. */
    let exitPlan = defaultExitPlan()
    /** @type {Element | null} */
    let focusBeforeOpen = null

    /** @returns {ExitPlan} */
    function defaultExitPlan() {
      return {
        error: null,
        metadata: { institution: null, status: null, link_session_id: '', request_id: '' },
        eventMetadata: null,
      }
    }

    /** @param {object} message */
    function postToFrame(message) {
      iframe.contentWindow?.postMessage({ channel: CHANNEL, ...message }, frameOrigin)
    }

    function show() {
      focusBeforeOpen = document.activeElement
      iframe.style.display = 'block'
      iframe.focus()
    }

    function hide() {
      iframe.style.display = 'none'
      if (focusBeforeOpen instanceof HTMLElement && focusBeforeOpen.isConnected) focusBeforeOpen.focus()
      focusBeforeOpen = null
    }

    function startSession() {
      isOpenQueued = false
      sessionNumber += 1
      bufferedEvents = []
      exitPlan = defaultExitPlan()
      linkState = 'opening'
      show()
      postToFrame({ type: 'open', session: sessionNumber })
    }

    // Real Link delivers OPEN (and Layer events) live and everything else at the end of the session,
    // together with onSuccess/onExit (plaid/react-plaid-link#139, "by design").
    /**
     * @param {string} eventName
     * @param {object} metadata
     */
    function recordEvent(eventName, metadata) {
      if (eventName === 'OPEN') callbacks.onEvent(eventName, metadata)
      else bufferedEvents.push([eventName, metadata])
    }

    // The session is marked closed before any callback runs: react-plaid-link calls destroy() from
    // inside onExit, and that re-entrant call must find Link closed.
    /** @param {() => void} deliverOutcome */
    function finishSession(deliverOutcome) {
      linkState = 'closed'
      hide()
      const events = bufferedEvents
      bufferedEvents = []
      for (const [eventName, metadata] of events) callbacks.onEvent(eventName, metadata)
      deliverOutcome()
    }

    /** @param {MessageEvent} event */
    function onMessage(event) {
      // Only this handler's own frame, from the origin it was loaded from, may drive it.
      if (event.source !== iframe.contentWindow || event.origin !== frameOrigin) return
      const message = event.data
      if (!message || message.channel !== CHANNEL) return

      if (message.type === 'ready') {
        if (frameState !== 'loading') return
        frameState = 'ready'
        callbacks.onLoad()
        // onLoad may have destroyed the handler.
        if (isOpenQueued && frameState === 'ready') startSession()
        return
      }
      if (linkState === 'closed' || message.session !== sessionNumber) return

      switch (message.type) {
        case 'event':
          linkState = 'open'
          if (message.exitPlan) exitPlan = message.exitPlan
          recordEvent(message.eventName, message.metadata)
          break
        case 'success':
          finishSession(() => callbacks.onSuccess(message.publicToken, message.metadata))
          break
        case 'exit':
          finishSession(() => callbacks.onExit(message.error, message.metadata))
          break
        case 'oauth-redirect':
          redirectToBank(message.url)
          break
      }
    }
    // OAuth on a small screen: the whole page goes to the bank, which sends the browser back to the
    // link token's redirect_uri; the app then re-creates Link with `receivedRedirectUri`. Only the
    // emulator's own bank page (next to link.html) is an acceptable target. The page is leaving, so
    // the events so far (ending with OPEN_OAUTH) are delivered first.
    /** @param {unknown} url */
    function redirectToBank(url) {
      const target = typeof url === 'string' && URL.canParse(url) ? new URL(url) : null
      if (!target || target.origin !== frameOrigin || target.pathname !== bankPageUrl.pathname) return
      const events = bufferedEvents
      bufferedEvents = []
      for (const [eventName, metadata] of events) callbacks.onEvent(eventName, metadata)
      window.location.href = target.href
    }
    window.addEventListener('message', onMessage)
    // A page CSP without this origin in frame-src blocks the frame silently: onLoad never fires and
    // open() stays queued. Real Link is just as silent; the emulator at least says why.
    iframe.addEventListener(
      'load',
      () =>
        setTimeout(() => {
          if (frameState !== 'loading') return
          console.error(
            `Plaid Link emulator: the Link frame ${frameUrl.href} loaded but never reported ready. ` +
              `Does the page's Content-Security-Policy allow ${frameOrigin} in frame-src?`,
          )
        }, FRAME_READY_GRACE_MS),
      { once: true },
    )
    document.body.appendChild(iframe)

    function open() {
      if (frameState === 'destroyed') {
        console.warn('Link warning: open() was called on a destroyed Link handler')
        return
      }
      if (linkState !== 'closed') return
      if (frameState === 'loading') isOpenQueued = true
      else startSession()
    }

    /** @param {{ force?: boolean }} [options] */
    function exit(options) {
      if (linkState === 'closed') {
        if (isOpenQueued) {
          // Nothing is on screen yet, so there is nothing to confirm: the pending open just ends.
          isOpenQueued = false
          callbacks.onExit(null, defaultExitPlan().metadata)
          return
        }
        console.warn('Link warning: attempted to exit Link when it was not open')
        return
      }
      if (options?.force || linkState === 'opening') {
        // Synchronous by contract: react-plaid-link destroys the handler from onExit on unmount.
        postToFrame({ type: 'close', session: sessionNumber })
        const { error, metadata, eventMetadata } = exitPlan
        if (eventMetadata)
          bufferedEvents.push(['EXIT', { ...eventMetadata, timestamp: new Date().toISOString() }])
        finishSession(() => callbacks.onExit(error, metadata))
        return
      }
      postToFrame({ type: 'confirm-exit', session: sessionNumber })
    }

    function destroy() {
      if (frameState === 'destroyed') return
      frameState = 'destroyed'
      linkState = 'closed'
      isOpenQueued = false
      bufferedEvents = []
      window.removeEventListener('message', onMessage)
      if (iframe.style.display !== 'none') hide()
      iframe.remove()
    }

    /** @param {{ phone_number?: string, date_of_birth?: string }} data */
    function submit(data) {
      const fields = Object.keys(data ?? {}).filter(
        (key) => key === 'phone_number' || key === 'date_of_birth',
      )
      if (fields.length !== 1) {
        throw new TypeError('submit() takes exactly one of phone_number or date_of_birth')
      }
      console.warn('Link warning: submit() is for Layer sessions, which the Plaid sandbox does not emulate')
    }

    return { open, exit, submit, destroy }
  }

  function createEmbedded() {
    throw new Error('Embedded Link (Plaid.createEmbedded) is not supported by the Plaid sandbox')
  }

  host.Plaid = { create, createEmbedded }
})()
