import { useEffect, useRef } from 'react'
import SignaturePad from 'signature_pad'

/**
 * A drawing surface as wide as the column (touch-sized: at least 160 px tall for a signature) built
 * on signature_pad. `onChange` gets the drawing as a PNG data URL cropped to the strokes (so the
 * page and the sealed PDF place the same image), or null when the surface is empty.
 */
export function SignaturePadInput({
  label,
  height,
  onChange,
}: {
  label: string
  height: number
  onChange(pngDataUrl: string | null): void
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const padRef = useRef<SignaturePad | null>(null)
  const onChangeRef = useRef(onChange)
  onChangeRef.current = onChange

  useEffect(() => {
    const canvas = canvasRef.current
    if (!canvas) return
    const pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: '#0b1a4a' })
    padRef.current = pad
    const fitCanvas = () => {
      const ratio = Math.max(window.devicePixelRatio || 1, 1)
      const width = canvas.offsetWidth
      if (width === 0 || canvas.width === Math.round(width * ratio)) return
      canvas.width = Math.round(width * ratio)
      canvas.height = Math.round(canvas.offsetHeight * ratio)
      canvas.getContext('2d')?.scale(ratio, ratio)
      // A resized canvas is blank: start over rather than show a stretched drawing.
      pad.clear()
      onChangeRef.current(null)
    }
    fitCanvas()
    const observer = new ResizeObserver(fitCanvas)
    observer.observe(canvas)
    pad.addEventListener('endStroke', () => onChangeRef.current(croppedPng(pad, canvas)))
    return () => {
      observer.disconnect()
      pad.off()
      padRef.current = null
    }
  }, [])

  return (
    <div className="signature-pad">
      <canvas
        ref={canvasRef}
        className="signature-pad__canvas"
        style={{ height: `${height}px` }}
        aria-label={label}
        role="img"
      />
      <div className="signature-pad__actions">
        <span className="muted">Draw with your finger, a pen or the mouse.</span>
        <button
          type="button"
          className="button button--ghost button--small"
          onClick={() => {
            padRef.current?.clear()
            onChange(null)
          }}
        >
          Clear
        </button>
      </div>
    </div>
  )
}

/** The drawing cropped to its strokes (plus the pen's width), as a PNG data URL. */
function croppedPng(pad: SignaturePad, canvas: HTMLCanvasElement): string | null {
  if (pad.isEmpty()) return null
  const points = pad.toData().flatMap((group) => group.points)
  const ratio = canvas.width / (canvas.offsetWidth || canvas.width)
  const margin = pad.maxWidth + 2
  const left = Math.max(0, Math.min(...points.map((p) => p.x)) - margin)
  const top = Math.max(0, Math.min(...points.map((p) => p.y)) - margin)
  const right = Math.min(canvas.offsetWidth, Math.max(...points.map((p) => p.x)) + margin)
  const bottom = Math.min(canvas.offsetHeight, Math.max(...points.map((p) => p.y)) + margin)
  const width = Math.max(1, Math.round((right - left) * ratio))
  const height = Math.max(1, Math.round((bottom - top) * ratio))
  const out = document.createElement('canvas')
  out.width = width
  out.height = height
  out.getContext('2d')?.drawImage(canvas, left * ratio, top * ratio, width, height, 0, 0, width, height)
  return out.toDataURL('image/png')
}
