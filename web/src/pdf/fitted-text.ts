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
