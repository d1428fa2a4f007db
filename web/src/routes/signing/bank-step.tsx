import { useCallback, useEffect, useState } from 'react'
import type { PlaidLinkOnEventMetadata, PlaidLinkOnSuccessMetadata } from 'react-plaid-link'
import { ApiError, type ApiExchange, apiErrorFrom } from '../../api/client.ts'
import {
  type LinkedAccount,
  type LinkTokenResponse,
  type PlaidConnectionStatus,
  plaidApi,
} from '../../api/plaid.ts'
import { type SignerFlow, signerApi } from '../../api/signings.ts'
import { Notice } from '../../components/notice.tsx'
import { useFocusWhenShown } from '../../focus.ts'
import { takeLinkResumption } from '../../oauth-return.ts'
import { LinkLauncher } from '../plaid-lab/link-launcher.tsx'
import { accountLabel, VerdictBadge } from './badges.tsx'

/**
 * Plaid Link reports through callbacks, outside any form, so the bank step runs its Plaid calls as
 * one task at a time with their error kept for display; the page's loader re-reads the flow after.
 */
function useLinkTask() {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = useCallback(async <T,>(task: () => Promise<T>): Promise<T | null> => {
    setBusy(true)
    setError(null)
    try {
      return await task()
    } catch (caught) {
      if (!(caught instanceof ApiError) && !(caught instanceof Error)) throw caught
      setError(caught.message)
      return null
    } finally {
      setBusy(false)
    }
  }, [])
  return { busy, error, run }
}

async function expectOk<T>(call: Promise<ApiExchange>): Promise<T> {
  const exchange = await call
  if (!exchange.ok) throw apiErrorFrom(exchange)
  return exchange.responseBody as T
}

type Choice = { accounts: LinkedAccount[]; linkSessionId: string | null }

/**
 * Plaid Link through the same /api/plaid endpoints as everywhere else, then the payout account
 * choice, which runs the ownership match on the server.
 */
