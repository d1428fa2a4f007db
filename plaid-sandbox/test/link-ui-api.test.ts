import { CountryCode, Products } from 'plaid'
import { describe, expect, it } from 'vitest'
import { type Json, linkUi } from './helpers/link-ui.ts'
import { startTestSandbox } from './helpers/sandbox-harness.ts'
import { startWebhookReceiver } from './helpers/webhook-receiver.ts'

type Sandbox = Awaited<ReturnType<typeof startTestSandbox>>

async function linkToken(sandbox: Sandbox, extra: Json = {}) {
  const { data } = await sandbox.plaid.linkTokenCreate({
    client_name: 'Safeclose',
    language: 'en',
    country_codes: [CountryCode.Us],
    user: { client_user_id: 'signer-1' },
    products: [Products.Auth],
    ...extra,
  })
  return data.link_token
}

describe('Link UI JSON API', () => {
  it('links an account through credentials, MFA questions and account selection', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const link_token = await linkToken(sandbox)

    const started = await call('session/start', { link_token })
    expect(started.body).toMatchObject({
      mode: 'create',
      client_name: 'Safeclose',
      products: ['auth'],
      update: null,
    })
    const link_session_id = started.body.link_session_id as string
    expect(link_session_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)

    const search = await call('institutions/search', { link_token, query: 'platypus' })
    const names = (search.body.institutions as { name: string }[]).map((institution) => institution.name)
    expect(names).toContain('First Platypus Bank')
    expect(names.every((name) => name.toLowerCase().includes('platypus'))).toBe(true)

    const credentials = { link_token, link_session_id, institution_id: 'ins_109508', username: 'user_good' }
    const wrong = await call('credentials/submit', { ...credentials, password: 'nope' })
    expect(wrong).toMatchObject({ status: 400, body: { error_code: 'INVALID_CREDENTIALS', retryable: true } })

    const mfa = await call('credentials/submit', { ...credentials, password: 'mfa_questions_2_1' })
    expect(mfa.body).toMatchObject({
      next: 'mfa',
      mfa: { type: 'questions', questions: [{ id: 'question_0_0' }] },
    })
    const badAnswer = await call('mfa/submit', { link_token, link_session_id, answers: ['wrong'] })
    expect(badAnswer.body).toMatchObject({ error_code: 'INVALID_MFA', retryable: true })
    const secondRound = await call('mfa/submit', { link_token, link_session_id, answers: ['answer_0_0'] })
    expect(secondRound.body).toMatchObject({ next: 'mfa', mfa: { questions: [{ id: 'question_1_0' }] } })
    const accounts = await call('mfa/submit', { link_token, link_session_id, answers: ['answer_1_0'] })
    expect(accounts.body.next).toBe('accounts')
    const offered = accounts.body.accounts as { account_id: string; mask: string }[]
    expect(offered.map((account) => account.mask)).toEqual(['0000', '1111'])

    const finished = await call('accounts/submit', {
      link_token,
      link_session_id,
      account_ids: [offered[0]?.account_id],
    })
    expect(finished.body).toMatchObject({
      link_session_id,
      institution: { institution_id: 'ins_109508', name: 'First Platypus Bank' },
      accounts: [{ id: offered[0]?.account_id, mask: '0000', verification_status: null, class_type: null }],
      transfer_status: null,
    })
    const { data: exchanged } = await sandbox.plaid.itemPublicTokenExchange({
      public_token: finished.body.public_token as string,
    })
    const { data: item } = await sandbox.plaid.accountsGet({ access_token: exchanged.access_token })
    expect(item.accounts.map((account) => account.account_id)).toEqual([offered[0]?.account_id])

    const { data: tokenInfo } = await sandbox.plaid.linkTokenGet({ link_token })
    expect(tokenInfo.link_sessions?.[0]?.results?.item_add_results[0]?.public_token).toBe(
      finished.body.public_token,
    )
  })

  it('handles device MFA, selections and terminal errors', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const link_token = await linkToken(sandbox)
    const start = async () => (await call('session/start', { link_token })).body.link_session_id as string

    const deviceSession = await start()
    const base = { link_token, institution_id: 'ins_109509', username: 'user_good' }
    const device = await call('credentials/submit', {
      ...base,
      link_session_id: deviceSession,
      password: 'mfa_device',
    })
    expect(device.body).toMatchObject({ next: 'mfa', mfa: { type: 'device' } })
    const afterDevice = await call('mfa/submit', {
      link_token,
      link_session_id: deviceSession,
      answers: ['1234'],
    })
    expect(afterDevice.body.next).toBe('accounts')

    const selectionSession = await start()
    const selections = await call('credentials/submit', {
      ...base,
      link_session_id: selectionSession,
      password: 'mfa_selections',
    })
    expect(selections.body).toMatchObject({
      mfa: { type: 'selections', selections: [{ answers: ['Yes', 'No'] }] },
    })
    expect(
      (await call('mfa/submit', { link_token, link_session_id: selectionSession, answers: ['Yes'] })).body
        .next,
    ).toBe('accounts')

    const lockedSession = await start()
    const locked = await call('credentials/submit', {
      ...base,
      link_session_id: lockedSession,
      password: 'error_ITEM_LOCKED',
    })
    expect(locked).toMatchObject({
      status: 400,
      body: { error_type: 'ITEM_ERROR', error_code: 'ITEM_LOCKED', retryable: false },
    })

    const downSession = await start()
    const down = await call('credentials/submit', {
      ...base,
      link_session_id: downSession,
      institution_id: 'ins_132361',
      password: 'pass_good',
    })
    expect(down.body).toMatchObject({ error_type: 'INSTITUTION_ERROR', error_code: 'INSTITUTION_DOWN' })
  })

  it('rejects expired and unknown link tokens with INVALID_LINK_TOKEN', async () => {
    const sandbox = await startTestSandbox()
    const call = linkUi(sandbox)
    const link_token = await linkToken(sandbox)
    expect((await call('session/start', { link_token: 'link-sandbox-nope' })).body).toMatchObject({
      error_type: 'INVALID_INPUT',
      error_code: 'INVALID_LINK_TOKEN',
    })
    sandbox.control.advanceClock(4 * 60 * 60 * 1000)
    expect((await call('session/start', { link_token })).status).toBe(400)
  })

  it('repairs an Item in update mode, keeps its access token and sends LOGIN_REPAIRED', async () => {
    const sandbox = await startTestSandbox()
    const receiver = await startWebhookReceiver()
    try {
      const call = linkUi(sandbox)
      const link_token = await linkToken(sandbox, { webhook: receiver.url })
      const session = (await call('session/start', { link_token })).body.link_session_id as string
      const offered = await call('credentials/submit', {
        link_token,
        link_session_id: session,
        institution_id: 'ins_109511',
        username: 'user_good',
        password: 'pass_good',
      })
      const accountIds = (offered.body.accounts as { account_id: string }[]).map(
        (account) => account.account_id,
      )
      const linked = await call('accounts/submit', {
        link_token,
        link_session_id: session,
        account_ids: accountIds,
      })
      const { data: exchanged } = await sandbox.plaid.itemPublicTokenExchange({
        public_token: linked.body.public_token as string,
      })
      await sandbox.plaid.sandboxItemResetLogin({ access_token: exchanged.access_token })

      const updateToken = await linkToken(sandbox, {
        products: undefined,
        access_token: exchanged.access_token,
      })
      const updateStart = await call('session/start', { link_token: updateToken })
      expect(updateStart.body).toMatchObject({
        mode: 'update',
        update: {
          item_id: exchanged.item_id,
          institution: { institution_id: 'ins_109511', name: 'Tartan Bank' },
        },
      })
      const updateSession = updateStart.body.link_session_id as string
      const reauthenticated = await call('credentials/submit', {
        link_token: updateToken,
        link_session_id: updateSession,
        institution_id: 'ins_109511',
        username: 'user_good',
        password: 'pass_good',
      })
      expect(
        (reauthenticated.body.accounts as { account_id: string }[]).map((account) => account.account_id),
      ).toEqual(accountIds)
      await call('accounts/submit', {
        link_token: updateToken,
        link_session_id: updateSession,
        account_ids: accountIds,
      })

      const { data: item } = await sandbox.plaid.itemGet({ access_token: exchanged.access_token })
      expect(item.item.error).toBeNull()
      await sandbox.control.flushWebhooks()
      // Concurrent deliveries arrive in no promised order.
      expect(receiver.received.map((webhook) => String(webhook.json.webhook_code)).toSorted()).toEqual([
        'ERROR',
        'LOGIN_REPAIRED',
      ])
    } finally {
      await receiver.close()
    }
  })
})
