// @ts-check
// The consent page of an OAuth institution, as the Plaid sandbox fakes it. Link sends the user here
// (in a popup, or by redirecting the whole page) with `?oauth_state_id=`; the user signs in with the
// sandbox credentials, ticks the accounts to share, and approves or cancels. The answer goes to the
// sandbox (`../api/oauth/bank/…`); then a popup closes itself and a redirect goes back to the app's
// redirect_uri with the same oauth_state_id. See plaid-sandbox/src/link-ui/README.md, "OAuth".
;(() => {
  const oauthStateId = new URLSearchParams(window.location.search).get('oauth_state_id') ?? ''
  const apiBase = new URL('../api/oauth/bank/', window.location.href)

  const title = byId('bank-title')
  const signInForm = /** @type {HTMLFormElement} */ (byId('sign-in-form'))
  const consentForm = /** @type {HTMLFormElement} */ (byId('consent-form'))
  const message = byId('bank-message')
  const accountList = byId('account-list')
  let isBusy = false

  for (const cancel of document.querySelectorAll('[data-action="cancel"]')) {
    cancel.addEventListener('click', () => void decide('cancel', []))
  }
  signInForm.addEventListener('submit', (event) => {
    event.preventDefault()
    void signIn()
  })
  consentForm.addEventListener('submit', (event) => {
    event.preventDefault()
    const ticked = [...accountList.querySelectorAll('input[type="checkbox"]')]
      .filter((box) => box instanceof HTMLInputElement && box.checked)
      .map((box) => /** @type {HTMLInputElement} */ (box).value)
    if (ticked.length === 0) {
      showError('consent-error', 'Choose at least one account to share, or cancel.')
      return
    }
    void decide('approve', ticked)
  })
  void load()

  /**
   * @param {string} path
   * @param {Record<string, unknown>} body
   */
  async function callBank(path, body) {
    const response = await fetch(new URL(path, apiBase), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ oauth_state_id: oauthStateId, ...body }),
      credentials: 'omit',
    })
    const payload = await response.json().catch(() => null)
    if (!response.ok || !payload) {
      throw new Error(payload?.display_message ?? payload?.error_message ?? `HTTP ${response.status}`)
    }
    return payload
  }

  async function load() {
    let state
    try {
      state = await callBank('state', {})
    } catch {
      showMessage('This sign-in link is not valid', 'Start again from the app you came from.')
      return
    }
    const { institution, client_name: clientName } = state
    document.title = `${institution.name} – Online banking (sandbox)`
    byId('bank-name').textContent = institution.name
    const logo = byId('bank-logo')
    logo.textContent = initials(institution.name)
    // CSSOM, not a style attribute: allowed under the page's CSP.
    if (institution.primary_color) {
      document.documentElement.style.setProperty('--bank-brand', institution.primary_color)
    }
    byId('consent-lede').textContent =
      `${clientName} is asking, through Plaid, to see the accounts you choose below.`
    if (state.decision !== null) {
      showMessage('This request has already been answered', 'You can close this window.')
      return
    }
    if (state.accounts) showConsent(state.accounts)
    else showSignIn(institution.name)
  }

  /** @param {string} institutionName */
  function showSignIn(institutionName) {
    setTitle(`Sign in to ${institutionName}`)
    consentForm.hidden = true
    signInForm.hidden = false
    byId('bank-username').focus()
  }

  async function signIn() {
    if (isBusy) return
    const username = /** @type {HTMLInputElement} */ (byId('bank-username')).value
    const password = /** @type {HTMLInputElement} */ (byId('bank-password')).value
    setBusy(signInForm, true)
    hideError('sign-in-error')
    try {
      const { accounts } = await callBank('sign-in', { username, password })
      showConsent(accounts)
    } catch (error) {
      showError('sign-in-error', error instanceof Error ? error.message : String(error))
    } finally {
      setBusy(signInForm, false)
    }
  }

  /**
   * @param {Array<{ account_id: string, name: string, mask: string | null, subtype: string }>} accounts
   */
  function showConsent(accounts) {
    setTitle('Choose the accounts to share')
    accountList.replaceChildren(
      ...accounts.map((account, index) => {
        const id = `account-${index}`
        const box = h('input', { type: 'checkbox', id, value: account.account_id, checked: true })
        // The label is the account name alone, so tests and screen readers find "Plaid Checking".
        const detail = h(
          'span',
          { className: 'bank-account-detail', id: `${id}-detail` },
          `${account.subtype}${account.mask ? ` ending ${account.mask}` : ''}`,
        )
        box.setAttribute('aria-describedby', detail.id)
        return h('div', { className: 'bank-account' }, box, h('label', { htmlFor: id }, account.name), detail)
      }),
    )
    signInForm.hidden = true
    consentForm.hidden = false
    accountList.querySelector('input')?.focus()
  }

  /**
   * @param {'approve' | 'cancel'} decision
   * @param {string[]} accountIds
   */
  async function decide(decision, accountIds) {
    if (isBusy) return
    const form = consentForm.hidden ? signInForm : consentForm
    setBusy(form, true)
    let answer
    try {
      answer = await callBank('decide', {
        decision,
        ...(decision === 'approve' ? { account_ids: accountIds } : {}),
      })
    } catch (error) {
      setBusy(form, false)
      showError(
        form === consentForm ? 'consent-error' : 'sign-in-error',
        error instanceof Error ? error.message : String(error),
      )
      return
    }
    const isApproved = decision === 'approve'
    if (answer.redirect_to) {
      showMessage(isApproved ? 'Access approved' : 'Request cancelled', 'Taking you back to the app…')
      // replace(): the browser's Back button should not bring the user to an answered request.
      window.location.replace(answer.redirect_to)
      return
    }
    showMessage(isApproved ? 'Access approved' : 'Request cancelled', 'You can close this window.')
    // Link opened this window, so the page may close it; Link notices and carries on.
    window.close()
  }

  /**
   * @param {string} heading
   * @param {string} text
   */
  function showMessage(heading, text) {
    setTitle(heading)
    signInForm.hidden = true
    consentForm.hidden = true
    message.textContent = text
    message.hidden = false
  }

  /** @param {string} text */
  function setTitle(text) {
    title.textContent = text
    title.focus()
  }

  /**
   * @param {HTMLFormElement} form
   * @param {boolean} busy
   */
  function setBusy(form, busy) {
    isBusy = busy
    for (const button of form.querySelectorAll('button')) button.disabled = busy
  }

  /**
   * @param {string} id
   * @param {string} text
   */
  function showError(id, text) {
    const element = byId(id)
    element.textContent = text
    element.hidden = false
  }

  /** @param {string} id */
  function hideError(id) {
    byId(id).hidden = true
  }

  /** @param {string} id */
  function byId(id) {
    const element = document.getElementById(id)
    if (!element) throw new Error(`bank.html is missing #${id}`)
    return element
  }

  /**
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Record<string, unknown>} properties
   * @param {Array<Node | string>} children
   * @returns {HTMLElementTagNameMap[K]}
   */
  function h(tag, properties, ...children) {
    const element = document.createElement(tag)
    Object.assign(element, properties)
    element.append(...children)
    return element
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
})()
