import { useEffect, useRef, useState } from 'react'
import {
  type AuthMasks,
  type ItemStatus,
  type PlaidConnectionStatus,
  SIMULATED_WEBHOOK_CODES,
  type SimulatedWebhookCode,
} from '../../api/plaid.ts'
import { Notice } from '../../components/notice.tsx'
import { type BadgeTone, StatusBadge } from '../../components/status-badge.tsx'
import { formatDateTime } from '../../format.ts'
import { StepExchange } from './step-card.tsx'
import type { StepState } from './use-plaid-lab.ts'

const ITEM_STATUS_BADGES: Record<ItemStatus, { tone: BadgeTone; label: string }> = {
  good: { tone: 'success', label: 'Connected' },
  login_required: { tone: 'warning', label: 'Sign-in required' },
  pending_expiration: { tone: 'warning', label: 'Consent expiring' },
  pending_disconnect: { tone: 'warning', label: 'Disconnect pending' },
  revoked: { tone: 'danger', label: 'Access revoked' },
}

type ConnectionStatusProps = {
  status: PlaidConnectionStatus
  toolStep: StepState<unknown>
  busy: boolean
  onReconnect(): void
  onRefresh(): void
  onRemove(): void
  onSimulateLoginRequired(): void
  onSimulateWebhook(code: SimulatedWebhookCode): void
  authStep: StepState<AuthMasks>
  onLoadAuthMasks(): void
  onConfirmDeposits(): void
  onSetVerificationStatus(accountId: string, status: 'automatically_verified' | 'verification_expired'): void
}

/** Plaid's verification_status values, as the lab names them (ADR 0018). */
const VERIFICATION_LABELS: Record<string, { tone: BadgeTone; label: string }> = {
  pending_manual_verification: { tone: 'warning', label: 'Same-Day: waiting for the deposit code' },
  pending_automatic_verification: { tone: 'warning', label: 'Automated: deposits being verified' },
  // The end of both Same-Day and Instant Micro-deposits (ADR 0025): the deposit code was right.
  manually_verified: { tone: 'success', label: 'Micro-deposit code confirmed' },
  automatically_verified: { tone: 'success', label: 'Automated micro-deposits verified' },
  verification_failed: { tone: 'danger', label: 'Micro-deposits failed' },
  verification_expired: { tone: 'danger', label: 'Micro-deposits expired' },
}

export function ConnectionStatus(props: ConnectionStatusProps) {
  const { status, busy } = props
  const item = status.item
  return (
    <div className="connection">
      {item ? (
        <>
          <div className="connection__summary">
            <div>
              <p className="connection__institution">
                {item.institution_name ?? item.institution_id ?? 'Bank'}
              </p>
              <p className="muted">
                Linked {formatDateTime(item.linked_at)} · Item <code>{item.item_id}</code>
              </p>
            </div>
            <StatusBadge tone={ITEM_STATUS_BADGES[item.status].tone}>
              {ITEM_STATUS_BADGES[item.status].label}
            </StatusBadge>
          </div>
          <AccountsTable
            accounts={item.accounts}
            busy={busy}
            isSandbox={status.environment !== 'production'}
            onConfirmDeposits={props.onConfirmDeposits}
            onSetVerificationStatus={props.onSetVerificationStatus}
          />
          <AuthNumbers step={props.authStep} busy={busy} onLoad={props.onLoadAuthMasks} />
        </>
      ) : (
        <p className="empty-state">No bank account is linked yet. Start with step 1.</p>
      )}

      {item?.status === 'revoked' && (
        <Notice tone="error" title="Access to this bank was revoked">
          <p>
            The account holder withdrew Safeclose's access at the bank or at Plaid, so this connection cannot
            be repaired. To continue, remove it below, then link the account again from step 1 (request a new
            link token and open Link).
          </p>
        </Notice>
      )}

      {status.action === 'update' && (
        <Notice tone="warning" title="The bank needs the signer to sign in again">
          <p>Reconnect opens Link in update mode to repair this connection; no new account is created.</p>
          {item?.consent_expires_at && (
            <p>Until then, access ends {formatDateTime(item.consent_expires_at)}.</p>
          )}
          <p>
            <button
              type="button"
              className="button button--primary"
              onClick={props.onReconnect}
              disabled={busy}
            >
              Reconnect
            </button>
          </p>
        </Notice>
      )}

      <div className="toolbar">
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={props.onRefresh}
          disabled={busy}
        >
          Refresh status
        </button>
        {item && (
          <RemoveItemButton institution={item.institution_name} busy={busy} onRemove={props.onRemove} />
        )}
      </div>

      {item && status.environment !== 'production' && (
        <SimulationTools
          busy={busy}
          onSimulateLoginRequired={props.onSimulateLoginRequired}
          onSimulateWebhook={props.onSimulateWebhook}
        />
      )}

      {props.toolStep.phase !== 'idle' && (
        <div className="tool-result" aria-live="polite">
          <p className="tool-result__title">Last action</p>
          <StepExchange step={props.toolStep} />
        </div>
      )}
    </div>
  )
}

