import { createServer } from 'node:net'
import { buildTestApp, type TestApp, type TestAppOptions } from './build-app.ts'

export type TestServer = TestApp & { url: string }

/**
 * A real Safeclose server on a free loopback port, for browser tests and anything that needs real
 * HTTP (the Plaid SDK, webhooks). PUBLIC_URL matches the port so origin checks and webhook URLs hold.
 */
export async function startTestServer(options: TestAppOptions = {}): Promise<TestServer> {
  const port = await findFreePort()
  const url = `http://127.0.0.1:${port}`
  const testApp = await buildTestApp({
    ...options,
    env: { HOST: '127.0.0.1', PORT: String(port), PUBLIC_URL: url, ...options.env },
  })
  await testApp.app.listen({ host: '127.0.0.1', port })
  return { ...testApp, url }
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}
