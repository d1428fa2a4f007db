import { type LoaderFunctionArgs, useLoaderData } from 'react-router'
import { plaidApi } from '../../api/plaid.ts'
import { Notice } from '../../components/notice.tsx'
import { formatDateTime } from '../../format.ts'
import { ConnectionStatus } from './connection-status.tsx'
import { EnvironmentBanner } from './environment-banner.tsx'
import { EventTimeline } from './event-timeline.tsx'
import { LinkLauncher } from './link-launcher.tsx'
import { maskToken } from './mask-tokens.ts'
import { progressOf, StepCard, StepExchange, type StepProgress } from './step-card.tsx'
import { type LinkOutcome, usePlaidLab } from './use-plaid-lab.ts'
import './plaid-lab-page.css'

const PERSIST_NOT_READY =
  'Safeclose cannot save a bank connection right now: no encryption key for access tokens is configured. ' +
  'You can still try Link, but the result will not be kept. Ask your workspace administrator.'

/**
 * Link callbacks reported in earlier visits (the timeline survives a reload) and Safeclose's status
 * exchange, read together. A refused status is the status step's answer on the page, not an error page.
 */
export async function plaidLabLoader({ request }: LoaderFunctionArgs) {
  const [{ events }, status] = await Promise.all([
    plaidApi.fetchLinkEvents(request.signal),
    plaidApi.fetchStatus(request.signal),
  ])
  return { events, status }
}

export function PlaidLabPage() {
  const { events, status: initialStatus } = useLoaderData<typeof plaidLabLoader>()
  const lab = usePlaidLab(events, initialStatus)

  const status = lab.connection
  const token = lab.activeToken
  const environment = status?.environment ?? token?.environment ?? null
  const linkOpen = lab.linkOutcome.kind === 'open'
  const busy = lab.tokenStep.phase === 'running' || lab.toolStep.phase === 'running' || linkOpen

  return (
    <>
      <title>Plaid lab · Safeclose</title>
      <header className="page-header">
        <h1>Plaid lab</h1>
        <p className="page-header__lead">
          Link a bank account the way a signer does, and see every request, response and Link event on the
          way.
        </p>
      </header>

      <EnvironmentBanner environment={environment} />

      <ol className="steps">
        <StepCard
          number={1}
          title="Request a link token"
          progress={progressOf(lab.tokenStep, true)}
          focusKey={lab.tokenStep.phase === 'failed' ? lab.tokenStep : null}
          description={
            <p>
              Safeclose asks Plaid for a short-lived, single-use <code>link_token</code> that opens Link for
              you.
            </p>
          }
        >
          <div className="toolbar">
            <button
              type="button"
              className="button button--primary"
              onClick={() => lab.requestLinkToken('create')}
              disabled={busy}
            >
              {token ? 'Request a new link token' : 'Request link token'}
            </button>
          </div>
          {lab.tokenStep.phase === 'done' && (
            <dl className="details">
              <div>
                <dt>Link token</dt>
                <dd>
                  <code>{maskToken(lab.tokenStep.data.link_token)}</code>
                </dd>
              </div>
              <div>
                <dt>Mode</dt>
                <dd>{lab.tokenStep.data.mode === 'update' ? 'Update (reconnect)' : 'Create'}</dd>
              </div>
              <div>
                <dt>Expires</dt>
                <dd>{formatDateTime(lab.tokenStep.data.expiration)}</dd>
              </div>
            </dl>
          )}
          <StepExchange step={lab.tokenStep} />
        </StepCard>

        <StepCard
          number={2}
          title="Open Plaid Link"
          progress={linkProgress(lab.linkOutcome, token !== null)}
          // A new token: Link opens from here. Link closed without linking: its outcome is here.
          focusKey={
            lab.linkOutcome.kind === 'exited'
              ? lab.linkOutcome
              : token && !token.openOnReady
                ? token.link_token
                : null
          }
          description={
            <p>
              Choose a bank and sign in inside Plaid Link. Safeclose never sees the bank credentials, only a
              one-time <code>public_token</code>.
            </p>
          }
        >
          {token?.receivedRedirectUri && (
            <Notice tone="info" title="Back from your bank" live>
              <p>Plaid Link continues where you left it, with the same link token.</p>
            </Notice>
          )}
          {lab.oauthResumeError && (
            <Notice tone="error" title="Link could not continue after your bank's sign-in" live>
              <p>{lab.oauthResumeError}</p>
            </Notice>
          )}
          {lab.tokenRenewedAfterExpiry && (
            <Notice tone="info" title="Your link token had expired" live>
              <p>Safeclose fetched a fresh one. Open Link again to retry.</p>
            </Notice>
          )}
          {token && !token.persist_ready && (
            <Notice tone="warning" title="Before you open Link">
              <p>{PERSIST_NOT_READY}</p>
            </Notice>
          )}
          <LinkLauncher
            // One handle per token: a new token always gets a fresh Link handler.
            key={token?.link_token ?? 'no-token'}
            token={token?.link_token ?? null}
            label={token?.mode === 'update' ? 'Open Link to reconnect' : 'Open Link'}
            openOnReady={token?.openOnReady ?? false}
            {...(token?.receivedRedirectUri ? { receivedRedirectUri: token.receivedRedirectUri } : {})}
            onOpen={lab.markLinkOpened}
            onSuccess={lab.handleSuccess}
            onExit={lab.handleExit}
            onEvent={lab.handleEvent}
          />
          <LinkOutcomeSummary outcome={lab.linkOutcome} />
        </StepCard>

        <StepCard
          number={3}
          title="Exchange the public token"
          progress={progressOf(lab.exchangeStep)}
          focusKey={lab.linkOutcome.kind === 'succeeded' ? lab.linkOutcome : null}
          description={
            <p>
              Safeclose trades the <code>public_token</code> for a lasting connection. The access token stays
              on the server, encrypted.
            </p>
          }
        >
          {lab.exchangeStep.phase === 'done' && (
            <>
              <dl className="details">
                <div>
                  <dt>Item ID</dt>
                  <dd>
                    <code>{lab.exchangeStep.data.item_id}</code>
                  </dd>
                </div>
                <div>
                  <dt>Institution ID</dt>
                  <dd>
                    <code>{lab.exchangeStep.data.institution_id ?? '—'}</code>
                  </dd>
                </div>
                <div>
                  <dt>Saved</dt>
                  <dd>{lab.exchangeStep.data.persisted ? 'Yes' : 'No'}</dd>
                </div>
              </dl>
              {lab.exchangeStep.data.persist_hint && (
                <Notice tone="warning" title="The connection was not saved" live>
                  <p>{lab.exchangeStep.data.persist_hint}</p>
                </Notice>
              )}
            </>
          )}
          <StepExchange step={lab.exchangeStep} />
        </StepCard>

        <StepCard
          number={4}
          title="Check the connection"
          // Reading the status is not the step done: that is a linked Item.
          progress={
            lab.statusStep.phase === 'done' && !lab.statusStep.data.item
              ? 'waiting'
              : progressOf(lab.statusStep)
          }
          description={
            <p>
              What Safeclose now knows about your bank connection, kept current by Plaid webhooks: this page
              checks for their effect every few seconds.
            </p>
          }
        >
          {status && (
            <ConnectionStatus
              status={status}
              toolStep={lab.toolStep}
              busy={busy}
              onReconnect={lab.reconnect}
              onRefresh={lab.refreshStatus}
              onRemove={lab.removeItem}
              onSimulateLoginRequired={lab.simulateLoginRequired}
              onSimulateWebhook={lab.simulateWebhook}
              authStep={lab.authStep}
              onLoadAuthMasks={lab.loadAuthMasks}
              onConfirmDeposits={lab.confirmDeposits}
              onSetVerificationStatus={lab.setVerificationStatus}
            />
          )}
          {lab.statusStep.phase === 'failed' && (
            <div className="toolbar">
              <button
                type="button"
                className="button button--secondary button--small"
                onClick={lab.refreshStatus}
              >
                Try again
              </button>
            </div>
          )}
          <details className="disclosure" open={lab.statusStep.phase === 'failed'}>
            <summary>Request and response</summary>
            <StepExchange step={lab.statusStep} />
          </details>
        </StepCard>
      </ol>

      <EventTimeline entries={lab.timeline} reportProblem={lab.reportProblem} />
    </>
  )
}

