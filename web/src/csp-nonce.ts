// Vite writes this placeholder into the built HTML (`html.cspNonce`); the server swaps it for the real
// per-response nonce. When the page is not served by Safeclose (e.g. `vite preview`) it stays as is.
const UNREPLACED_PLACEHOLDER = 'SAFECLOSE_CSP_NONCE'

/**
 * The CSP nonce of this page, read from the `<meta property="csp-nonce">` element Vite emits.
 * Browsers hide nonce attributes from the DOM once a CSP is in force, so the `.nonce` property is
 * the reliable source; the attribute is only a fallback for pages served without a CSP header.
 */
export function readCspNonce(): string | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')
  const nonce = meta?.nonce || meta?.getAttribute('nonce') || ''
  return nonce === '' || nonce === UNREPLACED_PLACEHOLDER ? undefined : nonce
}
