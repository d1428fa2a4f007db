import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

export const BENCHMARKS_DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url))

const INTRO = `# Benchmarks

Load tests live in \`bench/\`: autocannon against real server processes over loopback. These machines
are noisy, so every figure is read as a ratio against baselines measured in the same run. Each section
below is rewritten by its benchmark with the latest full run.
`

/** Subsections a benchmark keeps when it rewrites its section: the earlier runs, written by hand. */
const KEPT_SUBSECTION = /^### Earlier run/

/**
 * `document` with the section headed `heading` (a `## ` line) replaced by `section`, or with `section`
 * appended; every other section stays as it is, and so do the replaced section's `### Earlier run…`
 * subsections, after the new run.
 */
export function replaceSection(document: string, heading: string, section: string): string {
  const lines = document.split('\n')
  const start = lines.findIndex((line) => line.trim() === heading)
  if (start === -1) return `${document.trimEnd()}\n\n${section.trimEnd()}\n`
  const next = lines.findIndex((line, index) => index > start && line.startsWith('## '))
  const end = next === -1 ? lines.length : next
  const kept: string[] = []
  let isKept = false
  for (const line of lines.slice(start + 1, end)) {
    if (line.startsWith('### ')) isKept = KEPT_SUBSECTION.test(line)
    if (isKept) kept.push(line)
  }
  const before = lines.slice(0, start).join('\n').trimEnd()
  const earlier = kept.join('\n').trim()
  const after = lines.slice(end).join('\n').trim()
  return `${[before, section.trim(), earlier, after].filter(Boolean).join('\n\n')}\n`
}

/** Replaces (or appends) the section headed `heading` in docs/benchmarks.md; returns the file's path. */
export async function writeBenchmarksSection(heading: string, section: string): Promise<string> {
  const current = await readFile(BENCHMARKS_DOC, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return INTRO
    throw error
  })
  await writeFile(BENCHMARKS_DOC, replaceSection(current, heading, section))
  return BENCHMARKS_DOC
}
