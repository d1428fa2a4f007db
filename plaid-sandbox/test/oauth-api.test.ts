// OAuth institutions without a browser: redirect_uri on link tokens, and the JSON API behind Link's
// OAuth pane and the fake bank's consent page.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CountryCode, Products } from 'plaid'
import { describe, expect, it, onTestFinished } from 'vitest'
import { linkTokenViolations } from './helpers/link-token-contract.ts'
import { type Json, linkUi } from './helpers/link-ui.ts'
import { contract } from './helpers/openapi-contract.ts'
import { plaidErrorOf } from './helpers/plaid-client.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'

type Sandbox = Awaited<ReturnType<typeof startTestSandbox>>

const PLATYPUS_OAUTH = { institution_id: 'ins_127287', name: 'Platypus OAuth Bank' }
const REDIRECT_URI = 'http://localhost:3000/plaid/oauth-return'

function linkTokenRequest(extra: Json = {}) {
  return {
    client_name: 'Safeclose',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'signer-7' },
    products: [Products.Auth],
    ...extra,
  }
}

async function linkToken(sandbox: Sandbox, extra: Json = {}): Promise<string> {
  const { data } = await sandbox.plaid.linkTokenCreate(linkTokenRequest(extra))
  return data.link_token
}

/** Starts a Link session at Platypus OAuth Bank and signs in on the bank page. */
async function atBankConsent(sandbox: Sandbox, mode: 'popup' | 'redirect', token?: string) {
  const call = linkUi(sandbox)
  const link_token = token ?? (await linkToken(sandbox, { redirect_uri: REDIRECT_URI }))
  const started = await call('session/start', { link_token })
  const link_session_id = started.body.link_session_id as string
  const oauth = await call('oauth/start', {
    link_token,
    link_session_id,
    institution_id: PLATYPUS_OAUTH.institution_id,
    mode,
  })
  expect(oauth.status).toBe(200)
  const oauth_state_id = oauth.body.oauth_state_id as string
  const signedIn = await call('oauth/bank/sign-in', {
    oauth_state_id,
    username: 'user_good',
    password: 'pass_good',
  })
  expect(signedIn.status).toBe(200)
  const accounts = signedIn.body.accounts as { account_id: string; name: string }[]
  return { call, link_token, link_session_id, oauth_state_id, accounts }
}

describe('redirect_uri on /link/token/create and /link/token/get', () => {
  it('accepts https anywhere and http only on localhost / 127.0.0.1, and reads it back', async () => {
    const sandbox = await startTestSandbox()
    for (const redirectUri of [
      'https://app.safeclose.example/plaid/oauth',
      'http://localhost:5173/oauth-return',
      'http://127.0.0.1:8080/',
      'http://localhost/oauth',
    ]) {
      const { data } = await sandbox.plaid.linkTokenGet({
        link_token: await linkToken(sandbox, { redirect_uri: redirectUri }),
      })
      expect(data.metadata.redirect_uri).toBe(redirectUri)
    }
    const { data: withoutRedirect } = await sandbox.plaid.linkTokenGet({
      link_token: await linkToken(sandbox),
    })
    expect(withoutRedirect.metadata.redirect_uri).toBeNull()
  })

  it('refuses plain http elsewhere, query strings, fragments and non-URLs with INVALID_FIELD', async () => {
    const sandbox = await startTestSandbox()
    const refused: [string, RegExp][] = [
      ['http://app.safeclose.example/plaid/oauth', /https/],
      ['http://localhost.evil.example/oauth', /https/],
      ['https://app.safeclose.example/oauth?from=plaid', /query/],
      ['https://app.safeclose.example/oauth?', /query/],
      ['https://app.safeclose.example/oauth#done', /fragment/],
      ['ftp://app.safeclose.example/oauth', /https/],
      ['not a url', /https/],
    ]
    for (const [redirectUri, message] of refused) {
      const { status, body } = await plaidErrorOf(
        sandbox.plaid.linkTokenCreate(linkTokenRequest({ redirect_uri: redirectUri })),
      )
      expect({ redirectUri, status, code: body.error_code, type: body.error_type }).toEqual({
        redirectUri,
        status: 400,
        code: 'INVALID_FIELD',
        type: 'INVALID_REQUEST',
      })
      expect(body.error_message).toMatch(message)
    }
  })

  it('create/get requests and responses with redirect_uri validate against Plaid OpenAPI schemas', async () => {
    expect(contract().info.version).toMatch(/^2020-09-14/)
    const sandbox = await startTestSandbox()
    const request = linkTokenRequest({ redirect_uri: REDIRECT_URI })
    const created = await sandbox.plaid.linkTokenCreate(request)
    // What the official SDK put on the wire, as well as what came back.
    const sentCreate = JSON.parse(String(created.config.data)) as Json
    expect(sentCreate.redirect_uri).toBe(REDIRECT_URI)
    expect(linkTokenViolations('LinkTokenCreateRequest', sentCreate)).toEqual([])
    expect(linkTokenViolations('LinkTokenCreateResponse', created.data)).toEqual([])

    const fetched = await sandbox.plaid.linkTokenGet({ link_token: created.data.link_token })
    expect(linkTokenViolations('LinkTokenGetRequest', JSON.parse(String(fetched.config.data)))).toEqual([])
    expect(linkTokenViolations('LinkTokenGetResponse', fetched.data)).toEqual([])
    expect(fetched.data.metadata.redirect_uri).toBe(REDIRECT_URI)

    const withoutRedirect = await sandbox.plaid.linkTokenGet({ link_token: await linkToken(sandbox) })
    expect(linkTokenViolations('LinkTokenGetResponse', withoutRedirect.data)).toEqual([])

    const { body: refused } = await plaidErrorOf(
      sandbox.plaid.linkTokenCreate(linkTokenRequest({ redirect_uri: 'http://app.example/x' })),
    )
    expect(linkTokenViolations('PlaidError', refused)).toEqual([])

    // The check can fail: wrong types and a missing required field are reported.
    expect(
      linkTokenViolations('LinkTokenGetResponse', {
        ...fetched.data,
        metadata: { ...fetched.data.metadata, redirect_uri: 42 },
      }),
    ).not.toEqual([])
    expect(linkTokenViolations('LinkTokenCreateRequest', { ...sentCreate, redirect_uri: 7 })).not.toEqual([])
    expect(linkTokenViolations('LinkTokenCreateResponse', { link_token: 'x', request_id: 'y' })).not.toEqual(
      [],
    )
  })

  it('still creates Items at OAuth institutions with /sandbox/public_token/create', async () => {
    const sandbox = await startTestSandbox()
    const { data } = await sandbox.plaid.sandboxPublicTokenCreate({
      institution_id: PLATYPUS_OAUTH.institution_id,
      initial_products: [Products.Auth],
    })
    const { data: exchanged } = await sandbox.plaid.itemPublicTokenExchange({
      public_token: data.public_token,
    })
    const { data: item } = await sandbox.plaid.itemGet({ access_token: exchanged.access_token })
    expect(item.item.institution_id).toBe(PLATYPUS_OAUTH.institution_id)
  })
})

