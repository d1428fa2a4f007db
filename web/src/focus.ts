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
