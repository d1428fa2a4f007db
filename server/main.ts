import module from 'node:module'
import { fileURLToPath } from 'node:url'

/**
 * The server's entry point (`npm start`, `node server/main.ts`). It only turns on Node's compile cache
 * (V8 code and stripped TypeScript kept under node_modules/.cache, so a restart skips most compiling)
 * and then loads the process itself, serve.ts: a static import would be compiled before the cache is on.
 */
module.enableCompileCache?.(
  fileURLToPath(new URL('../node_modules/.cache/node-compile-cache', import.meta.url)),
)
await import('./serve.ts')