function AuthNumbers({ step, busy, onLoad }: { step: StepState<AuthMasks>; busy: boolean; onLoad(): void }) {
  return (
    <section className="auth-numbers" aria-labelledby="auth-numbers-title">
      <h3 id="auth-numbers-title">Auth numbers</h3>
      <p className="muted">
        What <code>/auth/get</code> returns, masked to the last four digits: full numbers never reach this
        page.
      </p>
      <div className="toolbar">
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={onLoad}
          disabled={busy}
        >
          {step.phase === 'done' ? 'Fetch Auth numbers again' : 'Fetch Auth numbers (masked)'}
        </button>
      </div>
      {step.phase === 'done' && step.data.error_code && (
        <p role="status">
          Plaid has no numbers yet: <code>{step.data.error_code}</code>
          {step.data.error_code === 'PRODUCT_NOT_READY' ? ' (the micro-deposit is not verified yet).' : '.'}
        </p>
      )}
      {step.phase === 'done' && step.data.accounts.length > 0 && (
        <div className="table-scroll">
          <table className="data-table data-table--compact">
            <caption className="visually-hidden">Auth numbers, masked</caption>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Account number</th>
                <th scope="col">Routing</th>
                <th scope="col">Wire routing</th>
                <th scope="col">Verification</th>
              </tr>
            </thead>
            <tbody>
              {step.data.accounts.map((account) => (
                <tr key={account.account_id}>
                  <th scope="row">
                    <code>{account.account_id.slice(0, 8)}…</code>
                  </th>
                  <td>•••• {account.account_mask}</td>
                  <td>•••• {account.routing_mask}</td>
                  <td>{account.wire_routing_mask ? `•••• ${account.wire_routing_mask}` : '—'}</td>
                  <td>{account.verification_status ?? 'instant_auth'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {step.phase === 'failed' && <StepExchange step={step} />}
    </section>
  )
}

function AccountsTable({
  accounts,
  busy,
  isSandbox,
  onConfirmDeposits,
  onSetVerificationStatus,
}: {
  accounts: NonNullable<PlaidConnectionStatus['item']>['accounts']
  busy: boolean
  isSandbox: boolean
  onConfirmDeposits(): void
  onSetVerificationStatus(accountId: string, status: 'automatically_verified' | 'verification_expired'): void
}) {
  if (accounts.length === 0) return <p className="muted">No accounts were shared.</p>
  return (
    <div className="table-scroll">
      <table className="data-table">
        <caption className="visually-hidden">Linked accounts</caption>
        <thead>
          <tr>
            <th scope="col">Account</th>
            <th scope="col">Type</th>
            <th scope="col">Number</th>
            <th scope="col">Verification</th>
          </tr>
        </thead>
        <tbody>
          {accounts.map((account) => (
            <tr key={account.account_id}>
              <th scope="row">{account.name}</th>
              <td>{[account.type, account.subtype].filter(Boolean).join(' · ')}</td>
              <td>
                {account.mask ? (
                  <span className="account-mask">
                    <span aria-hidden="true">•••• </span>
                    <span className="visually-hidden">ending in </span>
                    {account.mask}
                  </span>
                ) : (
                  '—'
                )}
              </td>
              <td>
                {account.verification_status ? (
                  <StatusBadge tone={VERIFICATION_LABELS[account.verification_status]?.tone ?? 'neutral'}>
                    {VERIFICATION_LABELS[account.verification_status]?.label ?? account.verification_status}
                  </StatusBadge>
                ) : (
                  'Instant Auth'
                )}
                {account.verification_status === 'pending_manual_verification' && (
                  <div className="toolbar">
                    <button
                      type="button"
                      className="button button--primary button--small"
                      onClick={onConfirmDeposits}
                      disabled={busy}
                    >
                      Confirm deposits
                    </button>
                  </div>
                )}
                {account.verification_status === 'pending_automatic_verification' && isSandbox && (
                  <div className="toolbar">
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      onClick={() => onSetVerificationStatus(account.account_id, 'automatically_verified')}
                      disabled={busy}
                    >
                      Mark verified
                    </button>
                    <button
                      type="button"
                      className="button button--secondary button--small"
                      onClick={() => onSetVerificationStatus(account.account_id, 'verification_expired')}
                      disabled={busy}
                    >
                      Mark expired
                    </button>
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function RemoveItemButton({
  institution,
  busy,
  onRemove,
}: {
  institution: string | null
  busy: boolean
  onRemove(): void
}) {
  const [confirming, setConfirming] = useState(false)
  const cancelButton = useRef<HTMLButtonElement>(null)
  // The button that opened the question disappears; keep keyboard focus on the safe answer.
  useEffect(() => {
    if (confirming) cancelButton.current?.focus()
  }, [confirming])
  if (!confirming) {
    return (
      <button
        type="button"
        className="button button--danger button--small"
        onClick={() => setConfirming(true)}
        disabled={busy}
      >
        Unlink bank account
      </button>
    )
  }
  return (
    <span className="confirm">
      <span>Unlink {institution ?? 'this bank'}?</span>
      <button
        type="button"
        className="button button--danger button--small"
        onClick={() => {
          setConfirming(false)
          onRemove()
        }}
      >
        Yes, unlink
      </button>
      <button
        ref={cancelButton}
        type="button"
        className="button button--ghost button--small"
        onClick={() => setConfirming(false)}
      >
        Cancel
      </button>
    </span>
  )
}

type SimulationToolsProps = {
  busy: boolean
  onSimulateLoginRequired(): void
  onSimulateWebhook(code: SimulatedWebhookCode): void
}

function SimulationTools({ busy, onSimulateLoginRequired, onSimulateWebhook }: SimulationToolsProps) {
  const [webhookCode, setWebhookCode] = useState<SimulatedWebhookCode>('NEW_ACCOUNTS_AVAILABLE')
  return (
    <fieldset className="simulate">
      <legend>Simulate (test environments only)</legend>
      <div className="toolbar">
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={onSimulateLoginRequired}
          disabled={busy}
        >
          Simulate bank sign-in expiry
        </button>
      </div>
      <div className="toolbar">
        <label htmlFor="webhook-code" className="visually-hidden">
          Webhook code
        </label>
        <select
          id="webhook-code"
          value={webhookCode}
          onChange={(event) => setWebhookCode(event.target.value as SimulatedWebhookCode)}
        >
          {SIMULATED_WEBHOOK_CODES.map((code) => (
            <option key={code} value={code}>
              {code}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => onSimulateWebhook(webhookCode)}
          disabled={busy}
        >
          Fire webhook
        </button>
      </div>
      <p className="field__help">
        Webhooks are processed in the background; the status below follows once Safeclose has handled them.
      </p>
    </fieldset>
  )
}
