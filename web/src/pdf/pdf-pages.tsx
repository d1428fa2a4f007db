import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react'
import { Spinner } from '../components/loading.tsx'
import { Notice } from '../components/notice.tsx'
import { openPdf, type PDFDocumentProxy } from './pdf.ts'

/** A rendered page's size on screen, and CSS pixels per PDF point (for sizes given in points). */
export type PageGeometry = { widthPx: number; heightPx: number; pxPerPt: number }

const PageGeometryContext = createContext<PageGeometry | null>(null)

/** The geometry of the page an overlay is drawn on (null until the page is measured). */
export function usePageGeometry(): PageGeometry | null {
  return useContext(PageGeometryContext)
}

type PdfState =
  | { phase: 'loading' }
  | { phase: 'ready'; pdf: PDFDocumentProxy }
  | { phase: 'failed'; message: string }

/** Loads the PDF at `url` with pdf.js; the document is destroyed when the URL changes or on unmount. */
export function usePdf(url: string | null): PdfState {
  const [state, setState] = useState<PdfState>({ phase: 'loading' })
  useEffect(() => {
    if (!url) return
    setState({ phase: 'loading' })
    const opened = openPdf(url)
    let isCurrent = true
    opened.promise.then(
      (pdf) => isCurrent && setState({ phase: 'ready', pdf }),
      (error: unknown) =>
        isCurrent &&
        setState({
          phase: 'failed',
          message: error instanceof Error ? error.message : 'The PDF could not be opened.',
        }),
    )
    return () => {
      isCurrent = false
      opened.destroy()
    }
  }, [url])
  return state
}

/**
 * Every page of the PDF at `url`, each a canvas as wide as the column with `overlay(page)` drawn
 * over it: an absolutely placed layer the size of the page, so boxes placed in percent of it match
 * the server's fractions at any zoom.
 */
export function PdfPages({
  url,
  title,
  overlay,
}: {
  url: string
  title: string
  overlay?(pageNumber: number): ReactNode
}) {
  const state = usePdf(url)
  if (state.phase === 'loading') return <Spinner label={`Loading ${title}…`} />
  if (state.phase === 'failed') {
    return (
      <Notice tone="error" title={`Could not show ${title}`}>
        <p>{state.message}</p>
      </Notice>
    )
  }
  const pageNumbers = Array.from({ length: state.pdf.numPages }, (_, index) => index + 1)
  return (
    <div className="pdf-pages">
      {pageNumbers.map((pageNumber) => (
        <PdfPage
          key={pageNumber}
          pdf={state.pdf}
          pageNumber={pageNumber}
          label={`${title}, page ${pageNumber} of ${state.pdf.numPages}`}
        >
          {overlay?.(pageNumber)}
        </PdfPage>
      ))}
    </div>
  )
}

function PdfPage({
  pdf,
  pageNumber,
  label,
  children,
}: {
  pdf: PDFDocumentProxy
  pageNumber: number
  label: string
  children: ReactNode
}) {
  const frameRef = useRef<HTMLDivElement>(null)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const [pageSize, setPageSize] = useState<{ width: number; height: number } | null>(null)
  const [width, setWidth] = useState(0)
  const [exactWidth, setExactWidth] = useState(0)
  const aspect = pageSize ? pageSize.width / pageSize.height : null

  const [isNear, setNear] = useState(false)

  useEffect(() => {
    const frame = frameRef.current
    if (!frame) return
    // Re-render only when the width changes noticeably (the boxes follow in percent meanwhile).
    const resize = new ResizeObserver(([entry]) => {
      setExactWidth(entry?.contentRect.width ?? 0)
      const next = Math.round((entry?.contentRect.width ?? 0) / 40) * 40
      setWidth((current) => (next === current ? current : next))
    })
    resize.observe(frame)
    // Only pages on or near the screen keep a canvas: a long document at a phone's pixel ratio
    // would otherwise hold hundreds of megabytes of pixels.
    const visibility = new IntersectionObserver(([entry]) => setNear(entry?.isIntersecting ?? false), {
      rootMargin: '1200px 0px',
    })
    visibility.observe(frame)
    return () => {
      resize.disconnect()
      visibility.disconnect()
    }
  }, [])

  // The page's size first (cheap), so every page keeps its place before it is drawn.
  useEffect(() => {
    let isCurrent = true
    void pdf.getPage(pageNumber).then((page) => {
      if (!isCurrent) return
      const base = page.getViewport({ scale: 1 })
      setPageSize({ width: base.width, height: base.height })
    })
    return () => {
      isCurrent = false
    }
  }, [pdf, pageNumber])

  useEffect(() => {
    const canvas = canvasRef.current
    if (!canvas || width === 0) return
    if (!isNear) {
      canvas.width = 0
      canvas.height = 0
      return
    }
    let isCurrent = true
    let cancel: (() => void) | null = null
    void pdf.getPage(pageNumber).then((page) => {
      if (!isCurrent) return
      const base = page.getViewport({ scale: 1 })
      const scale = (width * Math.min(window.devicePixelRatio || 1, 2)) / base.width
      const viewport = page.getViewport({ scale })
      canvas.width = Math.floor(viewport.width)
      canvas.height = Math.floor(viewport.height)
      const task = page.render({ canvas, viewport })
      cancel = () => task.cancel()
      task.promise.catch(() => {
        // A cancelled render (the width changed again, or the page scrolled far away) is expected.
      })
    })
    return () => {
      isCurrent = false
      cancel?.()
    }
  }, [pdf, pageNumber, width, isNear])

  return (
    <figure className="pdf-page" aria-label={label} data-page={pageNumber}>
      <div
        ref={frameRef}
        className="pdf-page__frame"
        style={aspect ? { aspectRatio: String(aspect) } : undefined}
      >
        <canvas ref={canvasRef} className="pdf-page__canvas" />
        <div className="pdf-page__overlay">
          <PageGeometryContext.Provider
            value={
              pageSize && aspect && exactWidth > 0
                ? { widthPx: exactWidth, heightPx: exactWidth / aspect, pxPerPt: exactWidth / pageSize.width }
                : null
            }
          >
            {children}
          </PageGeometryContext.Provider>
        </div>
      </div>
      <figcaption className="pdf-page__caption muted">
        Page {pageNumber} of {pdf.numPages}
      </figcaption>
    </figure>
  )
}
