import { useEffect, useState } from 'react'

let measureContext: CanvasRenderingContext2D | null = null

/** The width of `text` at 1 px in `fontFamily` (canvas metrics, the face must be loaded). */
function widthAtOnePx(text: string, fontFamily: string): number {
  measureContext ??= document.createElement('canvas').getContext('2d')
  if (!measureContext) return text.length * 0.5
  measureContext.font = `100px ${fontFamily}`
  return measureContext.measureText(text).width / 100
}

/**
 * The font size (CSS px) the sealed PDF uses for one line of `text` in a box, as the server's
 * `drawFitted` computes it in points: as large as fits, at most `ratio` of the box's height and
 * `maxPt` points, at least 4 points.
 */
export function fittedFontSize(
  text: string,
  fontFamily: string,
  box: { widthPx: number; heightPx: number },
  pxPerPt: number,
  ratio: number,
  maxPt: number,
): number {
  const perPx = widthAtOnePx(text || ' ', fontFamily) || 1
  return Math.max(4 * pxPerPt, Math.min(box.heightPx * ratio, (box.widthPx * 0.98) / perPx, maxPt * pxPerPt))
}

/** Re-renders once the web fonts in use have loaded, so measurements use the real faces. */
export function useFontsReady(): number {
  const [generation, setGeneration] = useState(0)
  useEffect(() => {
    let isCurrent = true
    void document.fonts.ready.then(() => isCurrent && setGeneration((value) => value + 1))
    const onLoad = () => setGeneration((value) => value + 1)
    document.fonts.addEventListener('loadingdone', onLoad)
    return () => {
      isCurrent = false
      document.fonts.removeEventListener('loadingdone', onLoad)
    }
  }, [])
  return generation
}

// Windows-1252 beyond Latin-1: what the PDF's standard Helvetica can print besides U+0020–U+007E
// and U+00A0–U+00FF.
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ')

/**
 * `text` as the sealed PDF prints it in Helvetica (server/modules/signing/seal-pdf.ts `safe`):
 * characters outside Windows-1252 become "?".
 */
export function asStampedSans(text: string): string {
  return Array.from(text.replaceAll(/[\t\r]/g, ' '), (character) => {
    const code = character.codePointAt(0) ?? 0
    const isPrintable =
      (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(character)
    return isPrintable || character === '\n' ? character : '?'
  }).join('')
}
