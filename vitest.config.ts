import { defineConfig } from 'vitest/config'

// Three projects: fast pure-logic tests, component tests (app.inject against a real database,
// PGlite by default and also a PostgreSQL server when TEST_DATABASE_URL is set), and browser tests
// that drive Debian's Chromium through playwright-core.
// test/system spawns real server processes against TEST_DATABASE_URL and skips (loudly) without it.
// `*.pg.test.ts` files test what exists on PostgreSQL only and run in component-postgres alone.
const componentFiles = [
  'test/component/**/*.test.ts',
  'plaid-sandbox/test/**/*.test.ts',
  'test/system/**/*.test.ts',
]
const browserFiles = ['**/*.browser.test.ts']

const postgresProject = process.env.TEST_DATABASE_URL
  ? [
      {
        extends: true as const,
        test: {
          name: 'component-postgres',
          include: ['test/component/**/*.test.ts'],
          exclude: browserFiles,
          env: { SAFECLOSE_TEST_DATABASE: 'postgres' },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ]
  : []

export default defineConfig({
  test: {
    // Test processes resolve drizzle-orm the way server processes do (server/node-flags.ts): without
    // it every test file spends about a second and 200 MB re-reading drizzle-orm's package.json.
    execArgv: ['--import', './server/module-hooks.js'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'component',
          include: componentFiles,
          // `*.pg.test.ts`: what exists on PostgreSQL only; the component-postgres project runs them.
          exclude: [...browserFiles, '**/node_modules/**', '**/*.pg.test.ts'],
          env: { SAFECLOSE_TEST_DATABASE: 'pglite' },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      ...postgresProject,
      {
        extends: true,
        test: {
          name: 'browser',
          include: browserFiles,
          exclude: ['**/node_modules/**'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          // One Chromium at a time: these machines have two cores.
          fileParallelism: false,
        },
      },
    ],
  },
})
