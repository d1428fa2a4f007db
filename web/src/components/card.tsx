import type { ReactNode } from 'react'

/** A titled card section; the section is named by its heading, so `titleId` must be unique on the page. */
export function Card({
  titleId,
  title,
  children,
}: {
  titleId: string
  title: ReactNode
  children: ReactNode
}) {
  return (
    <section className="card" aria-labelledby={titleId}>
      <h2 id={titleId} className="card__title">
        {title}
      </h2>
      {children}
    </section>
  )
}
