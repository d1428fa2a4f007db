import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatabaseHandle } from '../../db/client.ts'
import { AUDIT_ACTIONS } from '../../server/modules/audit/actions.ts'
import { createAuditService } from '../../server/modules/audit/service.ts'
import { createTestDatabase } from '../helpers/database.ts'

describe('hash-chained audit log', () => {
  let database: DatabaseHandle
  beforeAll(async () => {
    database = await createTestDatabase()
  })
  afterAll(() => database.close())

  const record = (audit: ReturnType<typeof createAuditService>, chainKey: string, index: number) =>
    audit.record({
      chainKey,
      workspaceId: null,
      actorUserId: null,
      action: AUDIT_ACTIONS[index % AUDIT_ACTIONS.length] ?? 'auth.signed_in',
      details: { index, nested: { b: 2, a: 1 } },
      ipAddress: '127.0.0.1',
    })

  it('verifies an untouched chain, also when events were appended concurrently', async () => {
    const audit = createAuditService({ db: database.db })
    await Promise.all(Array.from({ length: 12 }, (_, index) => record(audit, 'chain:concurrent', index)))
    const verification = await audit.verifyChain('chain:concurrent')
    expect(verification).toEqual({ isValid: true, eventCount: 12 })
    const events = await audit.listChain('chain:concurrent')
    expect(events.map((event) => event.sequence)).toEqual(Array.from({ length: 12 }, (_, index) => index + 1))
  })

  it.each([
    [
      'an edited detail',
      `update audit_events set details = '{"index": 99}' where chain_key = $1 and sequence = 2`,
      2,
    ],
    [
      'a changed action',
      `update audit_events set action = 'test.forged' where chain_key = $1 and sequence = 3`,
      3,
    ],
    ['a deleted row', `delete from audit_events where chain_key = $1 and sequence = 2`, 2],
    [
      'a shifted timestamp',
      `update audit_events set occurred_at = occurred_at + interval '1 second' where chain_key = $1 and sequence = 4`,
      4,
    ],
  ])('detects %s', async (_case, tamper, brokenAt) => {
    const chainKey = `chain:${_case}`
    const audit = createAuditService({ db: database.db })
    for (let index = 0; index < 5; index += 1) await record(audit, chainKey, index)
    await database.executeSql(tamper, [chainKey])
    expect(await audit.verifyChain(chainKey)).toMatchObject({ isValid: false, firstBrokenSequence: brokenAt })
  })
})
