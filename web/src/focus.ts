import { type RefObject, useEffect, useRef } from 'react'

/**
 * Moves keyboard and screen-reader focus to the first heading inside the returned container whenever
 * `key` changes to a value other than null (a new step, a new page, a result), but not on the first
 * render: a freshly loaded document starts at its top as usual. Without this, focus falls back to <body> when the element that
 * had it (the button just pressed) disappears.
 */
export function useFocusHeadingOnChange<T extends HTMLElement>(key: unknown): RefObject<T | null> {
  const container = useRef<T>(null)
  const previous = useRef(key)
  useEffect(() => {
    if (Object.is(previous.current, key)) return
    previous.current = key
    if (key !== null && key !== undefined) focusFirstHeading(container.current)
  }, [key])
  return container
}

/** Focuses `root`'s first heading (made focusable by script only), or `root` itself; true if done. */
export function focusFirstHeading(root: HTMLElement | null): boolean {
  if (!root) return false
  const heading = root.querySelector<HTMLElement>('h1, h2, h3')
  return focusElement(heading ?? root)
}

/** Focuses an element that may not be focusable by default, and brings it into view. */
export function focusElement(element: HTMLElement | null): boolean {
  if (!element) return false
  if (!element.hasAttribute('tabindex') && element.tabIndex < 0) element.setAttribute('tabindex', '-1')
  element.focus({ preventScroll: true })
  element.scrollIntoView({ block: 'nearest' })
  return document.activeElement === element
}

/** When `message` appears (an error, a result), focuses the returned element and scrolls it into view. */
export function useFocusWhenShown<T extends HTMLElement>(message: unknown): RefObject<T | null> {
  const element = useRef<T>(null)
  useEffect(() => {
    if (message) focusElement(element.current)
  }, [message])
  return element
}

/**
 * For an uncontrolled form: after a refusal that names an input (`field` is its `name`), mark that
 * input `aria-invalid`, point its `aria-describedby` at the message (`messageId`) and focus it; the
 * previous mark goes when the next result (`result`) arrives.
 */
export function useInvalidInput(
  form: RefObject<HTMLFormElement | null>,
  field: string | null,
  messageId: string,
  result: unknown,
): void {
  useEffect(() => {
    const root = form.current
    if (!root) return
    for (const marked of root.querySelectorAll<HTMLElement>('[data-invalid-mark]')) {
      marked.removeAttribute('aria-invalid')
      marked.removeAttribute('data-invalid-mark')
      const rest = (marked.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .filter((id) => id !== '' && id !== messageId)
      if (rest.length > 0) marked.setAttribute('aria-describedby', rest.join(' '))
      else marked.removeAttribute('aria-describedby')
    }
    if (!field || !result) return
    const input = root.elements.namedItem(field)
    if (!(input instanceof HTMLElement)) return
    input.setAttribute('aria-invalid', 'true')
    input.setAttribute('data-invalid-mark', '')
    const described = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean)
    input.setAttribute('aria-describedby', [...described, messageId].join(' '))
    input.focus()
  }, [form, field, messageId, result])
}
