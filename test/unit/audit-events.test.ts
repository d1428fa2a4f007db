import { describe, expect, it } from 'vitest'
import { AUDIT_ACTIONS } from '../../server/modules/audit/actions.ts'
import {
  auditEvent,
  requestActor,
  signerActor,
  signingChain,
  userActor,
  workspaceChain,
} from '../../server/modules/audit/events.ts'
import type { MemberSession, SignerSession } from '../../server/modules/auth/service.ts'

const origin = { ipAddress: '203.0.113.7', userAgent: 'Test/1.0' }
const workspace = { id: 'w1', name: 'Acme' }
const member: MemberSession = {
  principal: 'member',
  user: { id: 'u1', email: 'm@example.test', name: 'Morgan' },
  workspace,
  role: 'manager',
  heldByTwoFactorPolicy: false,
}
const signer: SignerSession = {
  principal: 'signer',
  signer: { id: 's1', email: 's@example.test', name: 'Sam', packageId: 'p1' },
  workspace,
}

describe('the audit event builder', () => {
  it('takes the actor columns, IP and user agent from a member request', () => {
    expect(
      auditEvent(requestActor(member, origin), 'signing.created', {
        chain: signingChain({ id: 'p1', workspaceId: 'w1' }),
        subject: { type: 'signing', id: 'p1' },
        details: { title: 'Closing' },
      }),
    ).toEqual({
      chainKey: 'signing:p1',
      workspaceId: 'w1',
      actorUserId: 'u1',
      actorSignerId: null,
      action: 'signing.created',
      subjectType: 'signing',
      subjectId: 'p1',
      details: { title: 'Closing' },
      ipAddress: '203.0.113.7',
      userAgent: 'Test/1.0',
    })
  })

  it('records a signer session as the signer, never as a user', () => {
    const event = auditEvent(requestActor(signer, origin), 'bank.linked', { chain: workspaceChain('w1') })
    expect(event).toMatchObject({ actorUserId: null, actorSignerId: 's1', ipAddress: '203.0.113.7' })
    expect(
      auditEvent(signerActor('s2', origin), 'signer.invitation_opened', { chain: workspaceChain('w1') }),
    ).toMatchObject({ actorUserId: null, actorSignerId: 's2', userAgent: 'Test/1.0' })
    expect(
      auditEvent(userActor('u9', origin), 'auth.signed_in', { chain: workspaceChain('w1') }),
    ).toMatchObject({
      chainKey: 'workspace:w1',
      actorUserId: 'u9',
      actorSignerId: null,
      subjectType: null,
      subjectId: null,
      details: {},
    })
  })

  it('gives system events (jobs, Plaid) no user, signer, IP or user agent', () => {
    expect(
      auditEvent('system', 'bank.item_status_changed', {
        chain: signingChain({ id: 'p1', workspaceId: 'w1' }),
        subject: { type: 'signer', id: 's1' },
      }),
    ).toMatchObject({ actorUserId: null, actorSignerId: null, ipAddress: null, userAgent: null })
  })

  it('lists each action once, as chain.verb', () => {
    expect(new Set(AUDIT_ACTIONS).size).toBe(AUDIT_ACTIONS.length)
    for (const action of AUDIT_ACTIONS) expect(action).toMatch(/^[a-z]+\.[a-z_]+$/)
  })
})
