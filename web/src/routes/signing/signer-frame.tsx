import type { ReactNode } from 'react'

/** The signer's pages stand alone: no workspace navigation, just the brand and the task. */
export function SignerFrame({ children }: { children: ReactNode }) {
  return (
    <div className="app">
      <header className="app-header">
        <div className="app-header__inner">
          <span className="brand">
            <span className="brand__mark" aria-hidden="true" />
            Safeclose
          </span>
        </div>
      </header>
      <main id="main" className="app-main signer-main" tabIndex={-1}>
        {children}
      </main>
    </div>
  )
}
