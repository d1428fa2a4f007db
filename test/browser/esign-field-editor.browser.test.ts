// The manager's field editor in Chromium: a PDF's pages rendered by pdf.js (its worker allowed by the
// page policy), fields drawn, moved, resized and deleted with the mouse, added and edited from the
// keyboard in the field table, and saved as fractions of the page whatever the zoom.
import forge from 'node-forge'
import { PDFDocument, StandardFonts } from 'pdf-lib'
import type { Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signInThroughForm } from '../helpers/browser.ts'
import { type EmulatorBrowserStack, startEmulatorBrowserStack } from '../helpers/browser-stack.ts'
import { DEMO } from '../helpers/build-app.ts'

const SIGNERS = [
  { legal_name: 'Alberta Charleson', email: 'alberta.fields@example.test', bank_required: false },
  { legal_name: 'Zoe Charleson', email: 'zoe.fields@example.test', bank_required: false },
]

/** A two-page US Letter PDF, each page saying which it is. */
async function twoPagePdf(): Promise<Buffer> {
  const document = await PDFDocument.create()
  const font = await document.embedFont(StandardFonts.Helvetica)
  for (const index of [1, 2]) {
    document.addPage([612, 792]).drawText(`Deed of trust for 9 Oak Lane, page ${index}`, {
      x: 72,
      y: 700,
      size: 20,
      font,
    })
  }
  return Buffer.from(await document.save())
}

/** A PKCS#12 (password "p12-secret") with a self-signed RSA certificate valid for a year. */
function makeP12(commonName: string): Buffer {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 })
  const certificate = forge.pki.createCertificate()
  certificate.publicKey = keys.publicKey
  certificate.serialNumber = '0b2c3d4e'
  certificate.validity.notBefore = new Date(Date.now() - 86_400_000)
  certificate.validity.notAfter = new Date(Date.now() + 365 * 86_400_000)
  const name = [{ name: 'commonName', value: commonName }]
  certificate.setSubject(name)
  certificate.setIssuer(name)
  certificate.sign(keys.privateKey, forge.md.sha256.create())
  const p12 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [certificate], 'p12-secret', { algorithm: '3des' })
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary')
}

type Field = {
  id: string
  type: string
  signer_id: string
  page: number
  x: number
  y: number
  width: number
  height: number
  required: boolean
  label: string | null
}
type PackageView = {
  id: string
  documents: Array<{ id: string; kind: string; page_count?: number | null; fields?: Field[] }>
  signers: Array<{ id: string; legal_name: string }>
}

// Every page carries the Plaid Link script: the emulator on its own origin serves it, as in the demo.
let stack: EmulatorBrowserStack
const api: EmulatorBrowserStack['managerApi'] = (method, url, payload) =>
  stack.managerApi(method, url, payload)

beforeAll(async () => {
  stack = await startEmulatorBrowserStack()
})

afterAll(async () => {
  await stack?.close()
})

/** A draft with two signers (through the API); the PDF is uploaded from the page. */
async function draftWithSigners(): Promise<{ id: string; signerIds: string[] }> {
  const { id } = await api<{ id: string }>('POST', '/api/signings', { title: 'Closing at 9 Oak Lane' })
  const signerIds: string[] = []
  for (const signer of SIGNERS) {
    const next = await api<PackageView>('POST', `/api/signings/${id}/signers`, signer)
    signerIds.push(next.signers.at(-1)?.id as string)
  }
  return { id, signerIds }
}

async function signedInManager(email: string = DEMO.manager): Promise<Page> {
  const { page } = await stack.newPage()
  // Tall enough for a whole page: the mouse only reaches what is on screen.
  await page.setViewportSize({ width: 1280, height: 1700 })
  await signInThroughForm(page, stack.server.url, email)
  await page.waitForURL(/\/signing/)
  return page
}

