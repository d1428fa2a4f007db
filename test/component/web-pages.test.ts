import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPlaidSandbox } from '../../plaid-sandbox/src/sandbox.ts'
import { buildTestApp, DEMO, type TestApp } from '../helpers/build-app.ts'

// A stand-in for web/dist with the placeholder Vite writes, so these tests do not need a build.
const TEMPLATE = `<!doctype html><html><head><title>Safeclose</title>
<script type="module" crossorigin src="/assets/app.js" nonce="SAFECLOSE_CSP_NONCE"></script>
<meta property="csp-nonce" nonce="SAFECLOSE_CSP_NONCE"></head><body><div id="root"></div></body></html>`

describe('HTML pages, security headers and health', () => {
  let t: TestApp
  beforeAll(async () => {
    const distDir = await mkdtemp(path.join(tmpdir(), 'safeclose-dist-'))
    await writeFile(path.join(distDir, 'index.html'), TEMPLATE)
    t = await buildTestApp({ webDistDir: distDir })
  })
  afterAll(() => t.close())

  it('serves the app shell for client-side routes with a fresh nonce on every response', async () => {
    const first = await t.app.inject({ method: 'GET', url: '/signing/plaid-lab' })
    const second = await t.app.inject({ method: 'GET', url: '/signin' })
    const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)?.[1]
    const firstNonce = nonceOf(String(first.headers['content-security-policy']))
    expect(first.statusCode).toBe(200)
    expect(first.headers['content-type']).toContain('text/html')
    expect(firstNonce).toMatch(/^[A-Za-z0-9+/=_-]{16,}$/)
    expect(first.body).toContain(`nonce="${firstNonce}"`)
    expect(first.body).not.toContain('SAFECLOSE_CSP_NONCE')
    expect(nonceOf(String(second.headers['content-security-policy']))).not.toBe(firstNonce)
  })

  it('gives JSON one fixed policy with no per-response nonce, and pages a fresh nonce each', async () => {
    const [first, second] = await Promise.all([
      t.app.inject({ method: 'GET', url: '/healthz' }),
      t.app.inject({ method: 'GET', url: '/api/session' }),
    ])
    expect(first.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'")
    expect(second.headers['content-security-policy']).toBe(first.headers['content-security-policy'])
    const pages = await Promise.all([1, 2].map(() => t.app.inject({ method: 'GET', url: '/signin' })))
    const [a, b] = pages.map(
      (page) => /'nonce-([^']+)'/.exec(String(page.headers['content-security-policy']))?.[1],
    )
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/)
    expect(a).not.toBe(b)
  })

  it('sends the same security header set on JSON answers of every kind', async () => {
    const expected = {
      'content-security-policy': "default-src 'none';frame-ancestors 'none'",
      'cross-origin-opener-policy': 'same-origin-allow-popups',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'SAMEORIGIN',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    }
    const answers = await Promise.all([
      t.app.inject({ method: 'GET', url: '/healthz' }),
      t.app.inject({ method: 'GET', url: '/api/session' }),
      t.app.inject({ method: 'GET', url: '/api/no-such-route' }),
      t.app.inject({ method: 'POST', url: '/api/auth/sign-in/email', payload: { email: 1 } }),
    ])
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 401, 404, 400])
    for (const answer of answers) {
      expect(answer.headers).toMatchObject(expected)
      expect(answer.headers['cross-origin-embedder-policy']).toBeUndefined()
      expect(answer.headers['x-powered-by']).toBeUndefined()
    }
  })

  it('answers an unknown page with the app (its not-found page) and a real 404', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/no/such/page?x=1' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.headers['content-type']).toContain('text/html')
    expect(unknown.body).toContain('<div id="root">')
    const known = await t.app.inject({ method: 'GET', url: '/signing/manager/signings/123' })
    expect(known.statusCode).toBe(200)
  })

  it('sends a nonce-only script policy with no unsafe-inline scripts, plus helmet headers', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/signing' })
    const csp = String(response.headers['content-security-policy'])
    const scriptSrc = csp.split('; ').find((directive) => directive.startsWith('script-src ')) ?? ''
    // The nonce, plus at most the Link script's exact URL: never a host-wide or inline allowance.
    expect(scriptSrc).toMatch(/^script-src 'nonce-[^']+'( https?:\/\/\S+\/link-initialize\.js)?$/)
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(response.headers['x-content-type-options']).toBe('nosniff')
    expect(response.headers['strict-transport-security']).toBeDefined()
  })

  it("lets pages frame the signer's PDF documents, by path on the page's own origin", async () => {
    const frameSources = async (host: string) => {
      const response = await t.app.inject({ method: 'GET', url: '/signing/sign', headers: { host } })
      const csp = String(response.headers['content-security-policy'])
      return (csp.split('; ').find((directive) => directive.startsWith('frame-src ')) ?? '').split(' ')
    }
    // Whichever origin the browser uses (PUBLIC_URL or, as the origin check allows, its own).
    expect(await frameSources('127.0.0.1:3000')).toContain(
      'http://127.0.0.1:3000/api/signer/signing/documents/',
    )
    expect(await frameSources('localhost:3000')).toContain(
      'http://localhost:3000/api/signer/signing/documents/',
    )
    // A Host that a CSP source cannot spell is not copied into the policy.
    const odd = await frameSources('[::1]:3000')
    expect(odd).toContain("'self'")
    expect(odd.join(' ')).not.toContain('[::1]')
  })

  it('injects the emulator Link script before the bundle for a signed-in emulator workspace', async () => {
    const cookie = await t.signIn(DEMO.signer)
    const response = await t.app.inject({ method: 'GET', url: '/signing/plaid-lab', headers: { cookie } })
    const nonce = /'nonce-([^']+)'/.exec(String(response.headers['content-security-policy']))?.[1]
    const scriptTag = `<script nonce="${nonce}" src="http://127.0.0.1:3000/plaid-sandbox/link/v2/stable/link-initialize.js"></script>`
    expect(response.body).toContain(scriptTag)
    expect(response.body.indexOf(scriptTag)).toBeLessThan(response.body.indexOf('/assets/app.js'))
  })

  it('answers /healthz and /readyz', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready', database: t.database.kind })
  })

  it('gives JSON 404s under /api even for GET', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/nope' })
    expect(response.statusCode).toBe(404)
    expect(response.json().error.code).toBe('NOT_FOUND')
  })
})

