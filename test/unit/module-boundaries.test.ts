import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The rule of docs/decisions/0008-module-boundaries.md, checked on the source: a module writes only
// the tables it owns, and never imports another module's repository. Reads may join across modules.

const MODULES_DIR = fileURLToPath(new URL('../../server/modules/', import.meta.url))
const SERVER_DIR = fileURLToPath(new URL('../../server/', import.meta.url))
const JOBS_DIR = fileURLToPath(new URL('../../jobs/', import.meta.url))

/** Every table some module writes, and the one module allowed to. */
const TABLE_OWNERS: Record<string, string> = {
  users: 'auth',
  memberships: 'auth',
  sessions: 'auth',
  signerSessions: 'auth',
  workspaces: 'workspace',
  workspacePlaidSettings: 'workspace',
  auditEvents: 'audit',
  rateLimitCounters: 'rate-limits',
  plaidItems: 'plaid',
  plaidAccounts: 'plaid',
  linkEvents: 'plaid',
  plaidLinkResumes: 'plaid',
  outboxMessages: 'email',
  memberInvitations: 'members',
  passwordResets: 'auth',
  webhookEvents: 'webhooks',
  webhookRejections: 'webhooks',
  signingPackages: 'signing',
  signingDocuments: 'signing',
  signers: 'signing',
  signerDocumentViews: 'signing',
  signingDocumentFields: 'signing',
  signerSignatures: 'signing',
  signingSeals: 'signing',
  workspaceSealCertificates: 'signing',
  signerBankVerifications: 'signing',
  signingLinks: 'signing',
  workspaceSigningSettings: 'signing',
  signerPayoutNumbers: 'signing',
  payoutInstructions: 'signing',
  payoutAlerts: 'signing',
  workspacePayoutSettings: 'signing',
}

function moduleSources(): Array<{ module: string; file: string; source: string }> {
  return readdirSync(MODULES_DIR).flatMap((module) =>
    readdirSync(join(MODULES_DIR, module))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => ({ module, file, source: readFileSync(join(MODULES_DIR, module, file), 'utf8') })),
  )
}

describe('module boundaries', () => {
  const sources = moduleSources()

  it('reads every module', () => {
    expect(new Set(sources.map((entry) => entry.module))).toEqual(
      new Set([
        'audit',
        'auth',
        'email',
        'health',
        'members',
        'plaid',
        'rate-limits',
        'signing',
        'webhooks',
        'workspace',
      ]),
    )
  })

  it('lets a module write only the tables it owns', () => {
    const trespasses: string[] = []
    const writes: string[] = []
    for (const { module, file, source } of sources) {
      for (const [, verb, table] of source.matchAll(/\.(insert|update|delete)\((\w+)\)/g)) {
        const owner = TABLE_OWNERS[table as string]
        if (!owner) continue
        writes.push(table as string)
        if (owner !== module) trespasses.push(`${module}/${file} ${verb}s ${table}, owned by ${owner}`)
      }
    }
    expect(trespasses).toEqual([])
    // The scan finds the writes it is meant to police (a broken pattern would pass vacuously).
    expect(new Set(writes)).toEqual(new Set(Object.keys(TABLE_OWNERS)))
  })

  it("never imports another module's repository", () => {
    const reaches = sources.flatMap(({ module, file, source }) =>
      [...source.matchAll(/from '\.\.\/([\w-]+)\/([\w-]*repository)\.ts'/g)]
        .filter(([, other]) => other !== module)
        .map(([, other, name]) => `${module}/${file} imports ${other}/${name}.ts`),
    )
    expect(reaches).toEqual([])
  })

  it('keeps the job queue inside the server: jobs/ is only the worker entry point (ADR 0022)', () => {
    const serverFiles = (readdirSync(SERVER_DIR, { recursive: true }) as string[]).filter((file) =>
      file.endsWith('.ts'),
    )
    const reaches = serverFiles.flatMap((file) => {
      const source = readFileSync(join(SERVER_DIR, file), 'utf8')
      return [...source.matchAll(/from '((?:\.\.\/)+)jobs\/([\w./-]+)'/g)]
        .filter(([, ups]) => (ups as string).length / 3 > file.split('/').length - 1)
        .map(([specifier]) => `server/${file}: ${specifier}`)
    })
    expect(reaches).toEqual([])
    expect(serverFiles).toEqual(expect.arrayContaining(['jobs/queue.ts', 'jobs/registry.ts']))
    expect(readdirSync(JOBS_DIR).sort()).toEqual(['README.md', 'worker-main.ts'])
  })
})
