import { type ReactNode, useId } from 'react'
import { Spinner } from '../../components/loading.tsx'
import { type BadgeTone, StatusBadge } from '../../components/status-badge.tsx'
import { useFocusHeadingOnChange } from '../../focus.ts'
import { ExchangeView } from './exchange-view.tsx'
import type { StepState } from './use-plaid-lab.ts'

export type StepProgress = 'waiting' | 'ready' | 'running' | 'done' | 'failed' | 'skipped'

const PROGRESS_BADGES: Record<StepProgress, { tone: BadgeTone; label: string }> = {
  waiting: { tone: 'neutral', label: 'Waiting' },
  ready: { tone: 'accent', label: 'Ready' },
  running: { tone: 'accent', label: 'In progress' },
  done: { tone: 'success', label: 'Done' },
  failed: { tone: 'danger', label: 'Failed' },
  skipped: { tone: 'neutral', label: 'Skipped' },
}

export function progressOf(step: StepState<unknown>, readyWhenIdle = false): StepProgress {
  if (step.phase === 'idle') return readyWhenIdle ? 'ready' : 'waiting'
  return step.phase
}

type StepCardProps = {
  number: number
  title: string
  description: ReactNode
  progress: StepProgress
  /** When this changes to a value other than null, the step's heading takes the focus (see focus.ts). */
  focusKey?: unknown
  children?: ReactNode
}

export function StepCard({ number, title, description, progress, focusKey = null, children }: StepCardProps) {
  const titleId = useId()
  const badge = PROGRESS_BADGES[progress]
  const card = useFocusHeadingOnChange<HTMLLIElement>(focusKey)
  return (
    <li className="step card" aria-labelledby={titleId} data-progress={progress} ref={card}>
      <div className="step__header">
        <span className="step__number" aria-hidden="true">
          {number}
        </span>
        <h2 id={titleId} className="step__title">
          <span className="visually-hidden">Step {number}: </span>
          {title}
        </h2>
        <StatusBadge tone={badge.tone}>{badge.label}</StatusBadge>
      </div>
      <div className="step__description">{description}</div>
      {children}
    </li>
  )
}

/** The request/response of a step, plus the error sentence when it failed. */
export function StepExchange({ step }: { step: StepState<unknown> }) {
  if (step.phase === 'running') return <Spinner label="Waiting for Safeclose…" />
  if (step.phase === 'skipped') return <p className="muted">{step.reason}</p>
  if (step.phase === 'idle') return null
  return (
    <>
      {step.phase === 'failed' && (
        <p className="form-message__error" role="alert">
          {step.error.message}
          {step.error.requestId && <span className="muted"> (request {step.error.requestId})</span>}
        </p>
      )}
      {step.exchange && <ExchangeView exchange={step.exchange} />}
    </>
  )
}
