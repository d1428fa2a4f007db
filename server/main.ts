/**
 * The server's entry point (`npm start`, `node server/main.ts`). The module hooks turn on Node's compile
 * cache and must run before anything else is compiled: `npm start` loads them with `--import`, and this
 * import covers a bare `node server/main.ts` (a module runs once, so they never run twice). The process
 * itself, serve.ts, is imported dynamically so that it is compiled with the cache on.
 */
import './module-hooks.js'

await import('./serve.ts')
