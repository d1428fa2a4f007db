import { fileURLToPath } from 'node:url'

/**
 * The Node.js options every Safeclose server and worker process runs with. `npm start`, `npm run
 * dev` and `npm run worker` spell them out in package.json (a unit test keeps the two in step); the
 * bench and the system tests spawn processes with this list, so they measure what `npm start` runs.
 *
 * - `--import module-hooks.js`: resolves drizzle-orm's internal imports without re-reading its
 *   180 KB package.json for each of them (see that file).
 * - `--max-semi-space-size=8`: V8's young generation grows to 3 × 32 MB by default on this kind of
 *   machine and keeps it; 8 MB semi-spaces hold a request's short-lived objects with room to spare.
 * - `--liftoff-only`: the embedded database is PostgreSQL compiled to WebAssembly. By default V8
 *   compiles it twice (a quick baseline, then optimised code for hot functions on background
 *   threads), and the optimising compiler's memory stays with the process: about 120 MB more at
 *   rest, and CPU taken from the first requests. The baseline code alone runs queries about a
 *   quarter slower, a cost the bench shows next to the memory it saves. Nothing else in the
 *   process runs WebAssembly on a hot path, so the flag changes nothing on PostgreSQL.
 *
 * ADR 0026 has the measurements behind both.
 */
export const SERVER_NODE_FLAGS: readonly string[] = [
  '--import',
  fileURLToPath(new URL('./module-hooks.js', import.meta.url)),
  '--max-semi-space-size=8',
  '--liftoff-only',
]
