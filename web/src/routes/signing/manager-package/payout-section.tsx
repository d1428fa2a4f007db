import { useEffect, useState } from 'react'
import { ApiError } from '../../../api/client.ts'
import {
  type PayoutAlert,
  type PayoutView,
  payoutApi,
  type RevealedNumbers,
  VERIFICATION_METHOD_LABELS,
} from '../../../api/payout.ts'
import type { ManagedSigner, SigningPackage } from '../../../api/signings.ts'
import { reauthenticate } from '../../../api/two-factor.ts'
import { Card } from '../../../components/card.tsx'
import { InputField, TextAreaField } from '../../../components/form-field.tsx'
import { Notice } from '../../../components/notice.tsx'
import { formatDateTime } from '../../../format.ts'

/** How long revealed numbers stay on screen. */
const REVEAL_SECONDS = 60

const signerName = (signers: ManagedSigner[], id: string) =>
  signers.find((signer) => signer.id === id)?.legal_name ?? 'A signer'

/**
 * Open payout alerts, at the top of the package page: each one a change to a payout instruction that
 * was frozen when the package completed. A manager resolves it with a note after calling the signer;
 * under the four-eyes policy a second manager confirms.
 */
export function PayoutAlerts({
  signing,
  payout,
  onChanged,
}: {
  signing: SigningPackage
  payout: PayoutView
  onChanged(signing: SigningPackage): void
}) {
  const open = payout.payout_alerts.filter((alert) => alert.resolved_at === null)
  const resolved = payout.payout_alerts.filter((alert) => alert.resolved_at !== null)
  if (payout.payout_alerts.length === 0) return null
  return (
    <section className="payout-alerts" aria-labelledby="payout-alerts-title">
      {open.length > 0 && (
        <Notice tone="error" title={`Payout alert${open.length > 1 ? 's' : ''}: do not send funds yet`}>
          <h2 id="payout-alerts-title" className="visually-hidden">
            Payout alerts
          </h2>
          <p>
            The payout account verified for this closing has changed or lost its connection. Before any money
            moves, call the signer on a phone number you already had before this closing (never one from an
            e-mail or a message), confirm the account with them, and only then resolve the alert with a note.
          </p>
          <ul className="payout-alert-list">
            {open.map((alert) => (
              <OpenAlert
                key={alert.id}
                alert={alert}
                signingId={signing.id}
                name={signerName(signing.signers, alert.signer_id)}
                fourEyes={payout.payout_policy.require_second_manager}
                onChanged={onChanged}
              />
            ))}
          </ul>
        </Notice>
      )}
      {open.length === 0 && (
        <h2 id="payout-alerts-title" className="card__title">
          Payout alerts
        </h2>
      )}
      {resolved.length > 0 && (
        <ul className="muted" aria-label="Resolved payout alerts">
          {resolved.map((alert) => (
            <li key={alert.id}>
              {signerName(signing.signers, alert.signer_id)}: {alert.description} Resolved by{' '}
              {alert.resolved_by?.name ?? 'a deleted user'}
              {alert.confirmed_by ? `, confirmed by ${alert.confirmed_by.name ?? 'a deleted user'}` : ''} on{' '}
              {formatDateTime(alert.resolved_at as string)}: {alert.note}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function OpenAlert({
  alert,
  signingId,
  name,
  fourEyes,
  onChanged,
}: {
  alert: PayoutAlert
  signingId: string
  name: string
  fourEyes: boolean
  onChanged(signing: SigningPackage): void
}) {
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const mask = typeof alert.details.account_mask === 'string' ? alert.details.account_mask : null

  async function run(work: () => Promise<SigningPackage>) {
    setBusy(true)
    setError(null)
    try {
      onChanged(await work())
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'That did not work.')
    } finally {
      setBusy(false)
    }
  }

  return (
    <li className="payout-alert" aria-label={`Payout alert for ${name}`}>
      <p>
        <strong>{name}</strong>
        {mask ? ` (account ending ${mask})` : ''}: {alert.description}{' '}
        <span className="muted">Raised {formatDateTime(alert.raised_at)}.</span>
      </p>
      {alert.proposed ? (
        <div>
          <p>
            Resolution proposed by {alert.proposed.by?.name ?? 'a deleted user'}: “{alert.proposed.note}”. A
            second manager must confirm it.
          </p>
          <button
            type="button"
            className="button button--secondary"
            disabled={busy}
            onClick={() => void run(() => payoutApi.confirm(signingId, alert.id))}
          >
            Confirm resolution
          </button>
        </div>
      ) : (
        <form
          className="form signing-subform"
          aria-label={`Resolve the payout alert for ${name}`}
          onSubmit={(event) => {
            event.preventDefault()
            if (note.trim()) void run(() => payoutApi.resolve(signingId, alert.id, note))
          }}
        >
          <TextAreaField
            id={`payout-alert-note-${alert.id}`}
            label="What did the signer confirm by phone?"
            value={note}
            onChange={(event) => setNote(event.target.value)}
            rows={2}
            maxLength={1000}
            required
          />
          <div className="form-actions">
            <button type="submit" className="button button--danger" disabled={busy}>
              {fourEyes ? 'Propose resolution' : 'Resolve alert'}
            </button>
          </div>
          {fourEyes && <p className="muted">Your workspace requires a second manager to confirm.</p>}
        </form>
      )}
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
    </li>
  )
}

/**
 * The verified payout accounts: masks, how they were verified, the instruction frozen at completion,
 * and "Reveal numbers" for the full account and routing numbers (after the password, logged).
 */
export function PayoutInstructions({ signing, payout }: { signing: SigningPackage; payout: PayoutView }) {
  if (payout.payout_numbers.length === 0 && payout.payout_instructions.length === 0) return null
  const signerIds = [
    ...new Set([
      ...payout.payout_instructions.map((row) => row.signer_id),
      ...payout.payout_numbers.map((row) => row.signer_id),
    ]),
  ]
  return (
    <Card titleId="payout-instructions-title" title="Payout instructions">
      <p className="muted">
        Account and routing numbers come from the signer's bank through Plaid and are stored encrypted. Each
        reveal asks for a recent sign-in and is recorded in this package's audit trail with your name, the
        time, your IP address and browser.
      </p>
      <ul className="signer-list">
        {signerIds.map((signerId) => {
          const numbers = payout.payout_numbers.find((row) => row.signer_id === signerId) ?? null
          const locked = payout.payout_instructions.find((row) => row.signer_id === signerId) ?? null
          const name = signerName(signing.signers, signerId)
          const method = numbers?.verification_method ?? locked?.verification_method ?? null
          return (
            <li key={signerId} className="signer-card" aria-label={`Payout instruction of ${name}`}>
              <p>
                <strong>{name}</strong>: account ending {numbers?.account_mask ?? locked?.account_mask ?? '—'}
                , routing ending {numbers?.routing_mask ?? locked?.routing_mask ?? '—'}
                {method ? ` · ${VERIFICATION_METHOD_LABELS[method] ?? method}` : ''}
                {numbers?.is_tokenized_account_number ? ' · tokenized account number' : ''}
              </p>
              {locked ? (
                <p className="muted">
                  Locked on {formatDateTime(locked.locked_at)} when the package completed
                  {locked.holder_names?.length ? ` · holders: ${locked.holder_names.join(', ')}` : ''}
                  {locked.institution_name ? ` · ${locked.institution_name}` : ''}.
                </p>
              ) : (
                <p className="muted">Locked when the package completes.</p>
              )}
              {numbers && <RevealNumbers signingId={signing.id} signerId={signerId} name={name} />}
            </li>
          )
        })}
      </ul>
    </Card>
  )
}

type RevealState =
  | { phase: 'idle' }
  | { phase: 'password'; message: string | null }
  | { phase: 'shown'; numbers: RevealedNumbers; secondsLeft: number }

function RevealNumbers({ signingId, signerId, name }: { signingId: string; signerId: string; name: string }) {
  const [state, setState] = useState<RevealState>({ phase: 'idle' })
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [copied, setCopied] = useState<string | null>(null)

  const isShown = state.phase === 'shown'
  useEffect(() => {
    if (!isShown) return
    const timer = window.setInterval(() => {
      setState((current) => {
        if (current.phase !== 'shown') return current
        return current.secondsLeft <= 1
          ? { phase: 'idle' }
          : { ...current, secondsLeft: current.secondsLeft - 1 }
      })
    }, 1000)
    return () => window.clearInterval(timer)
  }, [isShown])

  async function reveal() {
    setBusy(true)
    setError(null)
    try {
      const numbers = await payoutApi.reveal(signingId, signerId)
      setState({ phase: 'shown', numbers, secondsLeft: REVEAL_SECONDS })
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'REAUTH_REQUIRED') {
        setState({ phase: 'password', message: null })
      } else {
        setError(caught instanceof ApiError ? caught.message : 'The numbers could not be revealed.')
      }
    } finally {
      setBusy(false)
    }
  }

  async function confirmPassword() {
    setBusy(true)
    try {
      await reauthenticate(password)
      setPassword('')
      setBusy(false)
      await reveal()
    } catch (caught) {
      setState({
        phase: 'password',
        message: caught instanceof ApiError ? caught.message : 'Your password could not be checked.',
      })
      setBusy(false)
    }
  }

  async function copy(label: string, value: string) {
    try {
      await navigator.clipboard.writeText(value)
      setCopied(label)
    } catch {
      setCopied(null)
    }
  }

  if (state.phase === 'shown') {
    const { numbers } = state
    return (
      <section className="reveal" aria-label={`Numbers of ${name}`}>
        <dl className="details">
          <NumberRow label="Account number" value={numbers.account} onCopy={copy} />
          <NumberRow label="ACH routing number" value={numbers.routing} onCopy={copy} />
          {numbers.wire_routing && (
            <NumberRow label="Wire routing number" value={numbers.wire_routing} onCopy={copy} />
          )}
        </dl>
        <p className="muted" role="status">
          {copied ? `${copied} copied. ` : ''}Hidden again in {state.secondsLeft} s. This reveal was recorded
          in the audit trail.
        </p>
        <button type="button" className="button button--ghost" onClick={() => setState({ phase: 'idle' })}>
          Hide numbers
        </button>
      </section>
    )
  }

  if (state.phase === 'password') {
    const fieldId = `reveal-password-${signerId}`
    return (
      <form
        className="form signing-subform"
        aria-label={`Confirm your password to reveal the numbers of ${name}`}
        onSubmit={(event) => {
          event.preventDefault()
          void confirmPassword()
        }}
      >
        <p>Confirm your password to reveal the numbers. Each reveal is logged.</p>
        <InputField
          id={fieldId}
          label="Your password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          aria-invalid={state.message ? true : undefined}
          required
        />
        {state.message && (
          <p className="field__error" role="alert">
            {state.message}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button button--primary" disabled={busy}>
            Confirm and reveal
          </button>
          <button type="button" className="button button--ghost" onClick={() => setState({ phase: 'idle' })}>
            Cancel
          </button>
        </div>
      </form>
    )
  }

  return (
    <div className="toolbar">
      <button
        type="button"
        className="button button--secondary"
        disabled={busy}
        onClick={() => void reveal()}
      >
        Reveal numbers
      </button>
      <span className="muted">Each reveal is logged.</span>
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
    </div>
  )
}

function NumberRow({
  label,
  value,
  onCopy,
}: {
  label: string
  value: string
  onCopy(label: string, value: string): void
}) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>
        <code>{value}</code>{' '}
        <button type="button" className="button button--ghost" onClick={() => onCopy(label, value)}>
          Copy
        </button>
      </dd>
    </div>
  )
}
