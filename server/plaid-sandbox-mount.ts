import path from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import type { Logger } from 'pino'
import { createPlaidSandbox } from '../plaid-sandbox/src/sandbox.ts'
import { EMULATOR_CREDENTIALS } from './app.ts'
import type { Config } from './config.ts'

/**
 * The offline Plaid sandbox as the embedded demo mounts it: it accepts the emulator credentials the
 * server uses and keeps its state next to the embedded database, so a restart keeps stored access
 * tokens valid. Its `/__admin` control API stays off, and it delivers webhooks only to the origins of
 * PLAID_SANDBOX_WEBHOOK_ALLOWLIST (default: PUBLIC_URL's). Only serve.ts calls this, and only when
 * PLAID_SANDBOX_ENABLED resolves to true.
 */
export async function mountablePlaidSandbox(
  config: Config,
  logger: Logger,
): Promise<{ plugin: FastifyPluginAsync; close(): Promise<void> }> {
  const sandbox = createPlaidSandbox({
    clients: [{ clientId: EMULATOR_CREDENTIALS.clientId, secret: EMULATOR_CREDENTIALS.secret }],
    dataDir: path.join(config.dataDir, 'plaid-sandbox'),
    logger: logger.child({ component: 'plaid-sandbox' }),
    // Demo users reach this server; the control API could reset the sandbox under them.
    controlApi: false,
    // Anyone who reaches the demo can call the sandbox with the documented demo credentials: left
    // open, it would POST (with retries) to any URL they name, from inside our network.
    allowedWebhookOrigins: config.plaid.sandboxWebhookAllowlist,
  })
  return { plugin: sandbox.plugin as FastifyPluginAsync, close: () => sandbox.close() }
}
