import { execFileSync } from 'node:child_process'
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import forge from 'node-forge'
import { PDFDocument, StandardFonts } from 'pdf-lib'
import type { AuditTrail } from '../server/modules/signing/audit-trail.ts'
import type { DocumentContent, FieldRow, SignatureRow } from '../server/modules/signing/repository.ts'
import { buildSealPdf, signSealPdf } from '../server/modules/signing/seal-pdf.ts'
import { certificateLines } from '../server/modules/signing/sealing.ts'
import type { PackageView } from '../server/modules/signing/views.ts'
import { makeSignaturePng } from '../test/helpers/esign.ts'

/**
 * `npm run bench:sealing`: the time and peak memory of sealing a 20-page package with 3 signers and 9
 * fields (what the sealing job does between reading the rows and storing the result: flatten the
 * fields, render the certificate pages, save, sign with CMS/SHA-256), against loading and saving the
 * same 20-page PDF with pdf-lib alone, in the same run. Each side runs in its own child process, so
 * its peak RSS is its own. Markdown goes to stdout for the "## Sealing" section of docs/benchmarks.md.
 */

const ITERATIONS = Number(process.env.SEALING_BENCH_ITERATIONS ?? 15)
const WARMUP = 3
const PAGES = 20
const SIGNERS = ['Ada Lovelace', 'Charles Babbage', 'Mary Somerville']

type ChildResult = {
  mode: string
  msPerRun: number[]
  baselineRssMb: number
  peakRssMb: number
  outputBytes: number
  pages: number
}

/** A text-heavy 20-page contract (pdf-lib, Helvetica), the shape of a real closing document. */
async function contractPdf(): Promise<Uint8Array> {
  const document = await PDFDocument.create()
  const font = await document.embedFont(StandardFonts.Helvetica)
  const sentence = 'The Borrower shall pay the Lender the principal sum with interest as set out herein. '
  for (let index = 1; index <= PAGES; index += 1) {
    const page = document.addPage([612, 792])
    page.drawText(`Deed of trust, page ${index} of ${PAGES}`, { x: 72, y: 740, size: 14, font })
    for (let line = 0; line < 48; line += 1) {
      page.drawText(sentence.slice(0, 84), { x: 72, y: 710 - line * 13, size: 9, font })
    }
  }
  return document.save()
}

