import module from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * Runs at `npm install` / `npm ci` (the `prepare` script), so the first `npm start` has nothing slow
 * left to do: builds the web app when stale, makes the empty PGlite cluster a new embedded database
 * starts from (db/client.ts), and fills Node's compile cache with the server's modules (server/main.ts
 * reads it). Each step is skipped when already done; `npm start` works without any of them, slower.
 */

// The compile cache keeps only code compiled after it is on, so everything below is imported
// dynamically. Loading the server's modules has no side effects (serve.ts, which starts the server,
// is not among them).
module.enableCompileCache?.(
  fileURLToPath(new URL('../node_modules/.cache/node-compile-cache', import.meta.url)),
)

await import('./ensure-web-build.ts')

const { preparePgliteTemplate } = await import('../db/client.ts')
const template = await preparePgliteTemplate()
if (template.isCreated) console.info(`Prepared the empty embedded database (${template.path})`)

await import('../server/app.ts')
await import('../server/config.ts')
await import('../server/plaid-sandbox-mount.ts')
await import('../server/security/demo-key-file.ts')
await import('../server/seed/demo-workspace.ts')
module.flushCompileCache?.()
