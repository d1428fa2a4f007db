import { PlaidEnvironments } from 'plaid'
import { expect, it } from 'vitest'
import { basePathFor } from '../../server/modules/plaid/gateway.ts'

// The gateway loads the SDK lazily, so it spells Plaid's hosts out: they must stay the SDK's.
it('the gateway reaches the hosts the Plaid SDK names', () => {
  expect(basePathFor('sandbox', 'http://emulator')).toBe(PlaidEnvironments.sandbox)
  expect(basePathFor('production', 'http://emulator')).toBe(PlaidEnvironments.production)
  expect(basePathFor('emulator', 'http://emulator')).toBe('http://emulator')
})