/** A page's field layer and its box on screen, once pdf.js has drawn that page. */
async function renderedPage(
  page: Page,
  pageNumber = 1,
): Promise<{ layer: Locator; box: { x: number; y: number; width: number; height: number } }> {
  const figure = page.getByRole('figure', { name: `Deed of trust, page ${pageNumber} of 2` })
  await figure.waitFor()
  // Pages are drawn when they come near the screen.
  await figure.evaluate((element) => element.scrollIntoView({ block: 'start' }))
  // pdf.js drew something: the canvas has dark pixels.
  await figure.locator('canvas').evaluate(
    (canvas: HTMLCanvasElement) =>
      new Promise<void>((resolve) => {
        const check = () => {
          const data =
            canvas.width > 0
              ? canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data
              : null
          if (data) {
            for (let index = 0; index < data.length; index += 4) {
              if ((data[index] as number) < 128 && (data[index + 3] as number) > 0) return resolve()
            }
          }
          setTimeout(check, 100)
        }
        check()
      }),
  )
  const layer = figure.locator('.field-layer')
  const box = await layer.boundingBox()
  if (!box) throw new Error('no field layer')
  return { layer, box }
}

const near = (value: number, expected: number, tolerance = 0.01) =>
  expect(Math.abs(value - expected)).toBeLessThanOrEqual(tolerance)

