import { readFile } from 'node:fs/promises'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isPagePath } from '../../web/src/page-paths.ts'
import { AppError } from '../errors.ts'
import {
  buildContentSecurityPolicy,
  newCspNonce,
  type PlaidBrowserSources,
} from './content-security-policy.ts'
import { escapeHtml } from './html.ts'

/** The placeholder Vite writes into every script/style tag (web/vite.config.ts `html.cspNonce`). */
const NONCE_PLACEHOLDER = 'SAFECLOSE_CSP_NONCE'

export type WebAppOptions = {
  distDir: string
  /** How this request's page loads Plaid Link (depends on the signed-in user's workspace). */
  resolvePlaidSources(request: FastifyRequest): Promise<PlaidBrowserSources | null>
  /** Paths on the page's own origin that pages may frame (the signer's PDF documents), as prefixes. */
  framePaths?: string[]
}

/**
 * Serves the built React app: hashed assets as immutable static files, and index.html for every
 * other GET so client-side routes survive a reload. Each HTML response gets a fresh nonce.
 */
export async function registerWebApp(app: FastifyInstance, options: WebAppOptions): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.join(options.distDir, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    immutable: true,
    maxAge: '365d',
  })

  app.get('/favicon.svg', async (_request, reply) => {
    const icon = await readFile(path.join(options.distDir, 'favicon.svg')).catch(() => null)
    if (!icon) throw new AppError('NOT_FOUND', 'No favicon')
    return reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(icon)
  })

  let template: string | null = null
  const loadTemplate = async () => {
    template ??= await readFile(path.join(options.distDir, 'index.html'), 'utf8').catch(() => null)
    return template
  }

  app.get('/*', async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/'
    if (pathname.startsWith('/api/') || pathname === '/api') {
      throw new AppError('NOT_FOUND', `No route for GET ${pathname}`)
    }
    const html = await loadTemplate()
    if (!html) {
      throw new AppError('NOT_READY', 'The web app is not built yet. Run `npm run build:web`.')
    }
    const frameSources = ownFrameSources(request, options.framePaths ?? [])
    // Unknown addresses get the app too (it renders its "not found" page), with a real 404.
    if (!isPagePath(pathname)) reply.status(404)
    return sendPage(reply, html, await options.resolvePlaidSources(request), frameSources)
  })
}

function sendPage(
  reply: FastifyReply,
  template: string,
  plaid: PlaidBrowserSources | null,
  frameSources: string[],
): FastifyReply {
  const nonce = newCspNonce()
  let html = template.replaceAll(NONCE_PLACEHOLDER, nonce)
  if (plaid?.emulatorScriptUrl) {
    // A classic blocking script placed before the module bundle runs first, so react-plaid-link finds
    // window.Plaid (and the emulator's marker tag) and never reaches for Plaid's CDN.
    const tag = `<script nonce="${nonce}" src="${escapeHtml(plaid.emulatorScriptUrl)}"></script>`
    html = html.replace('</title>', `</title>\n    ${tag}`)
  }
  return reply
    .header('content-security-policy', buildContentSecurityPolicy(nonce, plaid, frameSources))
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(html)
}

/**
 * The frame paths as sources on the origin this page is served from (without PUBLIC_URL the demo
 * is reachable at each loopback spelling, so the page's origin is not always PUBLIC_URL's). A
 * Host that is not a plain name[:port] (a forged header, or an IPv6 literal, which a CSP source cannot
 * spell) gets `'self'` instead of being copied into the policy.
 */
function ownFrameSources(request: FastifyRequest, paths: string[]): string[] {
  if (paths.length === 0) return []
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i.test(request.host)) return ["'self'"]
  return paths.map((framePath) => `${request.protocol}://${request.host}${framePath}`)
}
