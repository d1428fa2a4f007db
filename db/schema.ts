/**
 * The database schema, one file per area under db/schema/. Column names appear there and in
 * repositories only. `npm run db:generate` turns changes into a new SQL migration in db/migrations,
 * which applies unchanged to the embedded PGlite database and to a PostgreSQL server.
 */
export * from './schema/email.ts'
export * from './schema/foundation.ts'
export * from './schema/members.ts'
export * from './schema/payout.ts'
export * from './schema/plaid.ts'
export * from './schema/signing.ts'
export * from './schema/two-factor.ts'
export * from './schema/webhooks.ts'
