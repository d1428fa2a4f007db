import Fastify from 'fastify'
import pino from 'pino'
import {
  createPlaidSandbox,
  DEFAULT_SANDBOX_CLIENTS,
  type PlaidSandbox,
  type PlaidSandboxOptions,
  type SandboxClient,
} from './sandbox.ts'

export interface StartedPlaidSandbox {
  /** Base URL without a trailing slash: pass it as the plaid SDK's basePath. */
  url: string
  sandbox: PlaidSandbox
  close(): Promise<void>
}

/**
 * Starts the sandbox on its own HTTP server. Tests use `port: 0` for an ephemeral port.
 * @example const { url, sandbox, close } = await startPlaidSandbox({ port: 0, now: () => fakeNow })
 */
export async function startPlaidSandbox(
  options: PlaidSandboxOptions & { port?: number; host?: string } = {},
): Promise<StartedPlaidSandbox> {
  const { port = 0, host = '127.0.0.1', ...sandboxOptions } = options
  const sandbox = createPlaidSandbox(sandboxOptions)
  const app = Fastify({ logger: false })
  await app.register(sandbox.plugin)
  try {
    await app.listen({ port, host })
  } catch (error) {
    await sandbox.close()
    throw error
  }
  const address = app.server.address()
  const boundPort = typeof address === 'object' && address ? address.port : port
  const urlHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${urlHost}:${boundPort}`,
    sandbox,
    close: async () => {
      await app.close()
      await sandbox.close()
    },
  }
}

interface StandaloneConfig {
  host: string
  port: number
  dataDir: string | undefined
  clients: SandboxClient[] | undefined
}

/** Reads and validates PLAID_SANDBOX_* variables; throws with every problem listed. */
export function readStandaloneConfig(env: NodeJS.ProcessEnv): StandaloneConfig {
  const problems: string[] = []
  const host = env.PLAID_SANDBOX_HOST?.trim() || '127.0.0.1'
  const portText = env.PLAID_SANDBOX_PORT?.trim() || '4010'
  const port = Number(portText)
  if (!/^\d+$/.test(portText) || port > 65535)
    problems.push(`PLAID_SANDBOX_PORT must be a port number, got "${portText}"`)
  const dataDir = env.PLAID_SANDBOX_DATA_DIR?.trim() || undefined
  let clients: SandboxClient[] | undefined
  const clientsText = env.PLAID_SANDBOX_CLIENTS?.trim()
  if (clientsText) {
    clients = []
    for (const pair of clientsText.split(',')) {
      const separator = pair.indexOf(':')
      const clientId = pair.slice(0, separator).trim()
      const secret = pair.slice(separator + 1).trim()
      if (separator <= 0 || clientId === '' || secret === '') {
        problems.push('PLAID_SANDBOX_CLIENTS must look like "client_id:secret,client_id2:secret2"')
        break
      }
      clients.push({ clientId, secret })
    }
  }
  if (problems.length > 0) throw new Error(`Invalid plaid-sandbox configuration:\n- ${problems.join('\n- ')}`)
  return { host, port, dataDir, clients }
}

async function runStandalone(): Promise<void> {
  const logger = pino({ name: 'plaid-sandbox' })
  let config: StandaloneConfig
  try {
    config = readStandaloneConfig(process.env)
  } catch (error) {
    logger.error((error as Error).message)
    process.exitCode = 1
    return
  }
  const started = await startPlaidSandbox({
    host: config.host,
    port: config.port,
    logger,
    ...(config.dataDir ? { dataDir: config.dataDir } : {}),
    ...(config.clients ? { clients: config.clients } : {}),
  })
  logger.info(
    {
      url: started.url,
      dataDir: config.dataDir ?? null,
      clients: (config.clients ?? DEFAULT_SANDBOX_CLIENTS).map((client) => client.clientId),
    },
    'plaid-sandbox listening',
  )
  let isClosing = false
  const shutdown = (signal: string) => {
    if (isClosing) return
    isClosing = true
    logger.info({ signal }, 'plaid-sandbox shutting down')
    started.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'plaid-sandbox failed to shut down cleanly')
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
}

if (import.meta.main) {
  await runStandalone()
}