describe('the mounted Plaid sandbox', () => {
  let t: TestApp
  let close: () => Promise<void>
  beforeAll(async () => {
    const sandbox = createPlaidSandbox()
    close = () => sandbox.close()
    t = await buildTestApp({ env: { PLAID_SANDBOX_ENABLED: 'true' }, plaidSandboxPlugin: sandbox.plugin })
  })
  afterAll(async () => {
    await t.close()
    await close()
  })

  it('serves the Link UI frameable by our own pages (no page-level frame-ancestors none)', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/plaid-sandbox/link/v2/stable/link.html' })
    expect(response.statusCode).toBe(200)
    expect(String(response.headers['content-security-policy'] ?? '')).not.toContain("frame-ancestors 'none'")
    expect(response.headers['x-frame-options']).toBeUndefined()
    expect(response.headers['strict-transport-security']).toBeUndefined()
    expect(response.headers['cross-origin-resource-policy']).toBeUndefined()
  })

  it("serves link.html's whole ES module graph as JavaScript, with no policy that would block it", async () => {
    const base = '/plaid-sandbox/link/v2/stable/'
    const page = await t.app.inject({ method: 'GET', url: `${base}link.html` })
    // Module scripts need 'self' (or no policy at all) in script-src; a nonce would cover the entry only.
    const pagePolicy = String(page.headers['content-security-policy'] ?? '')
    const scriptSources = /(?:^|;\s*)script-src ([^;]*)/.exec(pagePolicy)?.[1]
    if (scriptSources !== undefined) expect(scriptSources.split(' ')).toContain("'self'")
    const entry = /<script type="module" src="([^"]+)"><\/script>/.exec(page.body)?.[1]
    expect(entry).toBe('link.js')

    const pending = [new URL(String(entry), `http://sandbox${base}`).pathname]
    const served = new Set<string>()
    while (pending.length > 0) {
      const url = String(pending.pop())
      if (served.has(url)) continue
      served.add(url)
      const response = await t.app.inject({ method: 'GET', url })
      expect(response.statusCode, url).toBe(200)
      // Browsers refuse a module script served with any other type.
      expect(response.headers['content-type'], url).toMatch(/^(text|application)\/javascript\b/)
      for (const match of response.body.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)) {
        pending.push(new URL(String(match[1]), `http://sandbox${url}`).pathname)
      }
    }
    // link.js, its state and API modules, and the panes.
    expect(served.size).toBeGreaterThan(20)
    expect(served).toContain(`${base}link/panes/consent.js`)
  })

  it('keeps the page policy on the app itself', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/session' })
    expect(String(response.headers['content-security-policy'])).toContain("frame-ancestors 'none'")
  })
})