async function fixture() {
  const pdf = await contractPdf()
  const documentId = 'doc-1'
  const signerIds = SIGNERS.map((_, index) => `signer-${index + 1}`)
  const fields: FieldRow[] = signerIds.flatMap((signerId, index) => [
    field(`f-${index}-sig`, signerId, 'signature', PAGES, 0.1 + index * 0.3, 0.7, null),
    field(`f-${index}-date`, signerId, 'date_signed', PAGES, 0.1 + index * 0.3, 0.78, '2026-12-06'),
    field(`f-${index}-text`, signerId, 'text', 1 + index, 0.1, 0.2, `Initialled by ${SIGNERS[index]}`),
  ])
  const png = await makeSignaturePng()
  const signatures: SignatureRow[] = [
    { signerId: 'signer-1', kind: 'signature', method: 'drawn', png, typedText: null, sha256: sha(png) },
    {
      signerId: 'signer-2',
      kind: 'signature',
      method: 'typed',
      png: null,
      typedText: SIGNERS[1] as string,
      sha256: sha('x'),
    },
    {
      signerId: 'signer-3',
      kind: 'signature',
      method: 'typed',
      png: null,
      typedText: SIGNERS[2] as string,
      sha256: sha('y'),
    },
  ]
  const documents: DocumentContent[] = [
    {
      id: documentId,
      position: 1,
      title: 'Deed of trust',
      kind: 'pdf',
      byteSize: pdf.length,
      sha256: sha(pdf),
      pageCount: PAGES,
      markdown: null,
      pdf,
    },
  ]
  const at = '2026-12-06T08:00:00.000Z'
  const signing = {
    id: '7d6f2c1e-0000-4000-8000-000000000001',
    title: 'Closing at 12 Elm St',
    status: 'complete',
    created_at: at,
    activated_at: at,
    completed_at: at,
    documents: [
      {
        id: documentId,
        position: 1,
        title: 'Deed of trust',
        kind: 'pdf',
        byte_size: pdf.length,
        sha256: sha(pdf),
        page_count: PAGES,
      },
    ],
    signers: SIGNERS.map((name, index) => ({
      id: signerIds[index],
      legal_name: name,
      email: `signer${index}@example.test`,
      status: 'signed',
      signed_at: at,
      bank_required: true,
      signature: {
        typed_name: name,
        ip_address: '203.0.113.7',
        user_agent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0',
      },
      bank: {
        item_id: `item-${index}`,
        item_status: 'good',
        institution_name: 'First Platypus Bank',
        account_name: 'Plaid Checking',
        account_mask: '0000',
        verdict: 'verified',
        name_score: 95,
        email_score: 100,
        verified_at: at,
        review: null,
      },
    })),
  } as unknown as PackageView
  const trail = {
    signing_id: signing.id,
    generated_at: at,
    verification: { is_valid: true, event_count: 24, first_broken_sequence: null, last_hash: sha('last') },
    events: Array.from({ length: 24 }, (_, index) => ({
      sequence: index + 1,
      action: index % 3 === 0 ? 'document.viewed' : 'signer.signed',
      occurred_at: at,
      actor: {
        type: 'signer',
        user_id: null,
        signer_id: 'signer-1',
        name: 'Ada Lovelace',
        email: 'ada@example.test',
      },
      subject_type: 'signer',
      subject_id: 'signer-1',
      details: { document_id: documentId, sha256: sha(`event-${index}`) },
      ip_address: '203.0.113.7',
      user_agent: 'Mozilla/5.0',
      hash: sha(`hash-${index}`),
    })),
  } as unknown as AuditTrail
  return {
    pdf,
    fields,
    signatures,
    documents,
    certificate: certificateLines(signing, trail, 'Demo Closings', signatures),
    signing,
  }
}

function field(
  id: string,
  signerId: string,
  type: FieldRow['type'],
  page: number,
  x: number,
  y: number,
  value: string | null,
): FieldRow {
  return {
    id,
    documentId: 'doc-1',
    signerId,
    position: 1,
    type,
    page,
    x,
    y,
    width: 0.25,
    height: 0.05,
    isRequired: true,
    label: null,
    value,
  }
}

function sha(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function sealKey() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const certificate = forge.pki.createCertificate()
  certificate.publicKey = forge.pki.publicKeyFromPem(
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  )
  certificate.serialNumber = '01'
  certificate.validity.notBefore = new Date()
  certificate.validity.notAfter = new Date(Date.now() + 86_400_000)
  certificate.setSubject([{ name: 'commonName', value: 'Bench seal' }])
  certificate.setIssuer([{ name: 'commonName', value: 'Bench seal' }])
  certificate.sign(
    forge.pki.privateKeyFromPem(
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ) as forge.pki.rsa.PrivateKey,
    forge.md.sha256.create(),
  )
  return { certificateDer: new X509Certificate(forge.pki.certificateToPem(certificate)).raw, privateKey }
}

