// Real organisations in Chromium: an admin invites a colleague who joins and works as a manager at
// once, and a forgotten password is reset through the outbox (no SMTP server in the demo).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BrowserStack, startBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'
import type { TestServer } from '../helpers/test-server.ts'

const NEW_PASSWORD = 'granite otter lantern 42'

let stack: BrowserStack
let server: TestServer

beforeAll(async () => {
  stack = await startBrowserStack()
  server = stack.server
})

afterAll(() => stack?.close())

async function signedInAs(email: string, password = DEMO.password) {
  const { page } = await stack.newPage()
  await page.goto(`${server.url}/signin`)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${server.url}/signing`)
  return page
}

describe('members', () => {
  it('invites a colleague, who joins with a new account and works as a manager at once', async () => {
    const admin = await signedInAs(DEMO.admin)
    await admin.getByRole('link', { name: 'Members' }).click()
    await admin.getByRole('heading', { name: 'Members', level: 1 }).waitFor()
    await admin.getByLabel('Email').fill('ivy.invite@example.test')
    await admin.getByLabel('Role', { exact: true }).selectOption('manager')
    await admin.getByRole('button', { name: 'Send invitation' }).click()
    const link = admin.locator('code', { hasText: '/invite/' })
    const url = (await link.textContent())?.trim() ?? ''
    expect(url).toMatch(new RegExp(`^${server.url}/invite/[A-Za-z0-9_-]{43}$`))
    await admin.getByText('ivy.invite@example.test · Manager').waitFor()

    const { page } = await stack.newPage()
    await page.goto(url)
    await page.getByRole('heading', { name: 'Join Demo Closings' }).waitFor()
    await page.getByLabel('Your name').fill('Ivy Invite')
    // The policy answers next to the field.
    await page.getByLabel('Choose a password').fill('password')
    await page.getByRole('button', { name: 'Join Demo Closings' }).click()
    await page.locator('#invite-password-error', { hasText: '12 characters' }).waitFor()
    await page.getByLabel('Choose a password').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Join Demo Closings' }).click()
    await page.waitForURL(`${server.url}/signing`)
    await page.getByText('Ivy Invite').first().waitFor()
    await page.goto(`${server.url}/signing/manager/signings`)
    await page.getByRole('heading', { name: 'Signing packages' }).waitFor()

    // The admin sees the new member; the link does not work twice.
    await admin.reload()
    await admin.getByRole('cell', { name: 'ivy.invite@example.test' }).waitFor()
    await admin.getByRole('link', { name: 'Audit log' }).click()
    await admin.getByText('Chain verified').waitFor()
    await admin.getByRole('cell', { name: 'member.joined' }).first().waitFor()

    const again = await stack.newPage()
    await again.page.goto(url)
    await again.page.getByRole('heading', { name: 'This invitation cannot be used' }).waitFor()
  })

  it('resets a forgotten password through the outbox', async () => {
    const { page } = await stack.newPage()
    await page.goto(`${server.url}/signin`)
    await page.getByRole('link', { name: 'Forgot your password?' }).click()
    await page.getByLabel('Email').fill(DEMO.manager)
    await page.getByRole('button', { name: 'Send a reset link' }).click()
    await page.getByRole('status').getByText('a link to reset its password is on its way').waitFor()

    const admin = await signedInAs(DEMO.admin)
    let resetLink = admin.getByRole('link', { name: /\/reset-password\// })
    for (let attempt = 0; attempt < 20 && (await resetLink.count()) === 0; attempt++) {
      await admin.goto(`${server.url}/admin/outbox`)
      await admin.getByRole('heading', { name: 'Outbox' }).waitFor()
      resetLink = admin.getByRole('link', { name: /\/reset-password\// })
    }
    const href = (await resetLink.first().getAttribute('href')) ?? ''
    expect(href).toMatch(new RegExp(`^${server.url}/reset-password/`))

    await page.goto(href)
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Set the new password' }).click()
    await page.getByRole('heading', { name: 'Your password was changed' }).waitFor()
    await page.getByRole('link', { name: 'Sign in' }).click()
    await page.getByLabel('Email').fill(DEMO.manager)
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.waitForURL(`${server.url}/signing`)
  })

  it('lets a member of two workspaces switch between them', async () => {
    const { rows } = await server.database.executeSql(
      "insert into workspaces (name) values ('Harbor Escrow') returning id",
    )
    await server.database.executeSql(
      "insert into memberships (user_id, workspace_id, role) select id, $1, 'manager' from users where email = $2",
      [(rows[0] as { id: string }).id, DEMO.admin],
    )
    const page = await signedInAs(DEMO.admin)
    await page.getByText('Administrator · Demo Closings').waitFor()
    await page.getByLabel('Workspace').selectOption({ label: 'Harbor Escrow (Manager)' })
    await page.getByText('Manager · Harbor Escrow').waitFor()
    expect(await page.getByRole('link', { name: 'Members' }).count()).toBe(0)
    const selected = () =>
      page
        .getByLabel('Workspace')
        .evaluate((select: HTMLSelectElement) => select.selectedOptions[0]?.textContent)
    expect(await selected()).toBe('Harbor Escrow (Manager)')

    // The shell's loader asks for the workspace list without waiting for the session: hold the
    // session's answer until the list has been requested (or 10 s have passed, for a waterfall).
    let listRequested = () => {}
    const listSeen = new Promise<void>((resolve) => {
      listRequested = resolve
    })
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/session/workspaces') listRequested()
    })
    let listBeforeSession = false
    await page.route(
      (url) => url.pathname === '/api/session',
      async (route) => {
        listBeforeSession = await Promise.race([
          listSeen.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
        ])
        await route.continue()
      },
    )
    await page.goto(`${server.url}/signing`)
    await page.getByText('Manager · Harbor Escrow').waitFor()
    expect(await selected()).toBe('Harbor Escrow (Manager)')
    expect(listBeforeSession).toBe(true)
    await page.unroute((url) => url.pathname === '/api/session')

    // A list that cannot be read is the route's error, as for any loader.
    await page.route(
      (url) => url.pathname === '/api/session/workspaces',
      (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'Workspaces are unavailable.' } }),
        }),
    )
    await page.goto(`${server.url}/signing`)
    await page.getByRole('heading', { name: 'We could not load this page' }).waitFor()
    await page.getByText('Workspaces are unavailable.').waitFor()
  })
})
