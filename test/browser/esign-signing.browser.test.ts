// Signing with fields in Chromium: one signer on a phone-sized touch screen draws a signature with a
// finger, types initials, fills a text field and a checkbox in place, guided by "Next field"; another
// on a desktop adopts a typed signature in the handwriting font. The package completes, is sealed,
// and both signers and the manager download the sealed PDF, which poppler's pdfsig verifies and the
// public /verify page accepts (and refuses after a one-byte change).
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signInThroughForm } from '../helpers/browser.ts'
import { type EmulatorBrowserStack, startEmulatorBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'
import { makePdf } from '../helpers/pdf.ts'

const run = promisify(execFile)
const ALBERTA = { legal_name: 'Alberta Charleson', email: 'alberta.sign@example.test', bank_required: false }
const ZOE = { legal_name: 'Zoe Charleson', email: 'zoe.sign@example.test', bank_required: false }

let stack: EmulatorBrowserStack
let workDir: string
const api: EmulatorBrowserStack['managerApi'] = (method, url, payload) =>
  stack.managerApi(method, url, payload)

beforeAll(async () => {
  stack = await startEmulatorBrowserStack()
  workDir = await mkdtemp(path.join(tmpdir(), 'safeclose-esign-'))
})

afterAll(async () => {
  await stack?.close()
  if (workDir) await rm(workDir, { recursive: true, force: true })
})

type View = { documents: Array<{ id: string; kind: string }>; signers: Array<{ id: string; email: string }> }

/** An active package: one PDF with fields for both signers (placed through the API). */
async function activePackage(): Promise<{ id: string; links: Record<string, string> }> {
  const { id } = await api<{ id: string }>('POST', '/api/signings', { title: 'Closing at 3 Birch Road' })
  await api('POST', `/api/signings/${id}/documents`, {
    title: 'Deed of trust',
    kind: 'pdf',
    pdf_base64: makePdf('Deed of trust for 3 Birch Road').toString('base64'),
  })
  await api('POST', `/api/signings/${id}/signers`, ALBERTA)
  const view = await api<View>('POST', `/api/signings/${id}/signers`, ZOE)
  const pdfId = view.documents[0]?.id as string
  const signerId = (email: string) => view.signers.find((signer) => signer.email === email)?.id as string
  const alberta = signerId(ALBERTA.email)
  const zoe = signerId(ZOE.email)
  await api('PUT', `/api/signings/${id}/documents/${pdfId}/fields`, {
    fields: [
      {
        type: 'signature',
        signer_id: alberta,
        page: 1,
        x: 0.1,
        y: 0.7,
        width: 0.35,
        height: 0.07,
        required: true,
      },
      {
        type: 'initials',
        signer_id: alberta,
        page: 1,
        x: 0.8,
        y: 0.9,
        width: 0.1,
        height: 0.05,
        required: true,
      },
      {
        type: 'text',
        signer_id: alberta,
        page: 1,
        x: 0.1,
        y: 0.3,
        width: 0.4,
        height: 0.04,
        required: true,
        label: 'Parcel number',
      },
      {
        type: 'checkbox',
        signer_id: alberta,
        page: 1,
        x: 0.1,
        y: 0.4,
        width: 0.04,
        height: 0.03,
        required: true,
        label: 'I received the keys',
      },
      {
        type: 'name',
        signer_id: alberta,
        page: 1,
        x: 0.1,
        y: 0.78,
        width: 0.35,
        height: 0.03,
        required: true,
      },
      {
        type: 'signature',
        signer_id: zoe,
        page: 1,
        x: 0.55,
        y: 0.7,
        width: 0.35,
        height: 0.07,
        required: true,
      },
      {
        type: 'date_signed',
        signer_id: zoe,
        page: 1,
        x: 0.55,
        y: 0.78,
        width: 0.2,
        height: 0.03,
        required: true,
      },
    ],
  })
  const { invitations } = await api<{ invitations: Array<{ signer_id: string; url: string }> }>(
    'POST',
    `/api/signings/${id}/activate`,
  )
  const links = Object.fromEntries(
    invitations.map((invitation) => [invitation.signer_id === alberta ? 'alberta' : 'zoe', invitation.url]),
  )
  return { id, links }
}

/** A browser profile: a phone (touch, 390 × 844) or a desktop; *.plaid.com refused, errors collected. */
async function newPage(device: 'phone' | 'desktop'): Promise<{ page: Page; context: BrowserContext }> {
  return stack.newPage(
    device === 'phone'
      ? {
          viewport: { width: 390, height: 844 },
          hasTouch: true,
          isMobile: true,
          deviceScaleFactor: 2,
          acceptDownloads: true,
        }
      : { viewport: { width: 1280, height: 1000 }, acceptDownloads: true },
  )
}

async function openAndReview(page: Page, link: string) {
  await page.goto(link)
  await page.waitForURL(`${stack.server.url}/signing/sign`)
  await page.getByRole('button', { name: 'I have read all documents — continue' }).click()
  await page.getByRole('heading', { name: 'Sign', exact: true }).waitFor()
  // pdf.js drew the page under the fields.
  await page.getByRole('figure', { name: 'Deed of trust, page 1 of 1' }).waitFor()
}

async function nextFieldFocuses(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Next field' }).click()
  await page.waitForFunction(() => document.activeElement?.id)
  return page.evaluate(() => document.activeElement?.id ?? '')
}

/** Downloads the sealed PDF through the page's "Download signed PDF" link. */
async function downloadSealed(page: Page, name: string): Promise<Buffer> {
  const link = page.getByRole('link', { name: 'Download signed PDF' })
  await link.waitFor({ timeout: 60_000 })
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()])
  const file = path.join(workDir, name)
  await download.saveAs(file)
  return readFile(file)
}

