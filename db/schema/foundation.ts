import { sql } from 'drizzle-orm'
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'

export const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow()

export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  createdAt: createdAt(),
})

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex('users_email_lower_key').on(sql`lower(${table.email})`)],
)

export const ROLES = ['admin', 'manager', 'signer'] as const
export type Role = (typeof ROLES)[number]

export const memberships = pgTable(
  'memberships',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    role: text('role').$type<Role>().notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.workspaceId] }),
    check('memberships_role_check', sql`${table.role} in ('admin', 'manager', 'signer')`),
  ],
)

/**
 * Only a SHA-256 of the session token is stored: a database leak does not hand out live sessions.
 * A session acts for one principal in one workspace: a member (`user_id`, whose membership must still
 * exist) or a signer (`user_id` null, with its signer record in `signer_sessions`).
 */
export const sessions = pgTable(
  'sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    /**
     * When the person last proved who they are in this session (sign-in, `POST /api/auth/reauth`);
     * sensitive routes require it to be recent (`requireRecentAuth`). Null: never (signer sessions).
     */
    authenticatedAt: timestamp('authenticated_at', { withTimezone: true }),
  },
  (table) => [
    index('sessions_user_id_idx').on(table.userId),
    index('sessions_expires_at_idx').on(table.expiresAt),
  ],
)

export const PLAID_ENVIRONMENTS = ['emulator', 'sandbox', 'production'] as const
export type PlaidEnvironment = (typeof PLAID_ENVIRONMENTS)[number]

/** A workspace's Plaid choice. Absent row = the defaults from configuration. */
export const workspacePlaidSettings = pgTable(
  'workspace_plaid_settings',
  {
    workspaceId: uuid('workspace_id')
      .primaryKey()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    environment: text('environment').$type<PlaidEnvironment>().notNull(),
    clientId: text('client_id'),
    secretCiphertext: text('secret_ciphertext'),
    secretKeyId: text('secret_key_id'),
    webhookBaseUrl: text('webhook_base_url'),
    /** The OAuth redirect URI registered with Plaid (sandbox, production); the emulator needs none. */
    oauthRedirectUri: text('oauth_redirect_uri'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: uuid('updated_by').references(() => users.id, { onDelete: 'set null' }),
  },
  (table) => [
    check(
      'workspace_plaid_settings_environment_check',
      sql`${table.environment} in ('emulator', 'sandbox', 'production')`,
    ),
    check(
      'workspace_plaid_settings_secret_pair_check',
      sql`(${table.secretCiphertext} is null) = (${table.secretKeyId} is null)`,
    ),
  ],
)

/**
 * Append-only audit log, hash-chained per `chain_key` (a workspace, a signing package): each row's
 * hash covers its content and the previous row's hash, so editing or deleting a row is detectable.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    chainKey: text('chain_key').notNull(),
    sequence: integer('sequence').notNull(),
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    actorUserId: uuid('actor_user_id'),
    /** Set instead of `actor_user_id` when a signer (through their signing link) acted. */
    actorSignerId: uuid('actor_signer_id'),
    action: text('action').notNull(),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default({}),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    previousHash: text('previous_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (table) => [
    uniqueIndex('audit_events_chain_sequence_key').on(table.chainKey, table.sequence),
    index('audit_events_workspace_idx').on(table.workspaceId, table.id),
  ],
)

/** Fixed-window counters shared by every app instance (rate limits must hold across instances). */
export const rateLimitCounters = pgTable('rate_limit_counters', {
  key: text('key').primaryKey(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
  hits: bigint('hits', { mode: 'number' }).notNull(),
})
