export function Spinner({ label }: { label: string }) {
  return (
    <span className="spinner" role="status">
      <span className="spinner__ring" aria-hidden="true" />
      <span className="visually-hidden">{label}</span>
    </span>
  )
}

export function FullPageLoading() {
  return (
    <div className="full-page-center">
      <Spinner label="Loading Safeclose…" />
    </div>
  )
}
