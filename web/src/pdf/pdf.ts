import { GlobalWorkerOptions, getDocument, type PDFDocumentProxy } from 'pdfjs-dist'
// The worker is a module file Vite emits under /assets/: the page policy's `worker-src 'self'`
// allows it (a CSP nonce cannot cover a Worker).
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url'

GlobalWorkerOptions.workerSrc = workerUrl

export type { PDFDocumentProxy }

/** Opens the PDF at `url` (same origin, with the session cookie). */
export function openPdf(url: string): { promise: Promise<PDFDocumentProxy>; destroy(): void } {
  const task = getDocument({
    url,
    withCredentials: true,
    // No external resources: fonts the PDF does not embed fall back to system fonts.
    useSystemFonts: true,
    enableXfa: false,
  })
  return { promise: task.promise, destroy: () => void task.destroy() }
}
