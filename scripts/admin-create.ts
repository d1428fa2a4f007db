import { parseArgs } from 'node:util'
import { DatabaseBusyError, openDatabase } from '../db/client.ts'
import { loadConfigOrExit } from '../server/config.ts'
import { createAuditService } from '../server/modules/audit/service.ts'
import { createAuthService } from '../server/modules/auth/service.ts'
import { createBootstrap } from '../server/modules/members/bootstrap.ts'

/**
 * `npm run admin:create -- --workspace "Acme Title" --email owner@acme.test --name "Olive Owner"`:
 * creates a workspace on the configured database and prints a one-time invitation link for its first
 * administrator, who chooses their own password on that page. Never a password on the command line.
 */
const USAGE =
  'Usage: npm run admin:create -- --workspace "Acme Title" --email owner@acme.test --name "Olive Owner"'

let values: { workspace?: string; email?: string; name?: string; help?: boolean }
try {
  ;({ values } = parseArgs({
    options: {
      workspace: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }))
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`)
  process.exit(2)
}
if (values.help) {
  console.info(USAGE)
  process.exit(0)
}
const workspaceName = values.workspace?.trim() ?? ''
const email = values.email?.trim() ?? ''
const name = values.name?.trim() ?? ''
const problems = [
  workspaceName === '' || workspaceName.length > 200 ? '--workspace: 1 to 200 characters' : null,
  /^[^\s@]+@[^\s@]+$/.test(email) && email.length <= 320 ? null : '--email: an e-mail address',
  name === '' || name.length > 200 ? '--name: 1 to 200 characters' : null,
].filter((problem) => problem !== null)
if (problems.length > 0) {
  console.error(`${problems.join('\n')}\n${USAGE}`)
  process.exit(2)
}

const config = loadConfigOrExit()
let database: Awaited<ReturnType<typeof openDatabase>>
try {
  database = await openDatabase(config.database)
} catch (error) {
  if (error instanceof DatabaseBusyError) {
    console.error(error.message)
    process.exit(1)
  }
  throw error
}
try {
  await database.migrate()
  const audit = createAuditService({ db: database.db })
  const bootstrap = createBootstrap({
    db: database.db,
    audit,
    auth: createAuthService({ db: database.db, audit, sessionTtlHours: config.sessionTtlHours }),
    publicUrl: config.publicUrl,
  })
  const created = await bootstrap.createWorkspaceWithAdmin({ workspaceName, email, name })
  console.info(
    [
      `Created the workspace "${workspaceName}" (${created.workspaceId}).`,
      `Send this one-time link to ${email}; it creates their administrator account and works until ${created.expiresAt.toUTCString()}:`,
      '',
      `  ${created.url}`,
      '',
    ].join('\n'),
  )
} finally {
  await database.close()
}
