import { eq, isNotNull } from 'drizzle-orm'
import type { Queryable } from '../../../db/client.ts'
import { type PlaidEnvironment, users, workspacePlaidSettings, workspaces } from '../../../db/schema.ts'

export type PlaidSettingsRow = {
  workspaceId: string
  environment: PlaidEnvironment
  clientId: string | null
  secretCiphertext: string | null
  secretKeyId: string | null
  webhookBaseUrl: string | null
  oauthRedirectUri: string | null
  updatedAt: Date
  updatedByEmail: string | null
}

export async function findPlaidSettings(
  db: Queryable,
  workspaceId: string,
): Promise<PlaidSettingsRow | null> {
  const [row] = await db
    .select({
      workspaceId: workspacePlaidSettings.workspaceId,
      environment: workspacePlaidSettings.environment,
      clientId: workspacePlaidSettings.clientId,
      secretCiphertext: workspacePlaidSettings.secretCiphertext,
      secretKeyId: workspacePlaidSettings.secretKeyId,
      webhookBaseUrl: workspacePlaidSettings.webhookBaseUrl,
      oauthRedirectUri: workspacePlaidSettings.oauthRedirectUri,
      updatedAt: workspacePlaidSettings.updatedAt,
      updatedByEmail: users.email,
    })
    .from(workspacePlaidSettings)
    .leftJoin(users, eq(users.id, workspacePlaidSettings.updatedBy))
    .where(eq(workspacePlaidSettings.workspaceId, workspaceId))
    .limit(1)
  return row ?? null
}

export async function savePlaidSettings(
  db: Queryable,
  settings: {
    workspaceId: string
    environment: PlaidEnvironment
    clientId: string | null
    secretCiphertext: string | null
    secretKeyId: string | null
    webhookBaseUrl: string | null
    oauthRedirectUri: string | null
    updatedBy: string
  },
): Promise<void> {
  const values = { ...settings, updatedAt: new Date() }
  await db
    .insert(workspacePlaidSettings)
    .values(values)
    .onConflictDoUpdate({ target: workspacePlaidSettings.workspaceId, set: values })
}

/** Every stored workspace secret, for key rotation. */
export async function listEncryptedSecrets(
  db: Queryable,
): Promise<Array<{ workspaceId: string; secretCiphertext: string; secretKeyId: string }>> {
  const rows = await db
    .select({
      workspaceId: workspacePlaidSettings.workspaceId,
      secretCiphertext: workspacePlaidSettings.secretCiphertext,
      secretKeyId: workspacePlaidSettings.secretKeyId,
    })
    .from(workspacePlaidSettings)
    .where(isNotNull(workspacePlaidSettings.secretCiphertext))
  return rows as Array<{ workspaceId: string; secretCiphertext: string; secretKeyId: string }>
}

export async function replaceSecretCiphertext(
  db: Queryable,
  workspaceId: string,
  value: { secretCiphertext: string; secretKeyId: string },
): Promise<void> {
  await db
    .update(workspacePlaidSettings)
    .set(value)
    .where(eq(workspacePlaidSettings.workspaceId, workspaceId))
}

export async function insertWorkspace(db: Queryable, name: string): Promise<{ id: string }> {
  const [row] = await db.insert(workspaces).values({ name }).returning({ id: workspaces.id })
  return row as { id: string }
}

export async function countWorkspaces(db: Queryable): Promise<number> {
  return db.$count(workspaces)
}
