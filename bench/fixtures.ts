import { EMULATOR_CREDENTIALS } from '../server/app.ts'
import { DEMO_PASSWORD } from '../server/seed/demo-workspace.ts'

/** Everything the scenarios need set up over plain HTTP, the way a browser and Plaid Link would. */

const REQUEST_TIMEOUT_MS = 15_000
const SANDBOX_INSTITUTION_ID = 'ins_109508'

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  })
}

async function expectOk(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what} failed: ${response.status} ${await response.text()}`)
  return response
}

/** Signs a seeded demo user in through the API and returns the Cookie header value. */
export async function signIn(serverUrl: string, email: string): Promise<string> {
  const response = await expectOk(
    await postJson(`${serverUrl}/api/auth/sign-in/email`, { email, password: DEMO_PASSWORD }),
    `sign-in of ${email}`,
  )
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0] ?? '')
    .find((pair) => pair.startsWith('safeclose_session='))
  if (!cookie) throw new Error(`sign-in of ${email} set no session cookie`)
  return cookie
}

/**
 * A public token straight from the sandbox (`/sandbox/public_token/create`), standing in for a
 * finished Link flow. Auth only and no webhook URL, so the Item never sends webhooks.
 */
export async function createPublicToken(sandboxUrl: string): Promise<string> {
  const response = await expectOk(
    await postJson(`${sandboxUrl}/sandbox/public_token/create`, {
      client_id: EMULATOR_CREDENTIALS.clientId,
      secret: EMULATOR_CREDENTIALS.secret,
      institution_id: SANDBOX_INSTITUTION_ID,
      initial_products: ['auth'],
    }),
    'sandbox public token creation',
  )
  return ((await response.json()) as { public_token: string }).public_token
}

/** `count` public tokens, created a few at a time so the sandbox is not flooded. */
export async function createPublicTokens(sandboxUrl: string, count: number): Promise<string[]> {
  const tokens: string[] = []
  const concurrency = 8
  while (tokens.length < count) {
    const batchSize = Math.min(concurrency, count - tokens.length)
    const batch = await Promise.all(Array.from({ length: batchSize }, () => createPublicToken(sandboxUrl)))
    tokens.push(...batch)
  }
  return tokens
}

async function exchangePublicToken(serverUrl: string, cookie: string, publicToken: string) {
  await expectOk(
    await postJson(`${serverUrl}/api/plaid/exchange`, { public_token: publicToken }, { cookie }),
    'exchange',
  )
}

/** Makes sure the user has a linked bank account (links one through the sandbox if not). */
export async function ensureBankAccountLinked(
  serverUrl: string,
  sandboxUrl: string,
  cookie: string,
): Promise<void> {
  if (await hasConnectedAccount(serverUrl, cookie)) return
  await exchangePublicToken(serverUrl, cookie, await createPublicToken(sandboxUrl))
  if (!(await hasConnectedAccount(serverUrl, cookie))) {
    throw new Error('status after linking shows no connected account')
  }
}

async function hasConnectedAccount(serverUrl: string, cookie: string): Promise<boolean> {
  const response = await expectOk(
    await fetch(`${serverUrl}/api/plaid/status`, {
      headers: { cookie },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }),
    'status',
  )
  const status = (await response.json()) as { connected: boolean; item: { accounts: unknown[] } | null }
  return status.connected && (status.item?.accounts.length ?? 0) > 0
}

/**
 * Tells the sandbox to drop the next `count` webhooks. The bench's Items have no webhook URL, so
 * none should be sent; this keeps it so even if a sandbox change starts sending some.
 */
export async function dropSandboxWebhooks(sandboxUrl: string, count: number): Promise<void> {
  await expectOk(await postJson(`${sandboxUrl}/__admin/webhooks/drop`, { count }), 'dropping webhooks')
}

/** How many webhook deliveries the sandbox has logged (dropped ones included). */
export async function countSandboxWebhookDeliveries(sandboxUrl: string): Promise<number> {
  const response = await expectOk(
    await fetch(`${sandboxUrl}/__admin/deliveries`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
    'reading webhook deliveries',
  )
  return ((await response.json()) as { deliveries: unknown[] }).deliveries.length
}