describe('signing with fields', () => {
  it('a phone signer draws, a desktop signer types, and everyone downloads the sealed PDF', async () => {
    const { id, links } = await activePackage()

    // Alberta, on a phone: finger-drawn signature, typed initials, text and checkbox on the page.
    const alberta = await newPage('phone')
    const phone = alberta.page
    await openAndReview(phone, links.alberta as string)
    await phone.getByLabel('Type your full legal name').fill(ALBERTA.legal_name)
    await phone.getByText('0 of 4 required fields filled').waitFor()

    // The guide goes in reading order: the text field, the checkbox, the signature, the initials.
    const textId = await nextFieldFocuses(phone)
    expect(textId).toMatch(/^field-/)
    expect(
      await phone.getByLabel('Parcel number').evaluate((element) => element === document.activeElement),
    ).toBe(true)
    await phone.keyboard.type('APN 0042-17')
    // A character the PDF's standard font cannot print is named before signing.
    await phone.keyboard.type(' →')
    await phone.getByText(/no glyph for some characters in “Parcel number”/).waitFor()
    await phone.keyboard.press('Backspace')
    await phone.keyboard.press('Backspace')
    await phone.getByText(/no glyph for some characters/).waitFor({ state: 'detached' })
    await nextFieldFocuses(phone)
    expect(
      await phone.getByLabel('I received the keys').evaluate((element) => element === document.activeElement),
    ).toBe(true)
    await phone.keyboard.press('Space')
    expect(await nextFieldFocuses(phone)).toBe('adopt-signature')
    await phone.getByLabel('Draw signature').check()
    const canvas = phone.getByRole('img', { name: 'Draw your signature here' })
    await canvas.scrollIntoViewIfNeeded()
    const pad = await canvas.boundingBox()
    if (!pad) throw new Error('no signature pad')
    // Touch-sized: the whole width of the phone's column and tall enough for a finger.
    expect(pad.width).toBeGreaterThanOrEqual(0.75 * 390)
    expect(pad.height).toBeGreaterThanOrEqual(150)
    const cdp = await alberta.context.newCDPSession(phone)
    const stroke = Array.from({ length: 24 }, (_, index) => ({
      x: pad.x + 30 + index * 10,
      y: pad.y + pad.height / 2 + Math.sin(index / 2) * 40,
    }))
    await cdp.send('Input.dispatchTouchEvent', {
      type: 'touchStart',
      touchPoints: [stroke[0] as { x: number; y: number }],
    })
    for (const point of stroke.slice(1)) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [point] })
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] })
    await phone.getByRole('button', { name: 'Adopt signature' }).click()
    // The page shows the drawn image in the signature field, as it will be stamped.
    const drawn = phone.locator('.signer-field[data-type="signature"] img.mark--drawn')
    await drawn.waitFor()
    expect(await drawn.getAttribute('src')).toMatch(/^data:image\/png;base64,/)

    expect(await nextFieldFocuses(phone)).toBe('adopt-initials')
    await phone.getByRole('button', { name: 'Adopt initials' }).click()
    await phone.locator('.signer-field[data-type="initials"] .mark--typed', { hasText: 'AC' }).waitFor()

    await phone.getByText('All required fields are filled.').waitFor()
    // The name field shows the legal name the server stamps.
    await phone.locator('.signer-field[data-type="name"]', { hasText: ALBERTA.legal_name }).waitFor()

    const signRequest = phone.waitForRequest(
      (request) => request.url().endsWith('/api/signer/signing/sign') && request.method() === 'POST',
    )
    await phone.getByLabel(/my adopted signature and typed name are my electronic signature/).check()
    await phone.getByRole('button', { name: 'Sign documents' }).click()
    const body = (await signRequest).postDataJSON()
    expect(body).toMatchObject({
      typed_name: ALBERTA.legal_name,
      consent: true,
      signature: { kind: 'drawn' },
      initials: { kind: 'typed' },
    })
    const png = Buffer.from(body.signature.png_base64, 'base64')
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG')
    expect(Object.values(body.values)).toEqual(expect.arrayContaining(['APN 0042-17', true]))
    await phone.getByRole('heading', { name: 'You have signed' }).waitFor()
    await phone.getByText('The signed PDF will be ready here once every signer has signed.').waitFor()

    // Zoe, on a desktop: a typed signature in the handwriting font, the date filled by Safeclose.
    const zoe = await newPage('desktop')
    const desk = zoe.page
    await openAndReview(desk, links.zoe as string)
    await desk.getByLabel('Type your full legal name').fill(ZOE.legal_name)
    await desk.getByLabel('Type signature').check()
    const preview = desk.getByRole('img', { name: `Typed signature preview: ${ZOE.legal_name}` })
    await preview.waitFor()
    expect(await preview.evaluate((element) => getComputedStyle(element).fontFamily)).toContain(
      'Dancing Script',
    )
    await desk.getByRole('button', { name: 'Adopt signature' }).click()
    const stamped = desk.locator('.signer-field[data-type="signature"] .mark--typed', {
      hasText: ZOE.legal_name,
    })
    await stamped.waitFor()
    // The web font (bundled from @fontsource, served from our origin) is loaded, not a fallback.
    expect(
      await desk.evaluate(async () => {
        await document.fonts.ready
        return [...document.fonts].some(
          (face) => face.family.includes('Dancing Script') && face.status === 'loaded',
        )
      }),
    ).toBe(true)
    await desk
      .locator('.signer-field[data-type="date_signed"]', { hasText: new Date().toISOString().slice(0, 10) })
      .waitFor()
    await desk.getByText('All required fields are filled.').waitFor()
    await desk.getByLabel(/my adopted signature and typed name are my electronic signature/).check()
    await desk.getByRole('button', { name: 'Sign documents' }).click()
    await desk.getByRole('heading', { name: 'You have signed' }).waitFor()

    // The last signature completes the package; sealing runs as a job, the page waits for it.
    const zoeCopy = await downloadSealed(desk, 'zoe.pdf')
    expect(zoeCopy.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    // Alberta's page was waiting: it follows the package to its seal by itself.
    const albertaCopy = await downloadSealed(phone, 'alberta.pdf')
    expect(albertaCopy.equals(zoeCopy)).toBe(true)

    // The manager: the sealed PDF, the certificate, and the seal's SHA-256 on the package page.
    const manager = await newPage('desktop')
    await signInThroughForm(manager.page, stack.server.url, DEMO.manager)
    await manager.page.waitForURL(/\/signing/)
    await manager.page.goto(`${stack.server.url}/signing/manager/signings/${id}`)
    const managerCopy = await downloadSealed(manager.page, 'manager.pdf')
    expect(managerCopy.equals(zoeCopy)).toBe(true)
    const sha256 = createHash('sha256').update(managerCopy).digest('hex')
    await manager.page.getByTestId('seal-sha256').filter({ hasText: sha256 }).waitFor()
    const certificate = manager.page.getByRole('link', { name: 'Certificate of completion (PDF)' })
    expect(await certificate.getAttribute('href')).toBe(`/api/signings/${id}/certificate.pdf`)

    // An independent verifier: poppler's pdfsig.
    const sealedFile = path.join(workDir, 'manager.pdf')
    const { stdout } = await run('pdfsig', [sealedFile])
    expect(stdout).toContain('Signature is Valid')
    expect(stdout).toContain('Total document signed')

    // The public verification page: the file as downloaded is valid, one changed byte is not.
    const visitor = await newPage('desktop')
    await visitor.page.goto(`${stack.server.url}/verify`)
    await visitor.page.getByLabel('PDF to verify').setInputFiles(sealedFile)
    await visitor.page.getByText('Valid: sealed by Safeclose and unchanged').waitFor()
    await visitor.page.getByText(id).waitFor()
    await visitor.page.getByText(sha256).waitFor()
    const tampered = Buffer.from(managerCopy)
    const offset = tampered.indexOf('Deed of trust') > 0 ? tampered.indexOf('Deed of trust') : 200
    tampered[offset] = (tampered[offset] as number) ^ 0x01
    // Dropped on the page rather than chosen: the same check.
    const dropped = await visitor.page.evaluateHandle(
      (bytes) => {
        const transfer = new DataTransfer()
        transfer.items.add(new File([new Uint8Array(bytes)], 'tampered.pdf', { type: 'application/pdf' }))
        return transfer
      },
      [...tampered],
    )
    await visitor.page.locator('.drop-zone').dispatchEvent('drop', { dataTransfer: dropped })
    await visitor.page.getByText('Not valid').waitFor()
    await visitor.page.getByText(/^tampered\.pdf: /).waitFor()

    expect(stack.problems()).toEqual([])
  })
})
