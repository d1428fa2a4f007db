import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import { createdAt, type Role, users, workspaces } from './foundation.ts'

/**
 * An invitation to join a workspace as admin or manager. Only a SHA-256 of the token is stored; it is
 * single use, expires after 7 days and can be revoked.
 */
export const memberInvitations = pgTable(
  'member_invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    /** The name the inviter gave (the first admin's, from `npm run admin:create`); the person may change it. */
    name: text('name'),
    role: text('role').$type<Exclude<Role, 'signer'>>().notNull(),
    tokenHash: text('token_hash').notNull(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    acceptedBy: uuid('accepted_by').references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    check('member_invitations_role_check', sql`${table.role} in ('admin', 'manager')`),
    uniqueIndex('member_invitations_token_hash_key').on(table.tokenHash),
    index('member_invitations_workspace_idx').on(table.workspaceId, table.createdAt),
  ],
)

/** A password reset: SHA-256 of the token only, one hour, single use. */
export const passwordResets = pgTable(
  'password_resets',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('password_resets_token_hash_key').on(table.tokenHash),
    index('password_resets_user_idx').on(table.userId),
  ],
)

/**
 * First run without the demo: the server logs a one-time setup link while no workspace exists. Only a
 * SHA-256 of each token is kept; creating the first workspace uses one and ends them all.
 */
export const setupTokens = pgTable('setup_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  createdAt: createdAt(),
  usedAt: timestamp('used_at', { withTimezone: true }),
})
