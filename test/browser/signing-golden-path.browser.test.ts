// The signing golden path in Chromium: a manager sends a package to two signers, each opens their
// link, links a bank in the emulated Plaid Link, signs; the manager accepts the account whose holder's
// name only partly matched; the package completes with a verified trail.
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { linkFirstPlatypus } from '../../plaid-sandbox/test/browser-fixtures/link-panes.ts'
import { signInThroughForm } from '../helpers/browser.ts'
import { type EmulatorBrowserStack, startEmulatorBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'

// The emulator's identity data belongs to Alberta Bobbeth Charleson: one strong match, one partial,
// which the manager accepts with a note before Zoe signs.
const SIGNERS = [
  { name: 'Alberta Charleson', email: 'alberta@example.test', verdict: 'Owner verified', reviewNote: null },
  {
    name: 'Zoe Charleson',
    email: 'zoe@example.test',
    verdict: 'Needs review',
    reviewNote: 'Zoe is Alberta’s daughter; the joint account was confirmed by phone.',
  },
]

// The standalone emulator on its own origin: every page carries its Link script, as in the demo.
let stack: EmulatorBrowserStack

beforeAll(async () => {
  stack = await startEmulatorBrowserStack()
})

afterAll(async () => {
  await stack?.close()
})

/** Waits until keyboard focus is on an element whose text is `text` (a heading, usually). */
async function expectFocusOn(page: Page, text: string) {
  await page.waitForFunction((expected) => document.activeElement?.textContent?.trim() === expected, text)
}

/** A fresh browser profile (one per person), with every *.plaid.com request refused. */
async function newPage(): Promise<Page> {
  return (await stack.newPage()).page
}

describe('signing golden path', () => {
  it('runs a package with two signers end to end, with the bank step and a verified audit trail', async () => {
    const manager = await newPage()
    await signInThroughForm(manager, stack.server.url, DEMO.manager, { next: '/signing/manager/signings' })
    await manager.waitForURL(`${stack.server.url}/signing/manager/signings`)

    await manager.getByLabel('Title').fill('Closing at 12 Elm Street')
    await manager.getByRole('button', { name: 'Create draft' }).click()
    await manager.getByRole('heading', { name: 'Closing at 12 Elm Street' }).waitFor()
    const packageUrl = manager.url()

    // A file that is not a PDF: a sentence about the file, in view and focused, the input marked.
    await manager.getByLabel('Document title').fill('Scanned deed')
    await manager.getByLabel('…or upload a PDF (up to 25 MB)').setInputFiles({
      name: 'deed.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('this is a text file, not a PDF'),
    })
    await manager.getByRole('button', { name: 'Add document' }).click()
    await manager.getByRole('alert').getByText('That file is not a PDF').waitFor()
    await manager.waitForFunction(
      () =>
        document.activeElement?.closest('#page-error')?.textContent?.includes('That file is not a PDF') ??
        false,
    )
    expect(await manager.getByLabel('…or upload a PDF (up to 25 MB)').getAttribute('aria-invalid')).toBe(
      'true',
    )
    expect(await manager.getByText('body.', { exact: false }).count()).toBe(0)
    await manager.getByLabel('…or upload a PDF (up to 25 MB)').setInputFiles([])

    await manager.getByLabel('Document title').fill('Purchase agreement')
    await manager
      .getByLabel('Text (Markdown)')
      .fill('# Purchase agreement\n\nThe buyer pays the **price** at closing.')
    await manager.getByRole('button', { name: 'Add document' }).click()
    await manager.getByText('Purchase agreement (Markdown)').waitFor()

    for (const signer of SIGNERS) {
      await manager.getByLabel('Legal name').fill(signer.name)
      await manager.getByLabel('Signer email').fill(signer.email)
      await manager.getByRole('button', { name: 'Add signer' }).click()
      await manager.getByRole('listitem', { name: `Signer ${signer.name}` }).waitFor()
    }
    // A rejected signer keeps what the manager typed, so it can be corrected instead of retyped.
    const first = SIGNERS[0] as (typeof SIGNERS)[number]
    await manager.getByLabel('Legal name').fill('Someone Else')
    await manager.getByLabel('Signer email').fill(first.email)
    await manager.getByRole('button', { name: 'Add signer' }).click()
    await manager.getByText('already has a signer with that e-mail').waitFor()
    expect(await manager.getByLabel('Legal name').inputValue()).toBe('Someone Else')
    expect(await manager.getByLabel('Signer email').inputValue()).toBe(first.email)
    await manager.getByLabel('Legal name').fill('')
    await manager.getByLabel('Signer email').fill('')

    // A draft has no completion to certify.
    expect(await manager.getByRole('link', { name: 'Completion certificate' }).count()).toBe(0)
    await manager.getByRole('button', { name: 'Activate and invite signers' }).click()
    const links: string[] = []
    for (const signer of SIGNERS) {
      const field = manager.getByLabel(`Signing link for ${signer.email}`)
      await field.waitFor()
      links.push(await field.inputValue())
      await manager.getByRole('button', { name: `Copy the link for ${signer.email}` }).waitFor()
      // No SMTP in this test: nothing was sent, so the signer is not "Invited".
      await manager
        .getByRole('listitem', { name: `Signer ${signer.name}` })
        .getByText('Link ready — copy and send')
        .waitFor()
    }
    expect(links.every((link) => link.startsWith(`${stack.server.url}/signing/s/`))).toBe(true)
    // The links are at the top of the page; focus follows them there instead of falling to <body>.
    await expectFocusOn(manager, 'Signing links')
    expect(await manager.getByRole('link', { name: 'Completion certificate' }).count()).toBe(0)
    const trailAfterActivation = await manager.evaluate(async (url) => {
      const id = new URL(url).pathname.split('/').at(-1)
      return (await fetch(`/api/signings/${id}/audit`)).json()
    }, packageUrl)
    const issued = trailAfterActivation.events.map((event: { action: string }) => event.action)
    expect(issued.filter((action: string) => action === 'signer.link_issued')).toHaveLength(2)
    expect(issued).not.toContain('signer.invitation_sent')

    for (const [index, signer] of SIGNERS.entries()) {
      const page = await newPage()
      await page.goto(links[index] as string)
      await page.waitForURL(`${stack.server.url}/signing/sign`)
      // The document card's title; the Markdown body renders its own "# Purchase agreement" heading too.
      await page.locator('#document-title', { hasText: 'Purchase agreement' }).waitFor()
      await page.getByText('The buyer pays the').waitFor()
      // Loading the document does not count as reading it: a reload is still at the review step.
      await page.reload()
      await page.locator('#document-title', { hasText: 'Purchase agreement' }).waitFor()
      await page.getByRole('button', { name: 'I have read all documents — continue' }).click()
      await expectFocusOn(page, 'Verify the bank account for your funds')

      await page.getByRole('button', { name: 'Connect your bank account' }).click()
      await linkFirstPlatypus(page.frameLocator('#plaid-link-iframe-1'))

      await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()
      await page.getByText(signer.verdict).waitFor()
      if (signer.reviewNote) {
        // A partial match is explained, with what happens next.
        await page.getByText('The name on this account did not clearly match yours').waitFor()
        await page.getByText('the sender reviews the account before any money is paid out').waitFor()
      }

      // The sign step names the documents it refers to, and each can be read again.
      const documents = page.getByRole('navigation', { name: 'Documents in this package' })
      await documents.getByRole('link', { name: 'Purchase agreement' }).click()
      await page.locator('#reread-title', { hasText: 'Purchase agreement' }).waitFor()
      await page.getByText('The buyer pays the').waitFor()
      await expectFocusOn(page, 'Purchase agreement')
      await page.getByRole('link', { name: 'Back to sign' }).click()
      await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()
      await expectFocusOn(page, 'Sign')
      // So can the step pills: the finished review step is a link back to the documents.
      await page
        .getByRole('list', { name: 'Progress' })
        .getByRole('link', { name: 'Review documents' })
        .click()
      await page.locator('#reread-title', { hasText: 'Purchase agreement' }).waitFor()
      await page.getByRole('link', { name: 'Back to sign' }).click()
      await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()

      if (signer.reviewNote) {
        // The manager sees the partial match on the package page and accepts the account with a note.
        await manager.getByRole('button', { name: 'Refresh' }).click()
        // Refresh re-reads the audit trail too: the signers' own bank events are in it now.
        await manager.getByRole('cell', { name: 'bank.ownership_checked' }).first().waitFor()
        const card = manager.getByRole('listitem', { name: `Signer ${signer.name}` })
        // Not "Bank verified": the verdict waits for the manager, who sees the name Plaid returned.
        await card.getByText('Bank: needs review').waitFor()
        expect(await card.getByText('Bank verified').count()).toBe(0)
        await card.getByText('Alberta', { exact: false }).first().waitFor()
        expect(await card.locator('.bank-evidence__holders').innerText()).toMatch(
          /Plaid names the account holder/,
        )
        const form = card.getByRole('form', { name: `Review the account of ${signer.name}` })
        await form.getByLabel('Review note').fill(signer.reviewNote)
        await form.getByRole('button', { name: 'Accept account' }).click()
        await card.getByText(`Accepted by Morgan Manager on`).waitFor()
        await card.getByText(signer.reviewNote).waitFor()
        expect(await form.count()).toBe(0)
      }

      await page.getByLabel('Type your full legal name').fill(signer.name)
      await page.getByLabel(/typing my name is my electronic signature/).check()
      await page.getByRole('button', { name: 'Sign documents' }).click()
      await page.getByRole('heading', { name: 'You have signed' }).waitFor()

      // Coming back resumes at the end, not at the start.
      await page.reload()
      await page.getByRole('heading', { name: 'You have signed' }).waitFor()
    }

    await manager.goto(packageUrl)
    await manager.getByText('Complete', { exact: true }).first().waitFor()
    for (const signer of SIGNERS) {
      const card = manager.getByRole('listitem', { name: `Signer ${signer.name}` })
      await card.locator('.badge', { hasText: 'Signed' }).waitFor()
      await card.getByText(signer.verdict).waitFor()
      await card.getByText('First Platypus Bank · Plaid Checking').waitFor()
      if (signer.reviewNote) await card.getByText(`Accepted by Morgan Manager on`).waitFor()
      // Once signed, there is nothing left to review.
      expect(await card.getByRole('form').count()).toBe(0)
    }
    await manager.getByText('Audit trail verified').waitFor()
    await manager.getByRole('cell', { name: 'signing.completed' }).waitFor()
    await manager.getByRole('link', { name: 'Completion certificate' }).waitFor()
    await manager.getByRole('cell', { name: 'bank.ownership_reviewed' }).waitFor()

    const trail = await manager.evaluate(async (url) => {
      const id = new URL(url).pathname.split('/').at(-1)
      return (await fetch(`/api/signings/${id}/audit`)).json()
    }, packageUrl)
    expect(trail.verification.is_valid).toBe(true)
    const reviews = trail.events.filter(
      (event: { action: string }) => event.action === 'bank.ownership_reviewed',
    )
    expect(reviews).toHaveLength(1)
    expect(reviews[0]).toMatchObject({
      actor: { email: DEMO.manager },
      details: { decision: 'accept', verdict: 'needs_review', note: SIGNERS[1]?.reviewNote },
    })
    // A cancelled package hides the links it issued: they no longer work.
    await manager.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Packages' }).click()
    await manager.getByLabel('Title').fill('Closing that falls through')
    await manager.getByRole('button', { name: 'Create draft' }).click()
    await manager.getByRole('heading', { name: 'Closing that falls through' }).waitFor()
    await manager.getByLabel('Document title').fill('Offer')
    await manager.getByLabel('Text (Markdown)').fill('The offer stands until Friday.')
    await manager.getByRole('button', { name: 'Add document' }).click()
    await manager.getByText('Offer (Markdown)').waitFor()
    await manager.getByLabel('Legal name').fill('Dana Dropped')
    await manager.getByLabel('Signer email').fill('dana@example.test')
    await manager.getByRole('button', { name: 'Add signer' }).click()
    await manager.getByRole('listitem', { name: 'Signer Dana Dropped' }).waitFor()
    await manager.getByRole('button', { name: 'Activate and invite signers' }).click()
    await manager.getByLabel('Signing link for dana@example.test').waitFor()
    await manager.getByLabel('Reason for cancelling').fill('The buyer withdrew')
    await manager.getByRole('button', { name: 'Cancel package' }).click()
    await manager.getByText('Cancelled: The buyer withdrew').waitFor()
    expect(await manager.getByLabel('Signing link for dana@example.test').count()).toBe(0)
    expect(await manager.getByRole('heading', { name: 'Signing links' }).count()).toBe(0)

    // A signing link cut short in an e-mail: a sentence, not the validator's text.
    const stranger = await newPage()
    await stranger.goto(`${stack.server.url}/signing/s/abc`)
    await stranger.getByRole('heading', { name: 'This link cannot be used' }).waitFor()
    await stranger.getByText('This link is incomplete.', { exact: false }).waitFor()
    expect(await stranger.getByText('must NOT have fewer', { exact: false }).count()).toBe(0)

    expect(stack.problems()).toEqual([])
  })
})
