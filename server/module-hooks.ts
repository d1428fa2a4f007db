import { registerHooks } from 'node:module'

/**
 * Loaded with `node --import` before the server, the worker and the bench servers.
 *
 * Node 24 re-reads the nearest package.json for every ES module it resolves, to learn the module's
 * format. drizzle-orm ships one 180 KB package.json over about 450 modules, so importing it parsed
 * that file hundreds of times: 1.2 s and about 200 MB of resident memory, the largest single cost of
 * starting the server. drizzle-orm is a plain ES module package (`"type": "module"`, no nested
 * package.json, every relative import names its `.js` file), so its relative imports are resolved
 * here directly. Everything else goes through Node's own resolver. ADR 0026 has the measurements.
 */
const DRIZZLE = '/node_modules/drizzle-orm/'

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL
    if (parent?.includes(DRIZZLE) && specifier.startsWith('.') && specifier.endsWith('.js')) {
      return { url: new URL(specifier, parent).href, format: 'module', shortCircuit: true }
    }
    return nextResolve(specifier, context)
  },
})
