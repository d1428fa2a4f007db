// @ts-check
// OAuth institutions: the OAUTH pane, the hand-off to the fake bank's page (a popup on desktop, the
// whole page on a small screen), and the way back. See ../README.md, "OAuth institutions".
import { callApi, LinkApiError } from './api.js'
import { button, h, paneTitle } from './dom.js'
import { emit } from './events.js'
import { postToParent } from './frame.js'
import { showLoading, showPane } from './pane.js'
import { showAccounts, submitAccounts } from './panes/accounts.js'
import { showError } from './panes/error.js'
import { showInstitutionSearch } from './panes/search.js'
import { currentSession, session } from './session.js'
import { runStep } from './steps.js'

/** @import { LinkSession } from './session.js' */
/** @typedef {'popup' | 'redirect'} OAuthMode */

const OAUTH_POPUP_POLL_MS = 250
/**
 * OAuth hand-off by redirect (instead of a popup) when the link token has a redirect_uri and the
 * screen is small: the viewport (this frame fills it) is at most 640 CSS px wide, or the primary
 * pointer is a finger. Elsewhere a popup, as Link does on desktop.
 */
const REDIRECT_SCREEN_QUERIES = ['(max-width: 640px)', '(pointer: coarse)']

/** @param {LinkSession} current */
function usesRedirect(current) {
  return current.hasRedirectUri && REDIRECT_SCREEN_QUERIES.some((query) => window.matchMedia(query).matches)
}

export function startOAuth() {
  const current = session
  if (!current?.institution) return
  /** @type {OAuthMode} */
  const mode = usesRedirect(current) ? 'redirect' : 'popup'
  const institutionId = current.institution.institution_id
  showLoading('Loading', { announce: false })
  void runStep(
    () =>
      callApi('oauth/start', { link_session_id: current.linkSessionId, institution_id: institutionId, mode }),
    (started) => showOAuth(started.oauth_state_id, mode),
    showInstitutionSearch,
  )
}

/**
 * The OAUTH pane: tells the user where Continue takes them.
 * @param {string} oauthStateId
 * @param {OAuthMode} mode
 * @param {{ notice?: string }} [options]
 */
function showOAuth(oauthStateId, mode, { notice } = {}) {
  const current = currentSession()
  const bankName = current.institution?.name ?? 'your bank'
  const continueButton = button('Continue', 'primary', () => openOAuth(oauthStateId, mode))
  continueButton.dataset.autofocus = ''
  showPane({ view: 'OAUTH', back: showInstitutionSearch }, [
    paneTitle(`You will be taken to ${bankName}`),
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
 * @param {OAuthMode} mode
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
    paneTitle(`Continue at ${bankName}`),
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
        callApi('oauth/complete', { link_session_id: current.linkSessionId, oauth_state_id: oauthStateId }),
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
export function resumeAfterRedirect(oauth) {
  const current = currentSession()
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
  const current = currentSession()
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