async function child(mode: 'seal' | 'load-save'): Promise<ChildResult> {
  const data = await fixture()
  const key = sealKey()
  const run = async () => {
    if (mode === 'load-save') {
      const document = await PDFDocument.load(data.pdf)
      const bytes = await document.save()
      return { bytes: bytes.length, pages: document.getPageCount() }
    }
    const built = await buildSealPdf({
      packageId: data.signing.id,
      title: data.signing.title,
      documents: data.documents,
      fields: data.fields,
      signatures: data.signatures,
      certificate: data.certificate,
    })
    const sealed = await signSealPdf(built.document, key, {
      reason: 'Sealed',
      location: 'Safeclose',
      name: 'Safeclose',
      signingTime: new Date(),
    })
    sha(sealed)
    // SEALING_BENCH_SAVE=<file> keeps the last sealed PDF for a look (pdfsig, a viewer).
    if (process.env.SEALING_BENCH_SAVE) writeFileSync(process.env.SEALING_BENCH_SAVE, sealed)
    return { bytes: sealed.length, pages: built.pageCount }
  }
  for (let index = 0; index < WARMUP; index += 1) await run()
  globalThis.gc?.()
  const baselineRssMb = process.memoryUsage().rss / 1024 / 1024
  const msPerRun: number[] = []
  let last = { bytes: 0, pages: 0 }
  for (let index = 0; index < ITERATIONS; index += 1) {
    const started = performance.now()
    last = await run()
    msPerRun.push(performance.now() - started)
  }
  return {
    mode,
    msPerRun,
    baselineRssMb,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    outputBytes: last.bytes,
    pages: last.pages,
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

async function main() {
  const mode = process.argv[2]
  if (mode === 'seal' || mode === 'load-save') {
    process.stdout.write(JSON.stringify(await child(mode)))
    return
  }
  const self = fileURLToPath(import.meta.url)
  const results: ChildResult[] = []
  // Alternating order would be fairer on a busy machine; two processes one after another keep it simple.
  for (const side of ['load-save', 'seal'] as const) {
    results.push(
      JSON.parse(
        execFileSync(process.execPath, ['--expose-gc', self, side], { encoding: 'utf8', maxBuffer: 1 << 20 }),
      ),
    )
  }
  const [baseline, seal] = results as [ChildResult, ChildResult]
  const row = (label: string, result: ChildResult) =>
    `| ${label} | ${median(result.msPerRun).toFixed(1)} | ${percentile(result.msPerRun, 90).toFixed(1)} | ${result.baselineRssMb.toFixed(0)} | ${result.peakRssMb.toFixed(0)} | ${result.pages} | ${(result.outputBytes / 1024).toFixed(0)} KiB |`
  const lines = [
    '## Sealing',
    '',
    `Latest run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} · \`npm run bench:sealing\``,
    '',
    `Machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}; 1-minute load average ${os.loadavg()[0]?.toFixed(1)} at the end (other work shares this machine).`,
    '',
    `Method: a text-heavy ${PAGES}-page PDF (made with pdf-lib), ${SIGNERS.length} signers, 9 fields (per signer: a signature — one drawn PNG, two typed in Dancing Script —, a date and a text field), a certificate with 24 audit events. "Seal" is what the sealing job does between reading its rows and storing the result: copy the pages, flatten the fields, render the certificate pages, save, add the signature placeholder and sign (CMS, SHA-256, RSA 2048), hash. "Load + save" is \`PDFDocument.load\` and \`save\` of the same ${PAGES}-page PDF with pdf-lib alone. Each side runs in its own child process (${WARMUP} warm-up runs, then ${ITERATIONS} measured); peak RSS is the process's maximum resident set (\`process.resourceUsage().maxRSS\`), the baseline its RSS after warm-up and a GC.`,
    '',
    '| Run | median ms | p90 ms | baseline RSS MiB | peak RSS MiB | pages out | output |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('pdf-lib load + save', baseline),
    row('seal (build + sign)', seal),
    '',
    `- Time: sealing takes **${(median(seal.msPerRun) / median(baseline.msPerRun)).toFixed(1)}×** the median of loading and saving the same PDF.`,
    `- Peak memory: **${(seal.peakRssMb / baseline.peakRssMb).toFixed(2)}×** the load-and-save process (${seal.peakRssMb.toFixed(0)} vs ${baseline.peakRssMb.toFixed(0)} MiB RSS).`,
    '',
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

await main()