function linkProgress(outcome: LinkOutcome, hasToken: boolean): StepProgress {
  switch (outcome.kind) {
    case 'open':
      return 'running'
    case 'succeeded':
      return 'done'
    case 'exited':
      return outcome.error ? 'failed' : hasToken ? 'ready' : 'waiting'
    case 'not-opened':
      return hasToken ? 'ready' : 'waiting'
  }
}

function LinkOutcomeSummary({ outcome }: { outcome: LinkOutcome }) {
  switch (outcome.kind) {
    case 'not-opened':
      return null
    case 'open':
      return (
        <p className="muted" role="status">
          Plaid Link is open{outcome.mode === 'update' ? ' in update mode' : ''}.
        </p>
      )
    case 'succeeded':
      return (
        <Notice tone="success" title="Linked" live>
          <p>
            {outcome.institutionName ?? 'The bank'} shared {outcome.accountCount}{' '}
            {outcome.accountCount === 1 ? 'account' : 'accounts'}. Link session{' '}
            <code>{outcome.linkSessionId}</code>
          </p>
        </Notice>
      )
    case 'exited':
      return outcome.error ? (
        <Notice tone="error" title={`Link ended with ${outcome.error.error_code}`} live>
          <p>{outcome.error.display_message ?? outcome.error.error_message}</p>
          <p className="muted">
            Link session <code>{outcome.linkSessionId}</code> · request <code>{outcome.requestId}</code>
          </p>
        </Notice>
      ) : (
        <div role="status">
          <p className="muted">Link was closed without linking. You can open it again.</p>
          {outcome.status && (
            <p className="muted">
              Plaid's exit status (for support): <code>{outcome.status}</code>
            </p>
          )}
        </div>
      )
  }
}