describe('OAuth hand-off API (Link pane and bank page)', () => {
  it('popup: the bank consent decides which accounts Link may link; the state is consumed once', async () => {
    const sandbox = await startTestSandbox()
    const { call, link_token, link_session_id, oauth_state_id, accounts } = await atBankConsent(
      sandbox,
      'popup',
    )
    expect(accounts.map((account) => account.name)).toEqual(['Plaid Checking', 'Plaid Saving'])

    const page = await call('oauth/bank/state', { oauth_state_id })
    expect(page.body).toMatchObject({
      institution: PLATYPUS_OAUTH,
      client_name: 'Safeclose',
      mode: 'popup',
      decision: null,
    })

    // Closed before deciding: nothing to resume yet.
    const early = await call('oauth/complete', { link_token, link_session_id, oauth_state_id })
    expect(early.body).toMatchObject({ status: 'pending' })

    const saving = accounts[1]?.account_id as string
    const approved = await call('oauth/bank/decide', {
      oauth_state_id,
      decision: 'approve',
      account_ids: [saving],
    })
    expect(approved.body).toMatchObject({ redirect_to: null })
    const again = await call('oauth/bank/decide', { oauth_state_id, decision: 'cancel' })
    expect(again.body).toMatchObject({ error_code: 'INVALID_FIELD' })

    const completed = await call('oauth/complete', { link_token, link_session_id, oauth_state_id })
    expect(completed.body).toMatchObject({
      status: 'approved',
      accounts: [{ account_id: saving, name: 'Plaid Saving' }],
    })
    const twice = await call('oauth/complete', { link_token, link_session_id, oauth_state_id })
    expect(twice.body).toMatchObject({
      error_code: 'OAUTH_STATE_ID_ALREADY_PROCESSED',
      error_type: 'OAUTH_ERROR',
    })

    const linked = await call('accounts/submit', { link_token, link_session_id, account_ids: [saving] })
    const { data: exchanged } = await sandbox.plaid.itemPublicTokenExchange({
      public_token: linked.body.public_token as string,
    })
    const { data: itemAccounts } = await sandbox.plaid.accountsGet({ access_token: exchanged.access_token })
    expect(itemAccounts.accounts.map((account) => account.name)).toEqual(['Plaid Saving'])
    expect(itemAccounts.item.institution_id).toBe(PLATYPUS_OAUTH.institution_id)
  })

  it('bank page: wrong password, approve without accounts and unknown state are refused', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const link_token = await linkToken(sandbox)
    const { body: started } = await call('session/start', { link_token })
    const { body: oauth } = await call('oauth/start', {
      link_token,
      link_session_id: started.link_session_id,
      institution_id: PLATYPUS_OAUTH.institution_id,
      mode: 'popup',
    })
    const oauth_state_id = oauth.oauth_state_id as string
    const wrong = await call('oauth/bank/sign-in', { oauth_state_id, username: 'user_good', password: 'x' })
    expect(wrong).toMatchObject({ status: 400, body: { error_code: 'INVALID_CREDENTIALS' } })
    const unsigned = await call('oauth/bank/decide', { oauth_state_id, decision: 'approve', account_ids: [] })
    expect(unsigned.body.error_code).toBe('INVALID_FIELD')
    const unknown = await call('oauth/bank/state', { oauth_state_id: 'nope' })
    expect(unknown.body.error_code).toBe('INVALID_FIELD')
    // A token without redirect_uri cannot hand off by redirect; a non-OAuth bank needs no hand-off.
    const redirect = await call('oauth/start', {
      link_token,
      link_session_id: started.link_session_id,
      institution_id: PLATYPUS_OAUTH.institution_id,
      mode: 'redirect',
    })
    expect(redirect.body.error_code).toBe('INVALID_FIELD')
    const nonOAuth = await call('oauth/start', {
      link_token,
      link_session_id: started.link_session_id,
      institution_id: 'ins_109508',
      mode: 'popup',
    })
    expect(nonOAuth.body.error_code).toBe('INVALID_FIELD')
  })

  it('redirect: Link resumes the same session from receivedRedirectUri, once', async () => {
    const sandbox = await startTestSandbox()
    const { call, link_token, link_session_id, oauth_state_id, accounts } = await atBankConsent(
      sandbox,
      'redirect',
    )
    const approved = await call('oauth/bank/decide', {
      oauth_state_id,
      decision: 'approve',
      account_ids: accounts.map((account) => account.account_id),
    })
    const redirectTo = approved.body.redirect_to as string
    expect(redirectTo).toBe(`${REDIRECT_URI}?oauth_state_id=${oauth_state_id}`)

    const resume = (received_redirect_uri: string, token = link_token) =>
      call('session/start', { link_token: token, received_redirect_uri })

    // Wrong uses first, which must not consume the state.
    const noState = await resume(REDIRECT_URI)
    expect(noState.body).toMatchObject({
      error_code: 'INVALID_FIELD',
      error_message: 'oauth uri does not contain a valid oauth_state_id query parameter',
    })
    const unknownState = await resume(`${REDIRECT_URI}?oauth_state_id=00000000-0000-4000-8000-000000000000`)
    expect(unknownState.body.error_code).toBe('INVALID_FIELD')
    const elsewhere = await resume(`http://localhost:3000/other?oauth_state_id=${oauth_state_id}`)
    expect(elsewhere.body).toMatchObject({ error_code: 'INVALID_FIELD' })
    expect(elsewhere.body.error_message).toMatch(/redirect_uri/)
    const otherToken = await linkToken(sandbox, { redirect_uri: REDIRECT_URI })
    const incorrectToken = await resume(redirectTo, otherToken)
    expect(incorrectToken.body).toMatchObject({
      error_code: 'INCORRECT_LINK_TOKEN',
      error_type: 'OAUTH_ERROR',
    })

    const resumed = await resume(redirectTo)
    expect(resumed.status).toBe(200)
    expect(resumed.body).toMatchObject({
      link_session_id,
      mode: 'create',
      has_redirect_uri: true,
      oauth: { status: 'approved', institution: PLATYPUS_OAUTH, accounts: [{}, {}] },
    })
    const refreshed = await resume(redirectTo)
    expect(refreshed.body).toMatchObject({
      error_code: 'OAUTH_STATE_ID_ALREADY_PROCESSED',
      error_type: 'OAUTH_ERROR',
    })
  })

  it('redirect cancel: the bank still sends the user back, and Link learns of the denial', async () => {
    const sandbox = await startTestSandbox()
    const { call, link_token, oauth_state_id } = await atBankConsent(sandbox, 'redirect')
    const cancelled = await call('oauth/bank/decide', { oauth_state_id, decision: 'cancel' })
    const redirectTo = cancelled.body.redirect_to as string
    expect(redirectTo).toBe(`${REDIRECT_URI}?oauth_state_id=${oauth_state_id}`)
    const resumed = await call('session/start', { link_token, received_redirect_uri: redirectTo })
    expect(resumed.body).toMatchObject({
      oauth: {
        status: 'denied',
        error: { error_type: 'OAUTH_ERROR', error_code: 'OAUTH_ACCESS_DENIED' },
      },
    })
  })

  it('keeps OAuth states across a restart: a redirect that comes back after it still resumes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'plaid-sandbox-oauth-'))
    onTestFinished(() => rm(dataDir, { recursive: true, force: true }))
    const first = await startTestSandbox({ dataDir })
    const { call, oauth_state_id, accounts } = await atBankConsent(first, 'redirect')
    const link_token = first.control.linkSessions()[0]?.linkToken ?? ''
    const approved = await call('oauth/bank/decide', {
      oauth_state_id,
      decision: 'approve',
      account_ids: [accounts[0]?.account_id],
    })
    await first.close()

    const second = await startTestSandbox({ dataDir })
    const resumed = await linkUi(second)('session/start', {
      link_token,
      received_redirect_uri: approved.body.redirect_to,
    })
    expect(resumed.body).toMatchObject({
      oauth: { status: 'approved', accounts: [{ name: 'Plaid Checking' }] },
    })
  })
})
