import QRCode from 'qrcode'
import { useMemo } from 'react'

/**
 * A QR code drawn as an inline SVG by React: no canvas, no data: URL, nothing the page's
 * Content-Security-Policy would have to allow. One path of 1×1 squares, with the quiet zone the
 * standard asks for (4 modules).
 */
export function QrCode({ value, label, size = 200 }: { value: string; label: string; size?: number }) {
  const { path, dimension } = useMemo(() => {
    const { modules } = QRCode.create(value, { errorCorrectionLevel: 'M' })
    let d = ''
    for (let row = 0; row < modules.size; row += 1) {
      for (let column = 0; column < modules.size; column += 1) {
        if (modules.get(row, column)) d += `M${column + 4} ${row + 4}h1v1h-1z`
      }
    }
    return { path: d, dimension: modules.size + 8 }
  }, [value])
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${dimension} ${dimension}`}
      shapeRendering="crispEdges"
    >
      <rect width={dimension} height={dimension} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  )
}
