import { existsSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Builds the web app when web/dist is missing or older than any source file, so `npm start` works
 * on a fresh clone and after a pull without a separate build step. `npm ci` already runs it (the
 * `prepare` script), so the first start normally finds the build fresh.
 */
const webDir = fileURLToPath(new URL('../web', import.meta.url))
const builtIndex = path.join(webDir, 'dist', 'index.html')

function newestSourceTime(directory: string): number {
  let newest = 0
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue
    const fullPath = path.join(directory, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSourceTime(fullPath) : statSync(fullPath).mtimeMs)
  }
  return newest
}

const isStale = !existsSync(builtIndex) || statSync(builtIndex).mtimeMs < newestSourceTime(webDir)
if (isStale) {
  console.info('Building the web app (web/dist)…')
  // Loaded only when needed: importing Vite costs more than the whole freshness check.
  const { build } = await import('vite')
  await build({ configFile: path.join(webDir, 'vite.config.ts'), logLevel: 'warn' })
}
