import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import pino from 'pino'
import { expect, it, onTestFinished } from 'vitest'
import { loadConfig } from '../../server/config.ts'
import { mountablePlaidSandbox } from '../../server/plaid-sandbox-mount.ts'

it('mounts the embedded sandbox without its unauthenticated control API', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'safeclose-sandbox-mount-'))
  const sandbox = await mountablePlaidSandbox(loadConfig({ DATA_DIR: dataDir }), pino({ level: 'silent' }))
  const app = Fastify()
  await app.register(sandbox.plugin, { prefix: '/plaid-sandbox' })
  onTestFinished(async () => {
    await app.close()
    await sandbox.close()
    await rm(dataDir, { recursive: true, force: true })
  })

  const reset = await app.inject({ method: 'POST', url: '/plaid-sandbox/__admin/reset', payload: {} })
  expect(reset.statusCode).toBe(404)
  // The Plaid API itself is served: a wrong key is Plaid's error, not a missing route.
  const plaidCall = await app.inject({
    method: 'POST',
    url: '/plaid-sandbox/item/get',
    payload: { client_id: 'nobody', secret: 'wrong', access_token: 'access-sandbox-x' },
  })
  expect(plaidCall.json()).toMatchObject({ error_code: 'INVALID_API_KEYS' })
})
