import { randomBytes } from 'node:crypto'
import type { PlaidEnvironment } from '../../db/schema.ts'

const PLAID_CDN = 'https://cdn.plaid.com/'
const PLAID_LINK_SCRIPT = 'https://cdn.plaid.com/link/v2/stable/link-initialize.js'
const PLAID_API_ORIGIN: Record<Exclude<PlaidEnvironment, 'emulator'>, string> = {
  sandbox: 'https://sandbox.plaid.com/',
  production: 'https://production.plaid.com/',
}

/**
 * Where a page loads Plaid Link from. For real Plaid: the CDN script and frame, as Plaid's CSP guide
 * lists. For the emulator: the sandbox's copy of the same paths, same-origin when it is mounted.
 */
export type PlaidBrowserSources = {
  /** Injected before the app bundle in emulator mode; null when react-plaid-link loads the CDN itself. */
  emulatorScriptUrl: string | null
  scriptSources: string[]
  frameSources: string[]
  connectSources: string[]
  defaultSources: string[]
}

export function plaidBrowserSources(
  environment: PlaidEnvironment,
  emulator: { browserBaseUrl: string },
): PlaidBrowserSources {
  if (environment === 'emulator') {
    const isSameOrigin = emulator.browserBaseUrl.startsWith('/')
    const origin = isSameOrigin ? "'self'" : `${new URL(emulator.browserBaseUrl).origin}/`
    const scriptUrl = `${emulator.browserBaseUrl}/link/v2/stable/link-initialize.js`
    return {
      emulatorScriptUrl: scriptUrl,
      scriptSources: isSameOrigin ? [] : [scriptUrl],
      frameSources: [origin],
      connectSources: isSameOrigin ? [] : [origin],
      defaultSources: [],
    }
  }
  return {
    emulatorScriptUrl: null,
    scriptSources: [PLAID_LINK_SCRIPT],
    frameSources: [PLAID_CDN],
    connectSources: [PLAID_API_ORIGIN[environment]],
    defaultSources: [PLAID_CDN],
  }
}

/**
 * The policy of every HTML page: nonce-only scripts, no inline script anywhere. `frameSources`: our
 * own URLs a page may show in a frame (the prefix of the signer's PDF documents), besides Plaid Link.
 */
export function buildContentSecurityPolicy(
  nonce: string,
  plaid: PlaidBrowserSources | null,
  frameSources: string[] = [],
): string {
  const frames = [...frameSources, ...(plaid?.frameSources ?? [])]
  const directives: Record<string, string[]> = {
    'default-src': ["'self'", ...(plaid?.defaultSources ?? [])],
    'script-src': [`'nonce-${nonce}'`, ...(plaid?.scriptSources ?? [])],
    'style-src': ["'self'", `'nonce-${nonce}'`],
    // React sets style attributes; Plaid's guide allows exactly this relaxation.
    'style-src-attr': ["'unsafe-inline'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'"],
    // pdf.js parses PDFs in a module worker loaded from our own /assets/ (a nonce cannot cover a
    // Worker; without this line worker-src falls back to the nonce-only script-src).
    'worker-src': ["'self'"],
    'connect-src': ["'self'", ...(plaid?.connectSources ?? [])],
    'frame-src': frames.length ? frames : ["'none'"],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  }
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${unique(values).join(' ')}`)
    .join('; ')
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

/**
 * A fresh nonce for one HTML response. Only HTML documents need one; JSON, PDFs and assets carry the
 * fixed policy helmet builds once at boot, with no per-request randomness.
 */
export function newCspNonce(): string {
  return randomBytes(16).toString('base64')
}
