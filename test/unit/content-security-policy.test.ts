import { describe, expect, it } from 'vitest'
import { buildContentSecurityPolicy, plaidBrowserSources } from '../../server/http/content-security-policy.ts'
import {
  inlineDisposition,
  PDF_CONTENT_SECURITY_POLICY,
  SIGNER_DOCUMENTS_PATH,
} from '../../server/modules/signing/pdf-response.ts'

const NONCE = 'test-nonce-0123456789'
const DOCUMENTS = `https://closings.example${SIGNER_DOCUMENTS_PATH}`

function directives(policy: string): Record<string, string> {
  return Object.fromEntries(
    policy.split('; ').map((directive) => {
      const [name = '', ...values] = directive.split(' ')
      return [name, values.join(' ')]
    }),
  )
}

function pagePolicy(plaid: Parameters<typeof buildContentSecurityPolicy>[1]) {
  return directives(buildContentSecurityPolicy(NONCE, plaid, [DOCUMENTS]))
}

describe('page policy', () => {
  it('is the same strict policy for every Plaid environment, but for where Link comes from', () => {
    const common = {
      'style-src': `'self' 'nonce-${NONCE}'`,
      'style-src-attr': "'unsafe-inline'",
      'img-src': "'self' data:",
      'font-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'self'",
      'form-action': "'self'",
      'frame-ancestors': "'none'",
      // pdf.js parses PDFs in a module worker served from /assets/ (ADR 0013); a nonce cannot cover it.
      'worker-src': "'self'",
    }
    expect(pagePolicy(plaidBrowserSources('emulator', { browserBaseUrl: '/plaid-sandbox' }))).toEqual({
      ...common,
      'default-src': "'self'",
      'script-src': `'nonce-${NONCE}'`,
      'connect-src': "'self'",
      'frame-src': `${DOCUMENTS} 'self'`,
    })
    expect(
      pagePolicy(plaidBrowserSources('emulator', { browserBaseUrl: 'http://127.0.0.1:4010/plaid-sandbox' })),
    ).toEqual({
      ...common,
      'default-src': "'self'",
      'script-src': `'nonce-${NONCE}' http://127.0.0.1:4010/plaid-sandbox/link/v2/stable/link-initialize.js`,
      'connect-src': "'self' http://127.0.0.1:4010/",
      'frame-src': `${DOCUMENTS} http://127.0.0.1:4010/`,
    })
    for (const environment of ['sandbox', 'production'] as const) {
      expect(pagePolicy(plaidBrowserSources(environment, { browserBaseUrl: '/plaid-sandbox' }))).toEqual({
        ...common,
        'default-src': "'self' https://cdn.plaid.com/",
        'script-src': `'nonce-${NONCE}' https://cdn.plaid.com/link/v2/stable/link-initialize.js`,
        'connect-src': `'self' https://${environment}.plaid.com/`,
        'frame-src': `${DOCUMENTS} https://cdn.plaid.com/`,
      })
    }
    expect(pagePolicy(null)).toEqual({
      ...common,
      'default-src': "'self'",
      'script-src': `'nonce-${NONCE}'`,
      'connect-src': "'self'",
      'frame-src': DOCUMENTS,
    })
  })

  it('frames nothing when it is given no frame sources', () => {
    expect(directives(buildContentSecurityPolicy(NONCE, null))['frame-src']).toBe("'none'")
  })
})

describe('PDF responses', () => {
  it('allow no scripts, no loads and no framing by other origins', () => {
    expect(directives(PDF_CONTENT_SECURITY_POLICY)).toEqual({
      'default-src': "'none'",
      'frame-ancestors': "'self'",
      'base-uri': "'none'",
      'form-action': "'none'",
    })
  })

  it('name the file safely inside the quotes, with the UTF-8 title beside it when it differs', () => {
    expect(inlineDisposition('Deed of trust')).toBe('inline; filename="Deed of trust.pdf"')
    expect(inlineDisposition('Deed.PDF')).toBe('inline; filename="Deed.pdf"')
    expect(inlineDisposition('Kaufvertrag Müller')).toBe(
      `inline; filename="Kaufvertrag Muller.pdf"; filename*=UTF-8''Kaufvertrag%20M%C3%BCller.pdf`,
    )
    const hostile = inlineDisposition('../"evil"\r\nX-Injected: 1;\\ name')
    expect(hostile).toMatch(/^inline; filename="[A-Za-z0-9 ._()+,-]+\.pdf"; filename\*=UTF-8''[\w%.!~-]+$/)
    expect(hostile).not.toMatch(/[\r\n]/)
    expect(hostile.split('"')).toHaveLength(3)
    expect(inlineDisposition('契約書')).toBe(
      `inline; filename="document.pdf"; filename*=UTF-8''${encodeURIComponent('契約書.pdf')}`,
    )
  })
})
