// @ts-check
// SELECT_INSTITUTION: the institution search, and the way into manual entry (account numbers).
import { callApi } from '../api.js'
import { button, h, initials, paneTitle } from '../dom.js'
import { emit } from '../events.js'
import { startOAuth } from '../oauth.js'
import { showPane } from '../pane.js'
import { currentSession, session } from '../session.js'
import { handleFailure } from '../steps.js'
import { showConsent } from './consent.js'
import { showCredentials } from './credentials.js'
import { isInstantMicrodepositInstitution } from './instant.js'
import { showNumbers } from './numbers.js'

const SEARCH_DEBOUNCE_MS = 200

/** @typedef {{ institution_id: string, name: string, url?: string | null, primary_color?: string | null, oauth?: boolean }} InstitutionResult */

export function showInstitutionSearch() {
  const current = currentSession()
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
    /** @type {InstitutionResult[]} */
    const institutions = found.institutions
    results.replaceChildren(...institutions.map(institutionButton))
    results.ariaBusy = 'false'
    resultsStatus.textContent =
      institutions.length === 0 ? `No results for “${query}”. Try another name.` : ''
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
    paneTitle('Select your bank'),
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

/** @param {InstitutionResult} institution */
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
