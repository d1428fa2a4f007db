import type { ReactNode, Ref } from 'react'

export type NoticeTone = 'info' | 'success' | 'warning' | 'error'

type NoticeProps = {
  tone: NoticeTone
  title?: string
  children?: ReactNode
  /** Set for messages that appear in response to an action, so assistive technology announces them. */
  live?: boolean
  /** For moving focus to the notice when it appears (see focus.ts). */
  ref?: Ref<HTMLDivElement>
}

export function Notice({ tone, title, children, live = false, ref }: NoticeProps) {
  const role = live ? (tone === 'error' ? 'alert' : 'status') : undefined
  return (
    <div className={`notice notice--${tone}`} role={role} ref={ref}>
      {title && <p className="notice__title">{title}</p>}
      {children && <div className="notice__body">{children}</div>}
    </div>
  )
}
