import { mkdtemp, readdir, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDatabase, preparePgliteTemplate } from '../../db/client.ts'

describe('the embedded database template (made at install by scripts/prepare.ts)', () => {
  let tmp: string
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'safeclose-template-'))
  })
  afterAll(() => rm(tmp, { recursive: true, force: true }))

  it('starts a new data directory migrated, from a copy of the template', async () => {
    const template = await preparePgliteTemplate()
    expect((await preparePgliteTemplate()).isCreated).toBe(false)
    const dataDir = path.join(tmp, 'fresh')
    const database = await openDatabase({ kind: 'pglite', dataDir })
    try {
      // Migrated before anything ran a migration: the cluster is the template's.
      expect(await database.isMigrated()).toBe(true)
      expect(await readdir(dataDir)).toEqual(expect.arrayContaining(await readdir(template.path)))
      const result = await database.executeSql('select count(*)::int as users from users')
      expect(result.rows).toEqual([{ users: 0 }])
      // A copied cluster runs with the embedded database's options too (PGLITE_OPTIONS, ADR 0026).
      const buffers = await database.executeSql('show shared_buffers')
      expect(buffers.rows).toEqual([{ shared_buffers: '16MB' }])
    } finally {
      await database.close()
    }
  })
})
