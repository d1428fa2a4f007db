import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PlaidApi } from 'plaid'
import { SandboxClock } from '../../plaid-sandbox/src/core/clock.ts'
import { StateStore } from '../../plaid-sandbox/src/core/store.ts'
import { type StartedPlaidSandbox, startPlaidSandbox } from '../../plaid-sandbox/src/main.ts'
import { serializeWebhookBody, signWebhookBody } from '../../plaid-sandbox/src/webhooks/signing.ts'
import { SigningKeyRing } from '../../plaid-sandbox/src/webhooks/signing-keys.ts'
import { emulatorClient } from './plaid.ts'

export type SignedDelivery = { body: string; signature: string }

export type SandboxWithSigningKey = StartedPlaidSandbox & {
  plaid: PlaidApi
  /** The kid of the sandbox's current signing key, which the test also holds. */
  kid: string
  /** A webhook body in the sandbox's wire format (sorted keys, two-space indent), signed now. */
  sign(payload: Record<string, unknown>): Promise<SignedDelivery>
  /** Any bytes at all, signed now with a valid Plaid-Verification header over exactly those bytes. */
  signBody(body: string): Promise<SignedDelivery>
}

/**
 * The offline sandbox on a free port whose current webhook signing key the test holds too. The key is
 * made by the sandbox's own key ring and state store, written to a fresh data directory, and loaded by
 * the sandbox from there: the sandbox signs its own webhooks with it and serves it from
 * /webhook_verification_key/get, so a verifier fetches it over HTTP exactly as for a webhook the
 * sandbox sent. Signing goes through the sandbox's signing module. This lets tests send what the
 * sandbox (like Plaid's) never fires: PENDING_EXPIRATION, or a correctly signed body that is not JSON.
 */
export async function startSandboxWithSigningKey(): Promise<SandboxWithSigningKey> {
  const dataDir = mkdtempSync(join(tmpdir(), 'safeclose-sandbox-key-'))
  const clock = new SandboxClock()
  const store = new StateStore(dataDir)
  const key = new SigningKeyRing(store, clock).current()
  store.flush()

  const started = await startPlaidSandbox({
    port: 0,
    dataDir,
    webhookRetrySchedule: [50, 100],
    webhookTimeoutMs: 2_000,
  })
  const current = started.sandbox.control.signingKeys().find((jwk) => jwk.expired_at === null)
  if (current?.kid !== key.kid) {
    await started.close()
    throw new Error('the sandbox did not load the signing key written for it')
  }
  const signBody = async (body: string) => ({
    body,
    signature: await signWebhookBody(body, key, clock.nowSeconds()),
  })
  return {
    ...started,
    plaid: emulatorClient(started.url),
    kid: key.kid,
    sign: (payload) => signBody(serializeWebhookBody({ environment: 'sandbox', ...payload })),
    signBody,
    async close() {
      await started.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
