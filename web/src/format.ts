/** A server timestamp in the reader's locale, e.g. "12 Mar 2026, 14:05"; unparseable input is shown as is. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso)
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}
