import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { BENCHMARKS_DOC, replaceSection } from '../../bench/benchmarks-doc.ts'

const DOCUMENT = `# Benchmarks

Intro.

## Bank linking

Old run.

### PostgreSQL

Old table.

### Earlier run: before the cache

Kept by hand.

### What each row measures

Generated.

### Earlier runs: two of them

Also kept.

## Webhook ingest

Other section.
`

/** How a benchmark rewrites its section of docs/benchmarks.md (bench/benchmarks-doc.ts). */
describe('a benchmark section rewritten', () => {
  it('replaces the generated part, keeps the earlier runs after it, and leaves other sections alone', () => {
    const updated = replaceSection(
      DOCUMENT,
      '## Bank linking',
      '## Bank linking\n\nNew run.\n\n### PostgreSQL\n\nNew table.\n',
    )
    expect(updated).toBe(`# Benchmarks

Intro.

## Bank linking

New run.

### PostgreSQL

New table.

### Earlier run: before the cache

Kept by hand.

### Earlier runs: two of them

Also kept.

## Webhook ingest

Other section.
`)
    // Rewriting again keeps the same earlier runs once.
    expect(
      replaceSection(
        updated,
        '## Bank linking',
        '## Bank linking\n\nNew run.\n\n### PostgreSQL\n\nNew table.\n',
      ),
    ).toBe(updated)
  })

  it('appends a section the document does not have, and rewrites the last one', () => {
    expect(replaceSection('# Benchmarks\n', '## Start-up', '## Start-up\n\nFirst.\n')).toBe(
      '# Benchmarks\n\n## Start-up\n\nFirst.\n',
    )
    expect(replaceSection(DOCUMENT, '## Webhook ingest', '## Webhook ingest\n\nNew.\n')).toBe(
      DOCUMENT.replace('Other section.', 'New.'),
    )
  })

  it('leaves the repository’s document as it is when each section is rewritten with its own run', async () => {
    const document = await readFile(BENCHMARKS_DOC, 'utf8')
    const lines = document.split('\n')
    const headings = lines.filter((line) => line.startsWith('## '))
    expect(headings).toContain('## Webhook ingest')
    for (const heading of headings) {
      const start = lines.indexOf(heading)
      const end = lines.findIndex(
        (line, index) => index > start && (line.startsWith('## ') || /^### Earlier run/.test(line)),
      )
      const generated = lines.slice(start, end === -1 ? lines.length : end).join('\n')
      expect(replaceSection(document, heading, generated), heading).toBe(document)
    }
  })
})
