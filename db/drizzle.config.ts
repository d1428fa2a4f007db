import { defineConfig } from 'drizzle-kit'

// Used only by `npm run db:generate` to turn db/schema.ts changes into a new SQL migration.
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
})
