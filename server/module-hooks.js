// @ts-check
import { enableCompileCache, registerHooks } from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * Loaded with `node --import` before the server, the worker and the bench servers. It is plain
 * JavaScript (type-checked through `// @ts-check`) because it runs before anything can be cached:
 * a TypeScript file here would make Node start its type stripper, a WebAssembly build of swc that
 * keeps about 18 MB for the life of the process, on every start.
 *
 * 1. Turns on Node's compile cache (V8 code and stripped TypeScript under node_modules/.cache). With
 *    it on from the first module, a restart finds every file of the server already stripped and
 *    compiled, and never loads the type stripper. `scripts/prepare.ts` fills it at install time;
 *    NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 * 2. Node 24 re-reads the nearest package.json for every ES module it resolves, to learn the module's
 *    format. drizzle-orm ships one 180 KB package.json over about 450 modules, so importing it parsed
 *    that file hundreds of times: 1.2 s and about 200 MB of resident memory, the largest single cost
 *    of starting the server. drizzle-orm is a plain ES module package (`"type": "module"`, no nested
 *    package.json, every relative import names its `.js` file), so its relative imports are resolved
 *    here directly. Everything else goes through Node's own resolver.
 *
 * ADR 0026 has the measurements.
 */
export const COMPILE_CACHE_DIRECTORY = fileURLToPath(
  new URL('../node_modules/.cache/node-compile-cache', import.meta.url),
)
enableCompileCache(COMPILE_CACHE_DIRECTORY)

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