export function BankStep({
  flow,
  onVerified,
  onChanged,
}: {
  flow: SignerFlow
  onVerified(flow: SignerFlow): void
  onChanged(): void
}) {
  const [token, setToken] = useState<(LinkTokenResponse & { receivedRedirectUri?: string }) | null>(null)
  const [choice, setChoice] = useState<Choice | null>(null)
  const [selected, setSelected] = useState<string | null>(null)
  const [notice, setNotice] = useState<string | null>(null)
  const action = useLinkTask()
  const errorRef = useFocusWhenShown<HTMLDivElement>(action.error)
  const bank = flow.bank
  const needsReconnect = bank !== null && bank.item_status === 'login_required'
  const isRejected = bank !== null && bank.review?.decision === 'reject'
  // A mismatch the sender accepted no longer blocks (this step may still show for a reconnect).
  const isBlockedMismatch =
    bank !== null && flow.match_required && bank.verdict === 'mismatch' && bank.review === null
  // Micro-deposits (ADR 0018): Same-Day waits for the signer's code, Automated for Plaid.
  const verification = bank?.verification ?? 'verified'
  const isPendingCode = bank !== null && verification === 'pending_manual' && !isRejected
  const isAwaitingAcceptance =
    bank !== null &&
    verification === 'verified' &&
    bank.acceptance_required &&
    bank.review === null &&
    bank.item_status !== 'revoked' &&
    bank.item_status !== 'removed'
  const isUpdateWanted = needsReconnect || isPendingCode

  // Back from a bank's OAuth page (through /oauth-return): re-open Link with the same token.
  useEffect(() => {
    void action.run(async () => {
      const resumption = await takeLinkResumption()
      if (!resumption) return
      const { link_token, mode, environment, receivedRedirectUri } = resumption
      setToken({ link_token, mode, environment, expiration: '', persist_ready: true, receivedRedirectUri })
    })
  }, [action.run])

  const requestToken = () =>
    action.run(async () => {
      setNotice(null)
      setToken(
        await expectOk<LinkTokenResponse>(plaidApi.createLinkToken(isUpdateWanted ? 'update' : 'create')),
      )
    })

  /** A new account instead (another bank, or after a failed or pending micro-deposit). */
  const requestNewAccountToken = () =>
    action.run(async () => {
      setNotice(null)
      setToken(await expectOk<LinkTokenResponse>(plaidApi.createLinkToken('create')))
    })

  const checkAgain = () =>
    action.run(async () => {
      setNotice(null)
      await expectOk(plaidApi.refreshAccounts())
      onChanged()
    })

  const choose = useCallback(
    (accountId: string, linkSessionId: string | null) =>
      action.run(async () => {
        const next = await signerApi.chooseAccount(accountId, linkSessionId)
        setChoice(null)
        onVerified(next)
      }),
    [action.run, onVerified],
  )

  const handleSuccess = (publicToken: string | null, metadata: PlaidLinkOnSuccessMetadata) =>
    action.run(async () => {
      const mode = token?.mode ?? 'create'
      setToken(null)
      if (mode === 'update') {
        // A confirmed deposit code sends no webhook: ask Plaid for the accounts' state now.
        // Best effort: a repaired login is confirmed by Plaid's webhook whatever this answers.
        const status = await plaidApi
          .refreshAccounts()
          .then((exchange) => (exchange.ok ? (exchange.responseBody as PlaidConnectionStatus) : null))
          .catch(() => null)
        const chosen = status?.item?.accounts.find((account) =>
          metadata.accounts.some((shared) => shared.id === account.account_id),
        )
        setNotice(
          chosen?.verification_status === 'manually_verified'
            ? 'Your account is verified: the deposit code was correct.'
            : 'Your bank connection was repaired. Safeclose updates its status as soon as Plaid confirms it.',
        )
        onChanged()
        return
      }
      if (publicToken === null) throw new Error('Plaid Link finished without a public token')
      await expectOk(plaidApi.exchangePublicToken(publicToken))
      const status = await expectOk<PlaidConnectionStatus>(plaidApi.fetchStatus())
      const accounts = status.item?.accounts ?? []
      const shared = accounts.filter((account) =>
        metadata.accounts.some((picked) => picked.id === account.account_id),
      )
      const candidates = shared.length > 0 ? shared : accounts
      if (candidates.length === 1 && candidates[0]) {
        const next = await signerApi.chooseAccount(candidates[0].account_id, metadata.link_session_id)
        onVerified(next)
      } else {
        setChoice({ accounts: candidates, linkSessionId: metadata.link_session_id })
        setSelected(null)
      }
    })

  const handleEvent = (eventName: string, metadata: PlaidLinkOnEventMetadata) => {
    if (eventName === 'OPEN' && metadata.link_session_id) {
      // Best effort: the trail still gets the link session id with the chosen account.
      void signerApi.linkStarted(metadata.link_session_id).catch(() => undefined)
    }
  }

  return (
    <section className="card" aria-labelledby="bank-title">
      <h2 id="bank-title" className="card__title">
        Verify the bank account for your funds
      </h2>
      <p>
        Connect the account that should receive your money. Safeclose checks with your bank that the account
        is held in the name {flow.signer.legal_name}. Your bank login goes to Plaid, never to Safeclose.
      </p>
      {notice && (
        <Notice tone="info" live>
          <p>{notice}</p>
        </Notice>
      )}
      {needsReconnect && (
        <Notice tone="warning" title="Your bank needs you to sign in again">
          <p>Reconnect {bank ? accountLabel(bank) : 'your account'} before signing.</p>
        </Notice>
      )}
      {bank && (bank.item_status === 'revoked' || bank.item_status === 'removed') && (
        <Notice tone="warning" title="Your bank connection ended">
          <p>Connect your bank account again before signing.</p>
        </Notice>
      )}
      {isRejected && bank && (
        <Notice tone="error" title="The sender could not accept this account">
          <p>
            After reviewing {accountLabel(bank)}, the sender could not accept it as an account in your name.
            Connect a different account that is held in your own name.
          </p>
        </Notice>
      )}
      {isBlockedMismatch && bank && (
        <Notice tone="error" title="The account holder's name does not match">
          <p>
            {accountLabel(bank)} <VerdictBadge verdict={bank.verdict} /> — this package needs an account in
            your own name. Connect a different account.
          </p>
        </Notice>
      )}
      {isPendingCode && bank && (
        <Notice tone="info" title="Confirm the small deposit to finish">
          <p>
            You linked {accountLabel(bank)} with its account and routing numbers. Within one to two business
            days a small deposit from Plaid arrives in that account; its description holds a three-letter
            code. Come back to this page and enter the code to verify the account. You can sign once it is
            verified and the sender has accepted the account.
          </p>
        </Notice>
      )}
      {bank && verification === 'pending_automatic' && !isRejected && (
        <Notice tone="info" title="Your account is being verified">
          <p>
            Plaid is confirming {accountLabel(bank)} with small deposits, usually within one to two business
            days. Nothing is needed from you: come back to this link later (or select Check again), and you
            can sign once Plaid has confirmed it. You can also connect another account instead.
          </p>
        </Notice>
      )}
      {bank && verification === 'failed' && (
        <Notice tone="warning" title="We could not verify this account">
          <p>
            The small deposits to {accountLabel(bank)} could not be confirmed (the code was not accepted, or
            the time to confirm them ran out). Connect your account again, or another one.
          </p>
        </Notice>
      )}
      {isAwaitingAcceptance && bank && (
        <Notice tone="info" title="Waiting for the sender to accept this account">
          <p>
            {accountLabel(bank)} is verified. Because it was verified with deposits rather than a bank
            sign-in, the sender confirms with you that it is yours before you sign. Check back later.
          </p>
        </Notice>
      )}
      {action.error && (
        <Notice tone="error" title="Bank verification did not finish" live ref={errorRef}>
          <p>{action.error}</p>
        </Notice>
      )}

      {choice ? (
        <form
          className="form"
          onSubmit={(event) => {
            event.preventDefault()
            if (selected) void choose(selected, choice.linkSessionId)
          }}
        >
          <fieldset className="choice-group">
            <legend>Which account should receive your funds?</legend>
            {choice.accounts.map((account) => (
              <label key={account.account_id} className="choice">
                <input
                  type="radio"
                  name="payout-account"
                  value={account.account_id}
                  checked={selected === account.account_id}
                  onChange={() => setSelected(account.account_id)}
                />
                <span className="choice__text">
                  <span className="choice__label">{account.name}</span>
                  <span className="choice__description">
                    {account.subtype ?? account.type} {account.mask ? `••${account.mask}` : ''}
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="form-actions">
            <button type="submit" className="button button--primary" disabled={!selected || action.busy}>
              Use this account
            </button>
          </div>
        </form>
      ) : token ? (
        <LinkLauncher
          key={token.link_token}
          token={token.link_token}
          label={
            token.mode === 'update'
              ? isPendingCode
                ? 'Confirm the deposit code'
                : 'Reconnect your bank'
              : 'Open Plaid'
          }
          openOnReady
          {...(token.receivedRedirectUri ? { receivedRedirectUri: token.receivedRedirectUri } : {})}
          onOpen={() => undefined}
          onSuccess={(publicToken, metadata) => void handleSuccess(publicToken, metadata)}
          onExit={(error) => {
            setToken(null)
            if (error) setNotice(`Plaid closed with ${error.error_code}. You can try again.`)
          }}
          onEvent={handleEvent}
        />
      ) : (
        <div className="toolbar">
          <button
            type="button"
            className="button button--primary"
            disabled={action.busy}
            onClick={requestToken}
          >
            {needsReconnect
              ? 'Reconnect your bank'
              : isPendingCode
                ? 'Confirm the deposit code'
                : bank && verification === 'failed'
                  ? 'Connect an account again'
                  : 'Connect your bank account'}
          </button>
          {isPendingCode && (
            <button
              type="button"
              className="button button--secondary"
              disabled={action.busy}
              onClick={requestNewAccountToken}
            >
              Connect a different account
            </button>
          )}
          {bank && (verification === 'pending_automatic' || isAwaitingAcceptance) && (
            <button
              type="button"
              className="button button--secondary"
              disabled={action.busy}
              onClick={checkAgain}
            >
              Check again
            </button>
          )}
        </div>
      )}
    </section>
  )
}