describe('field editor (managers)', () => {
  it('places, moves, resizes and deletes fields with the mouse, edits them from the keyboard, and saves fractions', async () => {
    const { id, signerIds } = await draftWithSigners()
    const page = await signedInManager()
    await page.goto(`${stack.server.url}/signing/manager/signings/${id}`)
    // The upload goes as multipart/form-data.
    const upload = page.waitForRequest((request) => request.url().endsWith(`/api/signings/${id}/documents`))
    await page.getByLabel('Document title').fill('Deed of trust')
    await page.getByLabel('…or upload a PDF').setInputFiles({
      name: 'deed.pdf',
      mimeType: 'application/pdf',
      buffer: await twoPagePdf(),
    })
    await page.getByRole('button', { name: 'Add document' }).click()
    expect((await upload).headers()['content-type']).toMatch(/^multipart\/form-data; boundary=/)
    await page.getByText('Deed of trust (PDF)').waitFor()
    const uploaded = await api<PackageView>('GET', `/api/signings/${id}`)
    expect(uploaded.documents[0]).toMatchObject({ kind: 'pdf', page_count: 2 })
    const pdfId = uploaded.documents[0]?.id as string
    await page.getByText('Place fields: Deed of trust').click()
    const { box } = await renderedPage(page)
    const at = (fx: number, fy: number) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height })

    // Draw a signature box for Alberta by dragging from (10%, 60%) to (40%, 66%).
    await page.getByLabel('Field type').selectOption('signature')
    await page.getByLabel('For signer').selectOption({ label: 'Alberta Charleson' })
    const from = at(0.1, 0.6)
    const to = at(0.4, 0.66)
    await page.mouse.move(from.x, from.y)
    await page.mouse.down()
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 })
    await page.mouse.move(to.x, to.y, { steps: 4 })
    await page.mouse.up()
    const signatureBox = page.getByRole('button', { name: 'Signature for Alberta Charleson, page 1' })
    await signatureBox.waitFor()
    // Unsaved fields hold back activation.
    await page.getByText('Save the fields of Deed of trust before activating the package.').waitFor()
    expect(await page.getByRole('button', { name: 'Activate and invite signers' }).isDisabled()).toBe(true)
    near(Number(await page.getByLabel('Field 1 left (%)').inputValue()) / 100, 0.1)
    near(Number(await page.getByLabel('Field 1 top (%)').inputValue()) / 100, 0.6)
    near(Number(await page.getByLabel('Field 1 width (%)').inputValue()) / 100, 0.3)
    near(Number(await page.getByLabel('Field 1 height (%)').inputValue()) / 100, 0.06)

    // Move it right by 20% of the page, then widen it by its corner handle by 10%.
    const start = at(0.2, 0.63)
    await page.mouse.move(start.x, start.y)
    await page.mouse.down()
    await page.mouse.move(start.x + 0.2 * box.width, start.y, { steps: 5 })
    await page.mouse.up()
    near(Number(await page.getByLabel('Field 1 left (%)').inputValue()) / 100, 0.3)
    near(Number(await page.getByLabel('Field 1 top (%)').inputValue()) / 100, 0.6)
    const handle = await signatureBox.locator('.field-box__handle').boundingBox()
    if (!handle) throw new Error('no resize handle')
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2)
    await page.mouse.down()
    await page.mouse.move(handle.x + handle.width / 2 + 0.1 * box.width, handle.y + handle.height / 2, {
      steps: 5,
    })
    await page.mouse.up()
    near(Number(await page.getByLabel('Field 1 width (%)').inputValue()) / 100, 0.4)
    near(Number(await page.getByLabel('Field 1 left (%)').inputValue()) / 100, 0.3)

    // A click places a default-sized box there: initials for Zoe; then a stray one is deleted.
    await page.getByLabel('Field type').selectOption('initials')
    await page.getByLabel('For signer').selectOption({ label: 'Zoe Charleson' })
    const click = at(0.7, 0.8)
    await page.mouse.click(click.x, click.y)
    await page.getByRole('button', { name: 'Initials for Zoe Charleson, page 1' }).waitFor()
    await page.getByLabel('Field type').selectOption('checkbox')
    const stray = at(0.05, 0.05)
    await page.mouse.click(stray.x, stray.y)
    const strayBox = page.getByRole('button', { name: 'Checkbox for Zoe Charleson, page 1' })
    await strayBox.waitFor()
    await strayBox.focus()
    await page.keyboard.press('Delete')
    await strayBox.waitFor({ state: 'detached' })
    // …or with the mouse: select a box, then "Delete selected field".
    await page.mouse.click(stray.x, stray.y)
    await strayBox.waitFor()
    await page.getByRole('button', { name: 'Delete selected field' }).click()
    await strayBox.waitFor({ state: 'detached' })
    expect(await page.locator('.field-layer .field-box').count()).toBe(2)

    // Keyboard only: Tab to "Add field", Enter, then type the numbers and choose type and signer.
    const add = page.getByRole('button', { name: 'Add field' })
    await add.focus()
    await page.keyboard.press('Enter')
    await page.getByLabel('Field 3 type').focus()
    await page.getByLabel('Field 3 type').selectOption('text')
    await page.getByLabel('Field 3 signer').selectOption({ label: 'Alberta Charleson' })
    for (const [label, value] of [
      ['Field 3 page', '2'],
      ['Field 3 left (%)', '12.5'],
      ['Field 3 top (%)', '20'],
      ['Field 3 width (%)', '35'],
      ['Field 3 height (%)', '4'],
      ['Field 3 label', 'Parcel number'],
    ] as const) {
      const input = page.getByLabel(label)
      await input.focus()
      await page.keyboard.press('ControlOrMeta+A')
      await page.keyboard.type(value)
    }
    await page.getByLabel('Field 3 required').focus()
    await page.keyboard.press('Space')
    // The box follows the numbers, on page 2.
    const textBox = page.getByRole('button', { name: 'Text for Alberta Charleson (Parcel number), page 2' })
    await textBox.waitFor()
    const second = await renderedPage(page, 2)
    const drawn = await textBox.boundingBox()
    near(((drawn?.x ?? 0) - second.box.x) / second.box.width, 0.125, 0.005)
    near(((drawn?.y ?? 0) - second.box.y) / second.box.height, 0.2, 0.005)
    near((drawn?.width ?? 0) / second.box.width, 0.35, 0.005)

    // A page beyond the document, or a box beyond the page, cannot be saved.
    await page.getByLabel('Field 3 page').fill('3')
    await page.getByText('Field 3: the document has 2 page(s).').waitFor()
    expect(await page.getByRole('button', { name: 'Save fields' }).isDisabled()).toBe(true)
    await page.getByLabel('Field 3 page').fill('2')

    await page.getByLabel('Field 3 left (%)').fill('80')
    await page.getByText('Field 3: the box goes beyond the page.').waitFor()
    expect(await page.getByRole('button', { name: 'Save fields' }).isDisabled()).toBe(true)
    await page.getByLabel('Field 3 left (%)').fill('12.5')

    await page.getByRole('button', { name: 'Save fields' }).focus()
    await page.keyboard.press('Enter')
    await page.getByText('Fields saved').waitFor()
    expect(await page.getByRole('button', { name: 'Activate and invite signers' }).isEnabled()).toBe(true)

    const saved = await api<PackageView>('GET', `/api/signings/${id}`)
    const fields = saved.documents.find((document) => document.id === pdfId)?.fields ?? []
    expect(fields).toHaveLength(3)
    const byType = Object.fromEntries(fields.map((field) => [field.type, field]))
    expect(byType.signature).toMatchObject({ signer_id: signerIds[0], page: 1, required: true })
    near(byType.signature?.x as number, 0.3)
    near(byType.signature?.y as number, 0.6)
    near(byType.signature?.width as number, 0.4)
    expect(byType.initials).toMatchObject({ signer_id: signerIds[1], page: 1 })
    near(byType.initials?.x as number, 0.7)
    near(byType.initials?.y as number, 0.8)
    expect(byType.text).toMatchObject({
      signer_id: signerIds[0],
      page: 2,
      x: 0.125,
      y: 0.2,
      width: 0.35,
      height: 0.04,
      label: 'Parcel number',
      // Added while the tool was on Checkbox (optional by default); Space ticked "required".
      required: true,
    })

    // Zoom-independent: at another width the saved boxes sit at the same fractions of the page.
    await page.setViewportSize({ width: 800, height: 1700 })
    await page.reload()
    await page.getByText('Place fields: Deed of trust').click()
    const narrow = await renderedPage(page, 2)
    const again = await page
      .getByRole('button', { name: 'Text for Alberta Charleson (Parcel number), page 2' })
      .boundingBox()
    near(((again?.x ?? 0) - narrow.box.x) / narrow.box.width, 0.125, 0.005)
    near(((again?.y ?? 0) - narrow.box.y) / narrow.box.height, 0.2, 0.005)
    expect(stack.problems()).toEqual([])
  })

  it('shows admins the sealing certificate on the settings page', async () => {
    const adminCookie = await stack.server.signIn(DEMO.admin)
    const response = await stack.server.app.inject({
      method: 'GET',
      url: '/api/admin/seal-certificate',
      headers: { cookie: adminCookie },
    })
    expect(response.statusCode).toBe(200)
    const certificate = response.json() as { subject: string; sha256_fingerprint: string }
    const page = await signedInManager(DEMO.admin)
    await page.goto(`${stack.server.url}/admin/settings`)
    const panel = page.getByRole('region', { name: 'Sealing certificate' })
    await panel.getByText(certificate.sha256_fingerprint).waitFor()
    await panel.getByText(certificate.subject).first().waitFor()
    await panel.locator('.badge', { hasText: 'Valid' }).waitFor()
    await panel.getByText('Self-signed, generated for this workspace (demo)').waitFor()

    // An admin's own PKCS#12: a wrong password is refused with the server's message, the right one
    // replaces the demo certificate, and removing it brings a demo certificate back.
    const form = panel.getByRole('form', { name: 'Upload a sealing certificate' })
    const p12 = {
      name: 'seal.p12',
      mimeType: 'application/x-pkcs12',
      buffer: makeP12('Oak Lane Title Co Seal'),
    }
    await form.getByLabel(/PKCS#12 file/).setInputFiles(p12)
    await form.getByLabel('File password').fill('wrong')
    await form.getByRole('button', { name: 'Upload certificate' }).click()
    await form.getByText(/could not be opened/).waitFor()
    await form.getByLabel(/PKCS#12 file/).setInputFiles(p12)
    await form.getByLabel('File password').fill('p12-secret')
    await form.getByRole('button', { name: 'Upload certificate' }).click()
    await form.getByText('Certificate uploaded: new packages are sealed with it.').waitFor()
    await panel.getByText('CN=Oak Lane Title Co Seal').first().waitFor()
    await panel.getByText('Uploaded PKCS#12 (stored encrypted)').waitFor()
    await form.getByRole('button', { name: 'Remove uploaded certificate' }).click()
    await panel.getByText('Self-signed, generated for this workspace (demo)').waitFor()
    expect(stack.problems()).toEqual([])
  })
})
