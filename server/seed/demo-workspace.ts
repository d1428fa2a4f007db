import type { Database } from '../../db/client.ts'
import type { Role } from '../../db/schema.ts'
import { hashPassword } from '../modules/auth/password.ts'
import { findUserByEmail, insertMembership, insertUser } from '../modules/auth/repository.ts'
import { insertWorkspace } from '../modules/workspace/repository.ts'

export const DEMO_WORKSPACE_NAME = 'Demo Closings'
export const DEMO_PASSWORD = 'safeclose-demo'
export const DEMO_USERS: ReadonlyArray<{ email: string; name: string; role: Role }> = [
  { email: 'admin@safeclose.test', name: 'Avery Admin', role: 'admin' },
  { email: 'manager@safeclose.test', name: 'Morgan Manager', role: 'manager' },
  { email: 'signer@safeclose.test', name: 'Sam Signer', role: 'signer' },
]

/**
 * Creates the demo workspace and its three users unless the demo admin already exists, so running
 * it on every start only seeds a database once. Returns whether it seeded.
 */
export async function seedDemoWorkspace(
  db: Database,
  options: { passwordHash?: string } = {},
): Promise<{ isSeeded: boolean; workspaceId: string | null }> {
  if (await findUserByEmail(db, DEMO_USERS[0]!.email)) return { isSeeded: false, workspaceId: null }
  const passwordHash = options.passwordHash ?? (await hashPassword(DEMO_PASSWORD))
  const workspaceId = await db.transaction(async (tx) => {
    const workspace = await insertWorkspace(tx, DEMO_WORKSPACE_NAME)
    for (const demoUser of DEMO_USERS) {
      const user = await insertUser(tx, { email: demoUser.email, name: demoUser.name, passwordHash })
      await insertMembership(tx, { userId: user.id, workspaceId: workspace.id, role: demoUser.role })
    }
    return workspace.id
  })
  return { isSeeded: true, workspaceId }
}
